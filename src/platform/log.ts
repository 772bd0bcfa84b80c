// Structured logs: one JSON object per event, readable in `wrangler tail`. Secrets are redacted
// by key name and `api_key`/`token` query values are stripped from logged URLs.

type Level = "debug" | "info" | "warn" | "error";

const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|cookie|encryption|credential/i;
const SECRET_QUERY = /([?&](?:api_key|token|access_token|refresh_token|key)=)[^&#]*/gi;

/** Removes secret query values from a URL or path before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, "$1[redacted]");
}

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(v, depth + 1);
  }
  return out;
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...(redact(fields) as object) });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export type Logger = (level: Level, msg: string, fields?: Record<string, unknown>) => void;

/** A logger that stamps every line with the same base fields (e.g. requestId, jobId). */
export function childLogger(base: Record<string, unknown>): Logger {
  return (level, msg, fields = {}) => log(level, msg, { ...base, ...fields });
}
