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

/**
 * A budget that lets at most `perMinute` requests through in ANY 60 s. The panel counts requests
 * in one-minute windows (Laravel's throttle), and a bucket holding a minute's worth that refills
 * a minute's worth per minute admits up to twice that across a window's edge (a full bucket spent
 * at the end of one window, a minute of refill in the next): the panel then answers 429s. Here the
 * burst is `burstShare` of the minute, and what refills in 60 s is the rest, so burst + one
 * minute of refill is exactly `perMinute`; the sustained rate is `perMinute − burst` a minute.
 */
export function perMinuteBudget(perMinute: number, burstShare: number): BucketLimit {
  const limit = Math.max(1, Math.floor(perMinute));
  if (limit === 1) return { capacity: 1, periodMs: 60_000 };
  const burst = Math.min(limit - 1, Math.max(1, Math.floor(limit * burstShare)));
  return { capacity: burst, periodMs: (burst * 60_000) / (limit - burst) };
}

/** The sync's budget: steady work, so a small burst (5 %) and 95 % of the limit sustained. */
const budgetOf = (conn: PanelConnection): BucketLimit => perMinuteBudget(conn.requestsPerMinute, 0.05);
const TIMEOUT_MS = 20_000;
const ATTEMPTS = 3;
/** Waits shorter than this happen inline; longer ones become a queue retry with that delay. */
const MAX_INLINE_WAIT_MS = 10_000;

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

/**
 * One request from the shared budget: now, or after the wait the budget reserved for it (up to
 * MAX_INLINE_WAIT_MS; concurrent callers are paced in order, none retries into another). A longer
 * wait becomes a retryable error carrying it, for the queue to retry later.
 */
async function takeBudget(deps: PanelDeps): Promise<void> {
  const stub = await budgetStub(deps);
  const r = await stub.reserve(budgetOf(deps.conn), MAX_INLINE_WAIT_MS);
  if (!r.allowed) throw upstream("panel request budget exhausted", true, r.retryAfterMs / 1000);
  if (r.waitMs > 0) await (deps.sleep ?? sleeper)(r.waitMs);
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
