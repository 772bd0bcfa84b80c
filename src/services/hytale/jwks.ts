// Verifying Hytale JWTs (identity, session and access tokens) against Hytale's JWKS, with jose:
// EdDSA (Ed25519) only, `kid` required, keys cached per isolate (1 h), a refetch on an unknown
// `kid` at most once per minute (so spraying unknown kids cannot cause a fetch per request),
// `exp` required with a small skew, `iat` in the future refused, `aud` a string or an array
// (upstream's validator only accepted arrays; identity tokens carry "hytale-server" as a string).
import { decodeProtectedHeader, importJWK, type JWK, type JWTPayload, jwtVerify } from "jose";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";

export const JWKS_CACHE_MS = 3_600_000;
export const JWKS_MIN_REFETCH_MS = 60_000;
export const CLOCK_SKEW_SECONDS = 30;
export const MAX_FUTURE_IAT_SECONDS = 60;

type Key = Awaited<ReturnType<typeof importJWK>>;

interface KeySet {
  keys: Map<string, Key>;
  fetchedAt: number;
}

interface Cache {
  set?: KeySet;
  /** When we last asked (success or not): the refetch throttle. */
  lastFetchAt: number;
  inflight?: Promise<KeySet>;
}

const caches = new Map<string, Cache>();

export type VerifierDeps = Pick<Deps, "fetch" | "now">;

export interface VerifyOptions {
  /** Expected audience: the token's `aud` (string or array) must contain it. */
  audience?: string;
  issuer?: string;
  jwksUrl: string;
}

function refused(reason: string): AppError {
  return new AppError("UNAUTHORIZED", `Hytale token refused: ${reason}`, {
    publicError: "invalid_hytale_token",
  });
}

async function fetchKeys(deps: VerifierDeps, url: string): Promise<KeySet> {
  let res: Response;
  try {
    res = await deps.fetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new AppError("UPSTREAM_ERROR", "Hytale JWKS could not be fetched", { retryable: true, cause: err });
  }
  if (!res.ok)
    throw new AppError("UPSTREAM_ERROR", `Hytale JWKS answered ${res.status}`, { retryable: true });
  const body = (await res.json().catch(() => undefined)) as { keys?: unknown } | undefined;
  const keys = new Map<string, Key>();
  for (const k of Array.isArray(body?.keys) ? body.keys : []) {
    const jwk = k as JWK;
    // Only Ed25519 signing keys with a kid and a 32-byte public key.
    if (
      jwk?.kty !== "OKP" ||
      jwk.crv !== "Ed25519" ||
      typeof jwk.kid !== "string" ||
      typeof jwk.x !== "string"
    )
      continue;
    if (jwk.use !== undefined && jwk.use !== "sig") continue;
    if (jwk.alg !== undefined && jwk.alg !== "EdDSA" && jwk.alg !== "Ed25519") continue;
    if (atob(jwk.x.replaceAll("-", "+").replaceAll("_", "/")).length !== 32) continue;
    try {
      keys.set(jwk.kid, await importJWK({ kty: "OKP", crv: "Ed25519", x: jwk.x }, "EdDSA"));
    } catch {
      // A malformed key is skipped, not fatal for the others.
    }
  }
  return { keys, fetchedAt: deps.now().getTime() };
}

/** One fetch at a time per URL; failures are remembered by the throttle too. */
function refetch(deps: VerifierDeps, url: string, cache: Cache): Promise<KeySet> {
  if (cache.inflight) return cache.inflight;
  cache.lastFetchAt = deps.now().getTime();
  cache.inflight = fetchKeys(deps, url)
    .then((set) => {
      cache.set = set;
      return set;
    })
    .finally(() => {
      cache.inflight = undefined;
    });
  return cache.inflight;
}

async function keyFor(deps: VerifierDeps, url: string, kid: string): Promise<Key | undefined> {
  let cache = caches.get(url);
  if (!cache) {
    cache = { lastFetchAt: 0 };
    caches.set(url, cache);
  }
  const now = deps.now().getTime();
  const fresh = cache.set && now - cache.set.fetchedAt < JWKS_CACHE_MS;
  const throttled = now - cache.lastFetchAt < JWKS_MIN_REFETCH_MS;
  if (!cache.set || (!fresh && !throttled)) await refetch(deps, url, cache);
  const hit = cache.set?.keys.get(kid);
  if (hit) return hit;
  // Unknown kid: maybe the keys rotated. Ask again, but at most once per JWKS_MIN_REFETCH_MS.
  if (now - cache.lastFetchAt < JWKS_MIN_REFETCH_MS) return undefined;
  return (await refetch(deps, url, cache)).keys.get(kid);
}

/** Verifies a Hytale JWT and returns its claims; throws UNAUTHORIZED (or UPSTREAM_ERROR for the JWKS). */
export async function verifyHytaleToken(
  deps: VerifierDeps,
  token: string,
  opts: VerifyOptions,
): Promise<JWTPayload> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw refused("not a JWT");
  }
  if (header.alg !== "EdDSA" && header.alg !== "Ed25519") throw refused("algorithm must be EdDSA");
  if (typeof header.kid !== "string" || !header.kid) throw refused("kid is required");
  const key = await keyFor(deps, opts.jwksUrl, header.kid);
  if (!key) throw refused("unknown signing key");
  const now = deps.now();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ["EdDSA", "Ed25519"],
      currentDate: now,
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ["exp", "sub"],
      audience: opts.audience,
      issuer: opts.issuer,
    }));
  } catch (err) {
    throw refused(err instanceof Error ? err.message : "verification failed");
  }
  if (typeof payload.iat === "number" && payload.iat > now.getTime() / 1000 + MAX_FUTURE_IAT_SECONDS) {
    throw refused("issued in the future");
  }
  return payload;
}

/** Tests: forget every cached key set. */
export function forgetJwks(): void {
  caches.clear();
}
