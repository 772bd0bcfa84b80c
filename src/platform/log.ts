// Structured logs: one JSON object per event, readable in `wrangler tail`. Secrets are redacted
// by key name and `api_key`/`token` query values are stripped from logged URLs.

type Level = "debug" | "info" | "warn" | "error";

const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|cookie|encryption|credential/i;
const SECRET_QUERY = /([?&](?:api_key|token|access_token|refresh_token|key|ticket)=)[^&#]*/gi;

/** Removes secret query values from a URL or path before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, "$1[redacted]");
}

/** Quoted values in a database message (`invalid input syntax for type uuid: "…"`, `Key (email)=(…)`). */
const QUOTED = /"[^"]*"|\([^()]*\)=\([^()]*\)/g;

/**
 * An error as it may be logged or stored: a failed query keeps its SQL text (placeholders only)
 * and the database's code, never its parameters (e-mails, IPs, tokens) or the values Postgres
 * quotes back in its message.
 */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 500);
  const failed = err as Error & { query?: unknown; params?: unknown; cause?: unknown };
  if (typeof failed.query === "string" && "params" in failed) {
    const cause = failed.cause as { code?: unknown; message?: unknown } | undefined;
    const code = typeof cause?.code === "string" ? ` [${cause.code}]` : "";
    const why = typeof cause?.message === "string" ? `: ${cause.message.replace(QUOTED, '"…"')}` : "";
    return `Failed query${code}${why} — ${failed.query.slice(0, 300)}`;
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    return `${err.name} [${code}]: ${err.message.replace(QUOTED, '"…"')}`;
  }
  return `${err.name}: ${err.message}`;
}

/** The stack frames only: the stack's head repeats the message (a failed query's parameters included). */
export function errorStack(err: unknown): string | undefined {
  if (!(err instanceof Error) || !err.stack) return undefined;
  const lines = err.stack.split("\n");
  const first = lines.findIndex((l) => /^\s+at /.test(l));
  return first < 0 ? undefined : lines.slice(first).join("\n");
}

/** A value as it may be kept (logs, dead_jobs): secret-looking keys and token query values redacted. */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactUrl(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEY.test(k) ? "[redacted]" : scrub(v, depth + 1);
  return out;
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactUrl(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: errorText(value) };
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
