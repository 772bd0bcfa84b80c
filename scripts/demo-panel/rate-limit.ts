// Demo panel: Laravel's fixed-window throttle (RateLimiter + ThrottleRequests) as the panel applies
// it per API key: the window opens on the first hit and lasts 60 s; an over-limit hit isn't counted.

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds until the window resets (Retry-After), only meaningful when refused. */
  retryAfter: number;
  /** Unix seconds when the window resets (X-RateLimit-Reset). */
  resetAt: number;
}

export class FixedWindowLimiter {
  private readonly windows = new Map<string, { availableAt: number; attempts: number }>();
  private readonly windowSeconds: number;
  private readonly clock: () => number;

  constructor(windowSeconds = 60, clock: () => number = Date.now) {
    this.windowSeconds = windowSeconds;
    this.clock = clock;
  }

  hit(key: string, limit: number): RateDecision {
    const now = Math.floor(this.clock() / 1000);
    let w = this.windows.get(key);
    if (!w || now >= w.availableAt) {
      w = { availableAt: now + this.windowSeconds, attempts: 0 };
      this.windows.set(key, w);
    }
    const retryAfter = Math.max(0, w.availableAt - now);
    if (w.attempts >= limit) {
      return { allowed: false, limit, remaining: 0, retryAfter, resetAt: now + retryAfter };
    }
    w.attempts++;
    return {
      allowed: true,
      limit,
      remaining: Math.max(0, limit - w.attempts),
      retryAfter,
      resetAt: w.availableAt,
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
