// Token-bucket math: refill, burst, fractional tokens, clock going backwards, reset times.
import { describe, expect, it } from "vitest";
import { give, refill, reserve, take } from "./bucket.ts";

const limit = { capacity: 5, periodMs: 5_000 }; // 1 token per second

describe("token bucket", () => {
  it("starts full and allows a burst of exactly capacity", () => {
    let state: ReturnType<typeof take>["state"] | undefined;
    const results = [];
    for (let i = 0; i < 7; i++) {
      const r = take(state, limit, 1_000);
      state = r.state;
      results.push(r.allowed);
    }
    expect(results).toEqual([true, true, true, true, true, false, false]);
  });

  it("refills lazily at capacity/period and never above capacity", () => {
    expect(refill({ tokens: 0, updatedAt: 0 }, limit, 2_500).tokens).toBeCloseTo(2.5);
    expect(refill({ tokens: 4, updatedAt: 0 }, limit, 60_000).tokens).toBe(5);
  });

  it("keeps fractional tokens between calls", () => {
    const a = take({ tokens: 0.6, updatedAt: 0 }, limit, 300); // 0.9 → not enough
    expect(a.allowed).toBe(false);
    expect(a.state.tokens).toBeCloseTo(0.9);
    expect(a.retryAfterMs).toBe(100);
    const b = take(a.state, limit, 400); // 1.0 → allowed
    expect(b.allowed).toBe(true);
    expect(b.state.tokens).toBeCloseTo(0);
  });

  it("does not mint tokens when the clock goes backwards", () => {
    const s = { tokens: 1, updatedAt: 10_000 };
    const back = refill(s, limit, 4_000);
    expect(back).toEqual({ tokens: 1, updatedAt: 10_000 });
    // …and the later forward step only counts time after the original reference.
    expect(refill(back, limit, 11_000).tokens).toBeCloseTo(2);
  });

  it("reports remaining and the true time the bucket is full again", () => {
    const r = take(undefined, limit, 1_000, 3);
    expect(r.remaining).toBe(2);
    expect(r.resetAt).toBe(1_000 + 3_000);
    const denied = take({ tokens: 0.5, updatedAt: 1_000 }, limit, 1_000);
    expect(denied.allowed).toBe(false);
    expect(denied.remaining).toBe(0);
    expect(denied.retryAfterMs).toBe(500);
    expect(denied.resetAt).toBe(1_000 + 4_500);
  });
});

describe("give", () => {
  it("returns tokens without exceeding capacity", () => {
    const limit = { capacity: 3, periodMs: 3000 };
    const taken = take(undefined, limit, 0, 2).state;
    expect(give(taken, limit, 0).tokens).toBe(2);
    expect(give(give(taken, limit, 0, 5), limit, 0).tokens).toBe(3);
  });
});

describe("reserve", () => {
  it("takes now while tokens are there, then reserves in order: each later caller waits longer", () => {
    let state: ReturnType<typeof reserve>["state"] | undefined;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = reserve(state, limit, 0, 3_000);
      state = r.state;
      waits.push(r.allowed ? r.waitMs : -1);
    }
    // 5 at once, then one a second; the 9th would wait 4 s > 3 s and is refused.
    expect(waits).toEqual([0, 0, 0, 0, 0, 1_000, 2_000, 3_000]);
    const refused = reserve(state, limit, 0, 3_000);
    expect(refused).toMatchObject({ allowed: false, waitMs: 0, retryAfterMs: 4_000 });
    expect(refused.state).toEqual(state);
  });

  it("holds reservations against plain takes: a take finds no token until they are served", () => {
    let state = reserve(undefined, limit, 0, 10_000, 5).state;
    state = reserve(state, limit, 0, 10_000).state; // due at 1 s
    expect(take(state, limit, 1_500).allowed).toBe(false);
    expect(take(state, limit, 2_000).allowed).toBe(true);
  });

  it("callers using reserved tokens at their time never beat the bucket's rate", () => {
    let state: ReturnType<typeof reserve>["state"] | undefined;
    const used: number[] = [];
    for (let now = 0; now < 20_000; now += 100) {
      for (let k = 0; k < 3; k++) {
        const r = reserve(state, limit, now, 2_000);
        state = r.state;
        if (r.allowed) used.push(now + r.waitMs);
      }
    }
    used.sort((a, b) => a - b);
    // Capacity plus one token a second, over any stretch of time.
    for (let i = 0; i < used.length; i++) {
      for (let j = i; j < used.length; j++) {
        expect(j - i + 1).toBeLessThanOrEqual(5 + ((used[j] as number) - (used[i] as number)) / 1_000 + 1e-6);
      }
    }
    expect(used.length).toBeGreaterThanOrEqual(5 + 19);
  });
});
