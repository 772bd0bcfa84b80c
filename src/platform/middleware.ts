// Request-wide middleware: CORS, request log, config/db/logger on the context, JSON body rules.
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { getDb } from "./db/client.ts";
import { createDeps } from "./deps.ts";
import { getConfig, parseOrigins } from "./env.ts";
import { AppError } from "./errors.ts";
import { childLogger, log, redactUrl } from "./log.ts";
import { actorOf, clientMeta } from "./principal.ts";
import type { AppEnv } from "./types.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * CORS as the website needs it (website-client §2): preflight answered before any auth, exact
 * origin echo with credentials. Origins come straight from CORS_ORIGINS so preflight works even
 * while the rest of the config is broken.
 */
export function corsMiddleware(): MiddlewareHandler<AppEnv> {
  return cors({
    origin: (origin, c) => (parseOrigins(c.env.CORS_ORIGINS).includes(origin) ? origin : null),
    credentials: true,
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "X-API-Key", "X-Request-Id"],
    exposeHeaders: [
      "X-Request-Id",
      "X-RateLimit-Limit",
      "X-RateLimit-Remaining",
      "X-RateLimit-Reset",
      "Retry-After",
    ],
    maxAge: 600,
  });
}

/**
 * One structured line per failed request (4xx/5xx) or slow one; query secrets (`api_key`,
 * `token`) redacted. Successful requests are already in Workers Logs and `wrangler tail` as
 * invocation events, so a line of our own for each would only cost CPU on the hot path.
 */
export function requestLog(slowMs = 1000): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    await next();
    const ms = Date.now() - started;
    const status = c.res.status;
    if (status < 400 && ms < slowMs) return;
    const url = new URL(c.req.url);
    log(
      status >= 500 ? "error" : status >= 400 ? "info" : "warn",
      status < 400 ? "slow request" : "request failed",
      {
        requestId: c.get("requestId"),
        method: c.req.method,
        path: redactUrl(url.pathname + url.search),
        status,
        ms,
        ip: clientMeta(c.req.raw.headers).ip,
      },
    );
  };
}

/**
 * Parses config once per env and puts config, db, the request logger and the dependency seam
 * (anonymous until the access layer names the caller) on the context.
 */
export function contextMiddleware(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const config = getConfig(c.env);
    const requestLog = childLogger({ requestId: c.get("requestId") });
    const meta = clientMeta(c.req.raw.headers);
    c.set("config", config);
    c.set("db", getDb(config));
    c.set("log", requestLog);
    c.set(
      "deps",
      createDeps(config, {
        log: requestLog,
        actor: actorOf(undefined, meta),
        meta,
        waitUntil: (p) => {
          const settled = p.catch(() => {});
          try {
            c.executionCtx.waitUntil(settled);
          } catch {
            // No execution context (app.request() in a unit test): the promise just runs.
          }
        },
      }),
    );
    await next();
  };
}

function hasNul(raw: string): boolean {
  if (!raw.includes("%00") && !raw.includes("\u0000")) return false;
  try {
    return decodeURIComponent(raw).includes("\u0000");
  } catch {
    return true;
  }
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** A JSON `\\uD800`-style escape: the only way a lone surrogate can arrive (raw bytes decode as U+FFFD). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;

function hasIllFormedString(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return !value.isWellFormed();
  if (depth > 64 || value === null || typeof value !== "object") return false;
  for (const [k, v] of Object.entries(value)) {
    if (!k.isWellFormed() || hasIllFormedString(v, depth + 1)) return true;
  }
  return false;
}

/**
 * Whether a JSON body holds a lone surrogate in any key or string: Postgres (text and jsonb) and
 * Neon refuse them, so they are a 400 here, not a 500 later. Bodies without such an escape are not
 * parsed twice.
 */
function hasLoneSurrogate(text: string): boolean {
  if (!SURROGATE_ESCAPE.test(text)) return false;
  try {
    return hasIllFormedString(JSON.parse(text));
  } catch {
    return false; // malformed JSON: the route's validator answers 400
  }
}

/**
 * Reads a body as text, refusing (413) as soon as it passes MAX_BODY_BYTES — while reading, so a
 * chunked body without Content-Length (or one that lies about it) is never buffered whole.
 */
async function readBounded(body: ReadableStream<Uint8Array>): Promise<string> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw new AppError("PAYLOAD_TOO_LARGE", "Request body too large");
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

/**
 * Bodies: over MAX_BODY_BYTES → 413; a JSON content type with an empty body (the website sends
 * those on bodiless POSTs) reads as `{}`. Malformed JSON and wrong types are left to the route
 * validators, which answer 400 / 415 through onError.
 */
export function bodyRules(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Postgres text cannot hold NUL: refuse it at the door instead of failing in SQL.
    if (hasNul(c.req.path) || hasNul(new URL(c.req.url).search)) {
      throw new AppError("INVALID_REQUEST", "NUL characters are not allowed in the URL");
    }
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > MAX_BODY_BYTES) throw new AppError("PAYLOAD_TOO_LARGE", "Request body too large");
    const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
    const emptyAsObject = () => {
      (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve("{}");
    };
    if (!c.req.raw.body) {
      if (JSON_TYPE.test(type)) emptyAsObject();
      return next();
    }
    const text = await readBounded(c.req.raw.body);
    (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
    if (JSON_TYPE.test(type) && text.trim() === "") emptyAsObject();
    if (text.includes("\u0000") || text.includes("\\u0000")) {
      throw new AppError("INVALID_REQUEST", "NUL characters are not allowed in the body");
    }
    if (JSON_TYPE.test(type) && hasLoneSurrogate(text)) {
      throw new AppError(
        "INVALID_REQUEST",
        "Text with unpaired UTF-16 surrogates is not allowed in the body",
      );
    }
    return next();
  };
}
