// Interactive calls to the panel's Client API (a customer's power button, console command, file
// edit) with the admin's client key. They draw on a reserved share of the client API's per-user
// limit (720/min in panel 1.11) that the sync never touches: the sync is bounded by its own
// budget (`panel_requests_per_minute`, the application API's 240/min), so the rest of the 720 is
// the customers'. Neither side can starve the other. Nothing here waits: an empty share or a
// panel 429 answers RATE_LIMITED with Retry-After at once, and only reads are retried.
import { sha256Hex } from "../../platform/crypto.ts";
import { AppError } from "../../platform/errors.ts";
import type { BucketLimit } from "../rate-limit/bucket.ts";
import type { PanelConnection } from "./connection.ts";
import { type PanelDeps, panelHeaders, perMinuteBudget } from "./panel-client.ts";

/** The panel's client API limit per user and minute (config/http.php, `rate_limit.client`). */
export const CLIENT_REQUESTS_PER_MINUTE = 720;
const TIMEOUT_MS = 15_000;

/**
 * The interactive share: what the client API allows minus what the sync may spend, never more
 * than that in any 60 s (perMinuteBudget). Customers' clicks and dashboards come in bursts: a
 * quarter of the minute may go at once, three quarters are sustained.
 */
export function interactiveBudget(conn: PanelConnection): BucketLimit {
  return perMinuteBudget(
    (conn.clientRequestsPerMinute ?? CLIENT_REQUESTS_PER_MINUTE) - conn.requestsPerMinute,
    0.25,
  );
}

export interface ClientCall {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  query?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A raw text body (file writes). */
  text?: string;
  /** The token was already taken for it (a batch paid in one go): no take, no retry. */
  prepaid?: boolean;
}

/** The panel's answer, whatever its status (the caller maps errors), except 429 and 5xx on reads. */
export interface ClientAnswer {
  status: number;
  /** Parsed JSON when the answer was JSON, else undefined. */
  json: unknown;
  text: string;
  contentType: string;
}

/** `context.source`: "budget" (our share was empty, the panel was not called) or "panel" (its 429). */
const rateLimited = (message: string, retryAfterSeconds: number, source: "budget" | "panel") =>
  new AppError("RATE_LIMITED", message, {
    headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    context: { source },
  });

/** The interactive share's bucket: one per panel and client key. */
export async function interactiveStub(deps: Pick<PanelDeps, "conn" | "stubs">, key: string) {
  return deps.stubs.rateLimiter(`panel-interactive:${await sha256Hex(`${deps.conn.url}|${key}`)}`);
}

/**
 * One Client API call (`/api/client` + path) in the interactive share. No client key configured
 * → UNAVAILABLE (the application key is never used for a customer's action).
 */
export async function panelClientCall(
  deps: PanelDeps,
  path: string,
  call: ClientCall = {},
): Promise<ClientAnswer> {
  const key = deps.conn.clientApiKey;
  if (!key) throw new AppError("UNAVAILABLE", "server control is not configured (no panel client key)");
  const method = call.method ?? "GET";
  const url = new URL(`${deps.conn.url}/api/client${path}`);
  for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
  const headers = panelHeaders(deps.conn, key);
  let body: string | undefined;
  if (call.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(call.json);
  } else if (call.text !== undefined) {
    headers["content-type"] = "text/plain";
    body = call.text;
  }
  const limit = interactiveBudget(deps.conn);
  const stub = await interactiveStub(deps, key);
  // Reads are retried once on a network error or 5xx; an action is never repeated.
  const attempts = method === "GET" && !call.prepaid ? 2 : 1;
  let lastError: AppError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const taken = call.prepaid
      ? { allowed: true, retryAfterMs: 0 }
      : await stub.take(limit).catch((err: unknown) => {
          // The budget cannot be read: refuse (the panel's own limit is per user, ours to keep).
          throw new AppError("UNAVAILABLE", "panel request budget unavailable", {
            headers: { "Retry-After": "2" },
            context: { source: "budget", error: (err as Error).message },
            cause: err,
          });
        });
    if (!taken.allowed)
      throw rateLimited(
        "panel request budget for interactive calls exhausted",
        taken.retryAfterMs / 1000,
        "budget",
      );
    let res: Response;
    try {
      res = await deps.fetch(url, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      lastError = new AppError("UPSTREAM_ERROR", `panel unreachable: ${(err as Error).name}`, {
        retryable: true,
        context: { path },
      });
      continue;
    }
    const remaining = Number(res.headers.get("x-ratelimit-remaining"));
    if (
      res.headers.has("x-ratelimit-remaining") &&
      Number.isFinite(remaining) &&
      remaining < limit.capacity / 4
    ) {
      await stub.clamp(limit, remaining);
    }
    if (res.status === 429) {
      // The backup throttle is a 429 too ("Only 2 backups may be generated within a 600 second
      // span of time."): its detail is kept; a throttle 429 also means the budget is spent.
      const detail = detailOf(await res.text());
      if (!detail?.includes("backups")) await stub.clamp(limit, 0);
      const retryAfter = Number(res.headers.get("retry-after") ?? "60") || 60;
      throw rateLimited(detail ?? "the panel is rate limiting requests", retryAfter, "panel");
    }
    if (res.status >= 500 && attempt < attempts) {
      await res.body?.cancel();
      lastError = new AppError("UPSTREAM_ERROR", `panel answered ${res.status}`, { context: { path } });
      continue;
    }
    const text = await res.text();
    const contentType = res.headers.get("content-type") ?? "";
    let json: unknown;
    if (contentType.includes("json") && text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { status: res.status, json, text, contentType };
  }
  throw lastError ?? new AppError("UPSTREAM_ERROR", "panel request failed", { context: { path } });
}

function firstDetail(body: unknown): string | undefined {
  const errors = (body as { errors?: { detail?: unknown }[] } | undefined)?.errors;
  const detail = Array.isArray(errors) ? errors[0]?.detail : undefined;
  return typeof detail === "string" ? detail : undefined;
}

function detailOf(text: string): string | undefined {
  try {
    return firstDetail(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The first error detail of a Pterodactyl error body (`errors[0].detail`), if any. */
export function panelErrorDetail(answer: ClientAnswer): string | undefined {
  return firstDetail(answer.json);
}
