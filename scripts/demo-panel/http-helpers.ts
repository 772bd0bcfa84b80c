// Demo panel: the HTTP details the panel's framework adds around every answer: bearer parsing,
// Laravel's expectsJson(), the JSON/HTML rendering and headers, and the throttle headers.
import type { IncomingMessage, ServerResponse } from "node:http";
import { fail, phpJson, type Reply } from "./fractal.ts";
import type { RateDecision } from "./rate-limit.ts";

/** Laravel's bearerToken(): the text after the last "Bearer " (any case), up to a comma. */
export function bearer(req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? "";
  const at = header.toLowerCase().lastIndexOf("bearer ");
  if (at < 0) return null;
  const token = header.slice(at + 7).split(",")[0] ?? "";
  return token.trim() === "" ? null : token.trim();
}

/** Laravel's expectsJson(): the first Accept type mentions json, or an XHR accepting anything. */
export function expectsJson(req: IncomingMessage): boolean {
  const first = (req.headers.accept ?? "").split(",")[0]?.toLowerCase() ?? "";
  if (first.includes("/json") || first.includes("+json")) return true;
  return req.headers["x-requested-with"] === "XMLHttpRequest" && (first === "" || first.startsWith("*/*"));
}

/** Writes a Reply; errors become Laravel's HTML page when the request didn't ask for JSON. */
export function writeReply(req: IncomingMessage, res: ServerResponse, r: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const headers: Record<string, string> = { "cache-control": "no-cache, private", ...r.headers };
  let body: string;
  if (r.status >= 400 && !expectsJson(req)) {
    headers["content-type"] = "text/html; charset=UTF-8";
    body = `<!DOCTYPE html><html><head><title>${r.status}</title></head><body>${r.status}</body></html>`;
  } else if (r.raw !== undefined) {
    headers["content-type"] = "text/plain; charset=utf-8";
    body = r.raw;
  } else {
    headers["content-type"] = "application/json";
    body = r.status === 204 ? "" : phpJson(r.body);
  }
  res.writeHead(r.status, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}

/** ThrottleRequestsException with the headers Laravel sends on a refused request. */
export function tooManyAttempts(decision: Pick<RateDecision, "limit" | "retryAfter" | "resetAt">): Reply {
  return {
    ...fail(429, "ThrottleRequestsException", "Too Many Attempts."),
    headers: {
      "x-ratelimit-limit": String(decision.limit),
      "x-ratelimit-remaining": "0",
      "retry-after": String(decision.retryAfter),
      "x-ratelimit-reset": String(decision.resetAt),
    },
  };
}

export const routeNotFound = (path: string) =>
  fail(404, "NotFoundHttpException", `The route ${path.slice(1)} could not be found.`);

export const methodNotAllowed = (method: string, path: string, allowed: string[]) =>
  fail(
    405,
    "MethodNotAllowedHttpException",
    `The ${method} method is not supported for route ${path.slice(1)}. Supported methods: ${allowed
      .flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m]))
      .join(", ")}.`,
  );

export const malformedJson = () =>
  fail(
    400,
    "BadRequestHttpException",
    "The JSON data passed in the request appears to be malformed: Syntax error",
  );

export const unexpected = () =>
  fail(
    500,
    "ErrorException",
    "An unexpected error was encountered while processing this request, please try again.",
  );

export const sleep = (ms: number, timers: Set<NodeJS.Timeout>) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timers.add(timer);
  });
