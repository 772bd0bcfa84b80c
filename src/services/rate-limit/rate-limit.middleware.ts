// `rateLimit(...names)`: takes one token from each named bucket through the RateLimiter DO and
// sets X-RateLimit-Limit/-Remaining/-Reset (the true refill time); a 429 adds Retry-After.
// Fail-open by design: if the DO cannot be reached the request goes through and an error is
// logged (a login outage is worse than a short unlimited window; the DO is rarely unavailable).
// Everything comes from the request's seam: client address, caller, DO stubs, clock, logger.
import type { Context, MiddlewareHandler } from "hono";
import { sha256Hex } from "../../platform/crypto.ts";
import { normalizeEmail } from "../../platform/email-address.ts";
import { AppError } from "../../platform/errors.ts";
import type { AppEnv } from "../../platform/types.ts";
import type { TakeResult } from "./bucket.ts";
import {
  type EffectiveLimit,
  effective,
  LIMITS,
  type LimitName,
  loadOverrides,
  overrideKey,
  parseOverride,
} from "./limits.ts";

async function bodyField(c: Context<AppEnv>, field: string): Promise<string | undefined> {
  if (!(c.req.header("content-type") ?? "").includes("json")) return undefined;
  try {
    const body = (await c.req.json()) as Record<string, unknown> | null;
    const v = body && typeof body === "object" ? body[field] : undefined;
    return typeof v === "string" && v.length > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

function clientIp(c: Context<AppEnv>): string {
  return c.var.deps.meta.ip ?? "unknown";
}

/** The value a limit is keyed by, or undefined to skip it (e.g. no e-mail in the body). */
async function keyValue(c: Context<AppEnv>, limit: EffectiveLimit): Promise<string | undefined> {
  const principal = c.get("principal");
  switch (limit.key) {
    case "ip":
      return clientIp(c);
    case "email": {
      const email = await bodyField(c, "email");
      return email ? normalizeEmail(email) : undefined;
    }
    case "user":
      if (principal?.kind === "user") return `user:${principal.user.id}`;
      if (principal?.kind === "service") return `key:${principal.keyId}`;
      return `ip:${clientIp(c)}`;
    case "account": {
      if (principal?.kind === "user" && !principal.isAdmin) return principal.user.id;
      return (
        (await bodyField(c, "account_id")) ??
        (principal?.kind === "user" ? principal.user.id : `ip:${clientIp(c)}`)
      );
    }
  }
}

export function rateLimit(...names: LimitName[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let results: { limit: EffectiveLimit; result: TakeResult }[];
    try {
      const overrides = await loadOverrides(c.var.deps);
      const limits = names
        .map((n) => effective(n, parseOverride(overrides.get(overrideKey(n)))))
        .filter((l) => l.enabled);
      const taken = await Promise.all(
        limits.map(async (limit) => {
          const value = await keyValue(c, limit);
          if (value === undefined) return undefined;
          const bucket = (LIMITS[limit.name] as { bucket?: string }).bucket ?? limit.name;
          const stub = c.var.deps.stubs.rateLimiter(`${bucket}:${await sha256Hex(value)}`);
          return { limit, result: await stub.take({ capacity: limit.capacity, periodMs: limit.periodMs }) };
        }),
      );
      results = taken.filter((t) => t !== undefined);
    } catch (err) {
      c.var.deps.log("error", "rate limiter unavailable; allowing request (fail-open)", {
        limits: names,
        error: err,
      });
      return next();
    }
    if (results.length === 0) return next();
    const denied = results
      .filter((r) => !r.result.allowed)
      .sort((a, b) => b.result.retryAfterMs - a.result.retryAfterMs)[0];
    const shown = denied ?? results.slice().sort((a, b) => a.result.remaining - b.result.remaining)[0];
    if (!shown) return next();
    const headers: Record<string, string> = {
      "X-RateLimit-Limit": String(shown.limit.capacity),
      "X-RateLimit-Remaining": String(shown.result.remaining),
      "X-RateLimit-Reset": String(Math.ceil(shown.result.resetAt / 1000)),
    };
    if (denied) {
      const retryAfter = Math.max(1, Math.ceil(denied.result.retryAfterMs / 1000));
      throw new AppError(
        "RATE_LIMITED",
        `Rate limit exceeded: ${denied.limit.capacity} per ${denied.limit.periodSeconds} s. Retry after ${retryAfter} s.`,
        {
          headers: { ...headers, "Retry-After": String(retryAfter) },
          publicError: c.req.path.startsWith("/api/v1/auth/") ? "rate_limited" : undefined,
        },
      );
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}
