// The Pterodactyl client: application and client API, Accept JSON, optional Cloudflare Access
// headers, timeouts, retries with backoff on 5xx/network errors, 429 Retry-After honoured, and
// one shared request budget per panel key (a RateLimiter DO bucket corrected by the panel's
// X-RateLimit-Remaining) used by every sync message, cron and Hytale push.
import { sha256Hex } from "../../platform/crypto.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import type { BucketLimit } from "../rate-limit/bucket.ts";
import type { PanelConnection } from "./connection.ts";
import type { FractalList } from "./panel.types.ts";

const budgetOf = (conn: PanelConnection): BucketLimit => ({
  capacity: conn.requestsPerMinute,
  periodMs: 60_000,
});
const TIMEOUT_MS = 20_000;
const ATTEMPTS = 3;
/** Waits shorter than this happen inline; longer ones become a queue retry with that delay. */
const MAX_INLINE_WAIT_MS = 5_000;

/** The seam's slice a panel call needs (outbound fetch, the budget's DO stub), plus the connection. */
export interface PanelDeps extends Pick<Deps, "fetch" | "stubs"> {
  conn: PanelConnection;
  sleep?: (ms: number) => Promise<void>;
}

export function panelDeps(deps: Pick<Deps, "fetch" | "stubs">, conn: PanelConnection): PanelDeps {
  return { fetch: deps.fetch, stubs: deps.stubs, conn };
}

export interface PanelResponse<T> {
  body: T;
  status: number;
}

const sleeper = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function upstream(
  message: string,
  retryable: boolean,
  retryAfterSeconds?: number,
  context: Record<string, unknown> = {},
) {
  return new AppError("UPSTREAM_ERROR", message, {
    retryable,
    headers: retryAfterSeconds ? { "Retry-After": String(Math.ceil(retryAfterSeconds)) } : {},
    context,
  });
}

async function budgetStub(deps: PanelDeps) {
  return deps.stubs.rateLimiter(`panel:${await sha256Hex(`${deps.conn.url}|${deps.conn.apiKey}`)}`);
}

/** Takes one request from the shared budget, waiting briefly when it is empty. */
async function takeBudget(deps: PanelDeps): Promise<void> {
  const stub = await budgetStub(deps);
  const sleep = deps.sleep ?? sleeper;
  for (let i = 0; i < 3; i++) {
    const r = await stub.take(budgetOf(deps.conn));
    if (r.allowed) return;
    if (r.retryAfterMs > MAX_INLINE_WAIT_MS)
      throw upstream("panel request budget exhausted", true, r.retryAfterMs / 1000);
    await sleep(r.retryAfterMs);
  }
  throw upstream("panel request budget exhausted", true, 5);
}

/** Accept JSON, the bearer key and, when configured, the Cloudflare Access service token. */
export function panelHeaders(conn: PanelConnection, key: string): Record<string, string> {
  const headers: Record<string, string> = { accept: "application/json", authorization: `Bearer ${key}` };
  if (conn.cfAccessClientId && conn.cfAccessClientSecret) {
    headers["cf-access-client-id"] = conn.cfAccessClientId;
    headers["cf-access-client-secret"] = conn.cfAccessClientSecret;
  }
  return headers;
}

/** GET (or other method) against the panel with budget, retries and error mapping. */
export async function panelRequest<T>(
  deps: PanelDeps,
  api: "application" | "client",
  path: string,
  init: { method?: string; query?: Record<string, string | number>; body?: unknown } = {},
): Promise<PanelResponse<T>> {
  const key = api === "client" ? (deps.conn.clientApiKey ?? deps.conn.apiKey) : deps.conn.apiKey;
  const url = new URL(`${deps.conn.url}/api/${api}${path}`);
  for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, String(v));
  const headers = panelHeaders(deps.conn, key);
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const doFetch = deps.fetch;
  const sleep = deps.sleep ?? sleeper;
  let last: AppError | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    await takeBudget(deps);
    let res: Response;
    try {
      res = await doFetch(url, {
        method: init.method ?? "GET",
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      last = upstream(`panel unreachable: ${(err as Error).name}`, true, undefined, { path });
      await sleep(200 * 4 ** (attempt - 1));
      continue;
    }
    const remaining = Number(res.headers.get("x-ratelimit-remaining"));
    if (
      Number.isFinite(remaining) &&
      res.headers.has("x-ratelimit-remaining") &&
      remaining < deps.conn.requestsPerMinute / 4
    ) {
      await (await budgetStub(deps)).clamp(budgetOf(deps.conn), remaining);
    }
    if (res.ok) {
      const text = await res.text();
      try {
        return { body: (text ? JSON.parse(text) : null) as T, status: res.status };
      } catch {
        throw upstream("panel answered invalid JSON", true, undefined, { path, status: res.status });
      }
    }
    await res.body?.cancel();
    if (res.status === 429) {
      const retryAfter = Number(res.headers.get("retry-after") ?? "60");
      await (await budgetStub(deps)).clamp(budgetOf(deps.conn), 0);
      if (retryAfter * 1000 <= MAX_INLINE_WAIT_MS && attempt < ATTEMPTS) {
        await sleep(retryAfter * 1000);
        continue;
      }
      throw upstream("panel rate limit hit", true, retryAfter, { path });
    }
    if (res.status >= 500) {
      last = upstream(`panel answered ${res.status}`, true, undefined, { path, status: res.status });
      await sleep(200 * 4 ** (attempt - 1));
      continue;
    }
    throw upstream(`panel answered ${res.status}`, false, undefined, { path, status: res.status });
  }
  throw last ?? upstream("panel request failed", true);
}

export const PER_PAGE = 100;

/**
 * One page of an application listing (per_page=100; whatever size the panel really returns is
 * fine). `sort` where the panel's listing allows one (Spatie allowedSorts: `id` on servers, users,
 * nodes, locations), else the panel's unspecified order.
 */
export async function panelPage<A>(
  deps: PanelDeps,
  path: string,
  page: number,
  include?: string,
  sort?: string,
) {
  const query: Record<string, string | number> = { page, per_page: PER_PAGE };
  if (include) query.include = include;
  if (sort) query.sort = sort;
  const { body } = await panelRequest<FractalList<A>>(deps, "application", path, { query });
  if (!body || !Array.isArray(body.data))
    throw upstream("panel answered an unexpected listing", true, undefined, { path });
  const p = body.meta?.pagination;
  return {
    items: body.data.map((d) => d.attributes),
    total: p?.total ?? body.data.length,
    totalPages: p?.total_pages ?? 1,
    page: p?.current_page ?? page,
  };
}

/** The items of an included relationship list (`attributes.relationships.<name>.data`). */
export function related<A>(item: { relationships?: Record<string, unknown> }, name: string): A[] {
  const rel = item.relationships?.[name] as FractalList<A> | undefined;
  return Array.isArray(rel?.data) ? rel.data.map((d) => d.attributes) : [];
}
