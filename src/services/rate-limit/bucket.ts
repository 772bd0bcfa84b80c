// Token-bucket math as a pure function of `now`: lazy refill, burst up to capacity, fractional
// tokens, and a clock that goes backwards never mints tokens.

export interface BucketLimit {
  /** Maximum tokens (the burst). */
  capacity: number;
  /** Milliseconds to refill the bucket from empty to full. */
  periodMs: number;
}

export interface BucketState {
  tokens: number;
  /** Time (ms since epoch) the tokens value was computed at. */
  updatedAt: number;
}

export interface TakeResult {
  allowed: boolean;
  state: BucketState;
  /** Whole tokens left after this call. */
  remaining: number;
  /** When the bucket is full again (ms since epoch): the true refill time. */
  resetAt: number;
  /** Milliseconds until `cost` tokens are available (0 when allowed). */
  retryAfterMs: number;
}

const rate = (limit: BucketLimit) => limit.capacity / limit.periodMs;
/** ceil() that ignores floating-point dust (100.00000000000001 ms is 100 ms). */
const ceilMs = (ms: number) => Math.ceil(ms - 1e-6);

/** Tokens at `now`: `min(capacity, tokens + elapsed × rate)`; elapsed is clamped at 0. */
export function refill(state: BucketState | undefined, limit: BucketLimit, now: number): BucketState {
  if (!state) return { tokens: limit.capacity, updatedAt: now };
  const elapsed = Math.max(0, now - state.updatedAt);
  return {
    tokens: Math.min(limit.capacity, state.tokens + elapsed * rate(limit)),
    // Never move the reference time backwards: a clock step back neither adds nor loses tokens.
    updatedAt: Math.max(state.updatedAt, now),
  };
}

export function take(state: BucketState | undefined, limit: BucketLimit, now: number, cost = 1): TakeResult {
  const current = refill(state, limit, now);
  // Tolerate floating-point dust: 0.6 + 0.3 + 0.1 tokens is one token.
  const allowed = current.tokens + 1e-9 >= cost;
  const next = allowed ? { ...current, tokens: Math.max(0, current.tokens - cost) } : current;
  const missingToFull = limit.capacity - next.tokens;
  const resetAt = next.updatedAt + ceilMs(missingToFull / rate(limit));
  const retryAfterMs = allowed ? 0 : ceilMs((cost - next.tokens) / rate(limit));
  return { allowed, state: next, remaining: Math.max(0, Math.floor(next.tokens)), resetAt, retryAfterMs };
}

export interface ReserveResult extends TakeResult {
  /** How long the caller must wait before using what it reserved (0: now). */
  waitMs: number;
}

/**
 * Takes `cost` tokens now or, when they will be there within `maxWaitMs`, reserves them: the
 * tokens go below zero and the caller waits `waitMs` before using them. Reservations queue in
 * order (each later one waits longer) and every taker sees them, so callers that wait as told
 * never go faster than the bucket allows — pacing without retries that collide.
 */
export function reserve(
  state: BucketState | undefined,
  limit: BucketLimit,
  now: number,
  maxWaitMs: number,
  cost = 1,
): ReserveResult {
  const current = refill(state, limit, now);
  const missing = cost - current.tokens;
  const waitMs = missing <= 1e-9 ? 0 : ceilMs(missing / rate(limit));
  const next = waitMs <= maxWaitMs ? { ...current, tokens: current.tokens - cost } : current;
  const allowed = next !== current;
  const resetAt = next.updatedAt + ceilMs((limit.capacity - next.tokens) / rate(limit));
  return {
    allowed,
    state: next,
    remaining: Math.max(0, Math.floor(next.tokens)),
    resetAt,
    retryAfterMs: allowed ? 0 : waitMs,
    waitMs: allowed ? waitMs : 0,
  };
}

/** Gives `cost` tokens back (a refunded attempt), never above capacity. */
export function give(state: BucketState | undefined, limit: BucketLimit, now: number, cost = 1): BucketState {
  const current = refill(state, limit, now);
  return { tokens: Math.min(limit.capacity, current.tokens + cost), updatedAt: current.updatedAt };
}
