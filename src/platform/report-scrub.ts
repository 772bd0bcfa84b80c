// What an error report (a Sentry event or transaction) may carry: no request headers, cookies,
// body or query string, no user, no token, secret, password, JWT or e-mail address anywhere in
// its text. Applied to every event before it leaves the Worker (src/sentry.ts beforeSend).

const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|cookie|encryption|credential|dsn/i;
/** Attribute keys that hold a query string or a request/response body. */
const DROPPED_KEY =
  /^(query_string|cookies|headers|env|http\.query|url\.query|http\.request\.body.*|http\.response\.body.*|http\.request\.header\..*|http\.response\.header\..*)$/;
const URL_KEY = /^(url|url\.full|http\.url|server\.address\.full)$/;

const QUERY = /\?[^\s"'#<>]*/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/g;
const BEARER = /(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi;
/** drizzle's "Failed query: …\nparams: a,b" and Postgres' `Key (email)=(…)` carry values. */
const PARAMS = /params:[^\n]*/g;
const KEY_VALUE = /\(([^()]*)\)=\([^()]*\)/g;
const SECRETISH_QUERY =
  /([?&](?:api_key|token|access_token|refresh_token|key|ticket|sentry_key)=)[^&#\s"]*/gi;

/** A string as it may be reported. */
export function scrubText(text: string): string {
  return text
    .replace(SECRETISH_QUERY, "$1[redacted]")
    .replace(JWT, "[jwt]")
    .replace(BEARER, "$1 [redacted]")
    .replace(EMAIL, "[email]")
    .replace(PARAMS, "params: [redacted]")
    .replace(KEY_VALUE, "($1)=([redacted])");
}

function scrubUrl(url: string): string {
  return scrubText(url.replace(QUERY, ""));
}

function walk(value: unknown, key: string, depth: number): unknown {
  if (typeof value === "string") return URL_KEY.test(key) ? scrubUrl(value) : scrubText(value);
  if (depth > 12 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => walk(v, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (DROPPED_KEY.test(k)) continue;
    out[k] = SECRET_KEY.test(k) && typeof v !== "object" ? "[redacted]" : walk(v, k, depth + 1);
  }
  return out;
}

/**
 * The event with its request reduced to method and path, its user dropped, and every string
 * scrubbed; keys that hold queries, bodies or headers are removed wherever they appear.
 */
export function scrubReport<T extends object>(event: T): T {
  const e = { ...(event as Record<string, unknown>) };
  const request = e.request as { method?: unknown; url?: unknown } | undefined;
  if (request) {
    e.request = {
      method: typeof request.method === "string" ? request.method : undefined,
      url: typeof request.url === "string" ? scrubUrl(request.url) : undefined,
    };
  }
  delete e.user;
  return walk(e, "", 0) as T;
}
