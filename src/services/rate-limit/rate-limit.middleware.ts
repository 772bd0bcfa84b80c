// `rateLimit(...names)`: takes one token from each named bucket through the RateLimiter DO and
// sets X-RateLimit-Limit/-Remaining/-Reset (the true refill time); a 429 adds Retry-After.
// Limits marked failClosed (login, register, forgot-password, magic link) refuse the request with
// 503 UNAVAILABLE + Retry-After when the limiter cannot be reached, errors or takes over 2 s (an
// attacker flooding the limiter must not switch the limits off); every other limit fails open
// and logs an error. E-mail limits count per (address, client network) under a per-address
// allowance, so strangers cannot lock an owner out (see docs/accounts.md).
// Everything comes from the request's seam: client address, caller, DO stubs, clock, logger.
import type { Context, MiddlewareHandler } from "hono";
import { sha256Hex } from "../../platform/crypto.ts";
import { normalizeEmail } from "../../platform/email-address.ts";
import { AppError } from "../../platform/errors.ts";
import { ipKey } from "../../platform/ip.ts";
import type { AppEnv } from "../../platform/types.ts";
import type { BucketLimit, TakeResult } from "./bucket.ts";
import {
  type EffectiveLimit,
  effective,
  LIMITS,
  type LimitName,
  loadOverrides,
  overrideKey,
  parseOverride,
  UNDER_ATTACK_CAPACITY,
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

/** The client network: IPv4 address or IPv6 /64 (see platform/ip.ts). */
function clientIp(c: Context<AppEnv>): string {
  return c.var.deps.meta.ip ?? "unknown";
}

/** The value a limit is keyed by, or undefined to skip it (e.g. no e-mail in the body). */
async function keyValue(c: Context<AppEnv>, limit: EffectiveLimit): Promise<string | undefined> {
  const principal = c.get("principal");
  switch (limit.key) {
    case "ip":
      return ipKey(clientIp(c));
    case "email": {
      const email = await bodyField(c, "email");
      return email ? normalizeEmail(email) : undefined;
    }
    case "user":
      if (principal?.kind === "user") return `user:${principal.user.id}`;
      if (principal?.kind === "service") return `key:${principal.keyId}`;
      return `ip:${ipKey(clientIp(c))}`;
    case "account": {
      if (principal?.kind === "user" && !principal.isAdmin) return principal.user.id;
      return (
        (await bodyField(c, "account_id")) ??
        (principal?.kind === "user" ? principal.user.id : `ip:${ipKey(clientIp(c))}`)
      );
    }
  }
}

/** A stub call that takes longer than this counts as an unreachable (overloaded) limiter. */
const LIMITER_TIMEOUT_MS = 2_000;
const UNAVAILABLE_RETRY_SECONDS = 5;

function withTimeout<T>(p: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("rate limiter timed out")), LIMITER_TIMEOUT_MS);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

type Stub = ReturnType<AppEnv["Variables"]["deps"]["stubs"]["rateLimiter"]>;

interface Taken {
  limit: EffectiveLimit;
  /** The capacity that applied (an e-mail under attack gets UNDER_ATTACK_CAPACITY per network). */
  capacity: number;
  result: TakeResult;
  /** Buckets this request took a token from that may be given back. */
  taken: { stub: Stub; limit: BucketLimit }[];
}

async function takeOne(c: Context<AppEnv>, limit: EffectiveLimit): Promise<Taken | undefined> {
  const value = await keyValue(c, limit);
  if (value === undefined) return undefined;
  const stubs = c.var.deps.stubs;
  const bucket = (LIMITS[limit.name] as { bucket?: string }).bucket ?? limit.name;
  const own: BucketLimit = { capacity: limit.capacity, periodMs: limit.periodMs };
  if (limit.key !== "email" || !limit.accountCapacity) {
    const stub = stubs.rateLimiter(`${bucket}:${await sha256Hex(value)}`);
    const result = await withTimeout(stub.take(own));
    return { limit, capacity: own.capacity, result, taken: result.allowed ? [{ stub, limit: own }] : [] };
  }
  // E-mail limits: the address's allowance across networks, then one per (address, network).
  const accountLimit: BucketLimit = { capacity: limit.accountCapacity, periodMs: limit.periodMs };
  const accountStub = stubs.rateLimiter(`${bucket}.account:${await sha256Hex(value)}`);
  const account = await withTimeout(accountStub.take(accountLimit));
  const pairLimit: BucketLimit = account.allowed
    ? own
    : { capacity: UNDER_ATTACK_CAPACITY, periodMs: limit.periodMs };
  const pairBucket = account.allowed ? bucket : `${bucket}.strict`;
  const network = ipKey(clientIp(c));
  const pairStub = stubs.rateLimiter(`${pairBucket}:${await sha256Hex(`${value}|${network}`)}`);
  const result = await withTimeout(pairStub.take(pairLimit));
  const taken = [
    ...(account.allowed ? [{ stub: accountStub, limit: accountLimit }] : []),
    ...(result.allowed ? [{ stub: pairStub, limit: pairLimit }] : []),
  ];
  return { limit, capacity: pairLimit.capacity, result, taken };
}

function refund(c: Context<AppEnv>, taken: Taken[]): void {
  for (const t of taken)
    for (const b of t.taken) c.var.deps.waitUntil(withTimeout(b.stub.refund(b.limit)).catch(() => {}));
}

/**
 * Takes one token from each named bucket. Limits marked failClosed (the auth routes) refuse the
 * request with 503 when the limiter cannot be reached or times out; the others let it through.
 */
export function rateLimit(...names: LimitName[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let results: Taken[];
    let limits: EffectiveLimit[] = [];
    try {
      const overrides = await loadOverrides(c.var.deps);
      limits = names
        .map((n) => effective(n, parseOverride(overrides.get(overrideKey(n)))))
        .filter((l) => l.enabled);
      results = (await Promise.all(limits.map((limit) => takeOne(c, limit)))).filter((t) => t !== undefined);
    } catch (err) {
      const closed = limits.some((l) => l.failClosed);
      c.var.deps.log("error", `rate limiter unavailable; ${closed ? "refusing" : "allowing"} request`, {
        limits: names,
        mode: closed ? "fail-closed" : "fail-open",
        error: err,
      });
      if (!closed) return next();
      throw new AppError("UNAVAILABLE", "Rate limiting is unavailable; try again shortly", {
        headers: { "Retry-After": String(UNAVAILABLE_RETRY_SECONDS) },
        publicError: c.req.path.startsWith("/api/v1/auth/") ? "service_unavailable" : undefined,
        retryable: true,
      });
    }
    if (results.length === 0) return next();
    const denied = results
      .filter((r) => !r.result.allowed)
      .sort((a, b) => b.result.retryAfterMs - a.result.retryAfterMs)[0];
    const shown = denied ?? results.slice().sort((a, b) => a.result.remaining - b.result.remaining)[0];
    if (!shown) return next();
    const headers: Record<string, string> = {
      "X-RateLimit-Limit": String(shown.capacity),
      "X-RateLimit-Remaining": String(shown.result.remaining),
      "X-RateLimit-Reset": String(Math.ceil(shown.result.resetAt / 1000)),
    };
    if (denied) {
      // A refused request made no attempt: the e-mail buckets it took from get their token back.
      refund(
        c,
        results.filter((r) => r.limit.key === "email"),
      );
      const retryAfter = Math.max(1, Math.ceil(denied.result.retryAfterMs / 1000));
      throw new AppError(
        "RATE_LIMITED",
        `Rate limit exceeded: ${denied.capacity} per ${denied.limit.periodSeconds} s. Retry after ${retryAfter} s.`,
        {
          headers: { ...headers, "Retry-After": String(retryAfter) },
          publicError: c.req.path.startsWith("/api/v1/auth/") ? "rate_limited" : undefined,
        },
      );
    }
    await next();
    if (c.res.status < 400)
      refund(
        c,
        results.filter((r) => r.limit.refundOnSuccess),
      );
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}
