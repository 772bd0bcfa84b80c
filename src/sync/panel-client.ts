// The Pterodactyl client: application and client API, Accept JSON, optional Cloudflare Access
// headers, timeouts, retries with backoff on 5xx/network errors, 429 Retry-After honoured, and
// one shared request budget per panel key (a RateLimiter DO bucket corrected by the panel's
// X-RateLimit-Remaining) used by every sync message, cron and Hytale push.
import type { Database } from "../db/client.ts";
import type { Config } from "../env.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { AppError } from "../lib/errors.ts";
import { decryptSecret, keyRing } from "../lib/secrets.ts";
import type { BucketLimit } from "../rate-limit/bucket.ts";
import type { RateLimiter } from "../rate-limit/rate-limiter.do.ts";
import { readSettings } from "../settings/settings.service.ts";

export interface PanelConnection {
  url: string;
  apiKey: string;
  clientApiKey?: string;
  cfAccessClientId?: string;
  cfAccessClientSecret?: string;
  /** The panel's per-key request limit (Pterodactyl 240/min, Pelican 256/min); setting `panel_requests_per_minute`. */
  requestsPerMinute: number;
}

/** Settings in `config` override the env, read at run time (no restart needed). */
export async function panelConnection(db: Database, config: Config): Promise<PanelConnection | undefined> {
  const s = await readSettings(db, [
    "pterodactyl_url",
    "pterodactyl_api_key",
    "pterodactyl_client_api_key",
    "cf_access_client_id",
    "cf_access_client_secret",
    "panel_requests_per_minute",
  ]);
  const ring = await keyRing(config);
  const secret = async (key: string) => {
    const v = s.get(key);
    return v ? await decryptSecret(ring, v) : undefined;
  };
  const url = (s.get("pterodactyl_url") || config.panel.url || "").replace(/\/+$/, "");
  const apiKey = (await secret("pterodactyl_api_key")) || config.panel.apiKey;
  if (!url || !apiKey) return undefined;
  return {
    url,
    apiKey,
    clientApiKey: (await secret("pterodactyl_client_api_key")) || config.panel.clientApiKey,
    cfAccessClientId: s.get("cf_access_client_id") || config.panel.cfAccessClientId,
    cfAccessClientSecret: (await secret("cf_access_client_secret")) || config.panel.cfAccessClientSecret,
    requestsPerMinute: Math.max(
      1,
      Number(s.get("panel_requests_per_minute") ?? DEFAULT_REQUESTS_PER_MINUTE) ||
        DEFAULT_REQUESTS_PER_MINUTE,
    ),
  };
}

export const DEFAULT_REQUESTS_PER_MINUTE = 240;
const budgetOf = (conn: PanelConnection): BucketLimit => ({
  capacity: conn.requestsPerMinute,
  periodMs: 60_000,
});
const TIMEOUT_MS = 20_000;
const ATTEMPTS = 3;
/** Waits shorter than this happen inline; longer ones become a queue retry with that delay. */
const MAX_INLINE_WAIT_MS = 5_000;

export interface PanelDeps {
  conn: PanelConnection;
  budget: DurableObjectNamespace<RateLimiter>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
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
  return deps.budget.getByName(`panel:${await sha256Hex(`${deps.conn.url}|${deps.conn.apiKey}`)}`);
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
  const headers: Record<string, string> = { accept: "application/json", authorization: `Bearer ${key}` };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (deps.conn.cfAccessClientId && deps.conn.cfAccessClientSecret) {
    headers["cf-access-client-id"] = deps.conn.cfAccessClientId;
    headers["cf-access-client-secret"] = deps.conn.cfAccessClientSecret;
  }
  const doFetch = deps.fetch ?? fetch;
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

export interface FractalItem<A> {
  object: string;
  attributes: A & { relationships?: Record<string, FractalList<unknown> | FractalItem<unknown> | null> };
}

export interface FractalList<A> {
  object: "list";
  data: FractalItem<A>[];
  meta?: {
    pagination?: {
      total: number;
      count: number;
      per_page: number;
      current_page: number;
      total_pages: number;
    };
  };
}

export const PER_PAGE = 100;

/** One page of an application listing (per_page=100; whatever size the panel really returns is fine). */
export async function panelPage<A>(deps: PanelDeps, path: string, page: number, include?: string) {
  const query: Record<string, string | number> = { page, per_page: PER_PAGE };
  if (include) query.include = include;
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
