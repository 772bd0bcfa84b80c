// Builds the single error body of SPEC §4 from anything thrown: AppError, Hono's HTTPException,
// or an unexpected error (logged with its stack, answered as a generic 500).
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, codeForStatus, type ErrorDetail } from "./errors.ts";
import { errorStack, errorText, log } from "./log.ts";
import { classifyPgError } from "./sql.ts";
import { isUnexpected, telemetry } from "./telemetry.ts";
import type { AppEnv } from "./types.ts";

export interface ErrorBody {
  success: false;
  error: string;
  code: string;
  requestId: string;
  details?: ErrorDetail[];
}

/** Where clients read upstream's snake_case `error` values: the auth routes, and the Hytale OAuth
 * routes (RFC 8628/6749 codes such as `authorization_pending`, `invalid_grant`). */
const SNAKE_CASE_PREFIXES = ["/api/v1/auth/", "/api/v1/hytale/"];

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    const code = codeForStatus(err.status);
    const message = err.status >= 500 ? "Internal server error" : err.message || code;
    return new AppError(code, message, { cause: err });
  }
  // Text the database cannot store (NUL, invalid UTF-8) that got past the door is still the
  // caller's bad input: 400, not 500.
  if (classifyPgError(err)?.kind === "invalid_text") {
    return new AppError("INVALID_REQUEST", "Text contains characters that cannot be stored", { cause: err });
  }
  return new AppError("INTERNAL", "Internal server error", { cause: err, retryable: true });
}

export function errorResponse(c: Context<AppEnv>, err: unknown): Response {
  const e = toAppError(err);
  const requestId = c.get("requestId") ?? "";
  if (e.status >= 500) {
    const cause = e.cause instanceof Error ? e.cause : undefined;
    // errorText/errorStack: never a failed query's parameters.
    (c.get("log") ?? log)("error", e.message, {
      requestId,
      code: e.code,
      method: c.req.method,
      path: c.req.path,
      ...e.context,
      error: cause ? errorText(cause) : undefined,
      stack: errorStack(cause),
    });
    // Unexpected only (a bug, a database fault): 4xx, 502 and 503 are answers, not errors.
    if (isUnexpected(e)) {
      telemetry.captureException(cause ?? e, {
        requestId,
        method: c.req.method,
        route: c.req.routePath,
        caller: callerKind(c),
      });
    }
  }
  // Upstream's snake_case codes are what the auth and Hytale clients read; elsewhere the standard body.
  const authRoute = SNAKE_CASE_PREFIXES.some((p) => c.req.path.startsWith(p));
  const body: ErrorBody = {
    success: false,
    error: (authRoute ? e.publicError : undefined) ?? e.message,
    code: e.code,
    requestId,
    ...(e.details ? { details: e.details } : {}),
  };
  for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
  return c.json(body, e.status);
}

/** Who was calling, as a report tag: anonymous, member, admin or service (never who). */
function callerKind(c: Context<AppEnv>): string {
  const p = c.get("principal");
  if (!p) return "anonymous";
  if (p.kind === "service") return "service";
  return p.isAdmin ? "admin" : "member";
}

/**
 * The 426 a WebSocket route answers to a request without `Upgrade: websocket`, in the standard
 * body (INVALID_REQUEST: no code of its own); undefined when the request is an upgrade.
 */
export function upgradeRequired(c: Context<AppEnv>): Response | undefined {
  if (c.req.header("upgrade")?.toLowerCase() === "websocket") return undefined;
  const body: ErrorBody = {
    success: false,
    error: "Expected Upgrade: websocket",
    code: "INVALID_REQUEST",
    requestId: c.get("requestId") ?? "",
  };
  return c.json(body, 426);
}
