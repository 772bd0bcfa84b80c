// The panel budgets' shape (perMinuteBudget): whatever the timing, a greedy caller never gets more
// than the panel's per-minute limit through in ANY 60 s — the panel counts fixed one-minute
// windows, wherever they fall — and still gets the sustained rate it was promised.
import { describe, expect, it } from "vitest";
import { busiestMinute } from "../../../test/helpers.ts";
import { type BucketState, take } from "../rate-limit/bucket.ts";
import { interactiveBudget } from "./client-api.ts";
import { perMinuteBudget } from "./panel-client.ts";

/** A caller taking whenever a token is there, every `stepMs`, for `ms`; the times it got one. */
function greedy(limit: ReturnType<typeof perMinuteBudget>, ms: number, stepMs: number): number[] {
  let state: BucketState | undefined;
  const times: number[] = [];
  for (let now = 0; now <= ms; now += stepMs) {
    const r = take(state, limit, now);
    state = r.state;
    if (r.allowed) times.push(now);
  }
  return times;
}

describe("perMinuteBudget", () => {
  for (const [perMinute, share] of [
    [240, 0.05],
    [480, 0.25],
    [40, 0.25],
    [7, 0.05],
    [2, 0.5],
  ] as const) {
    it(`${perMinute}/min, burst ${share * 100} %: never more than ${perMinute} in any 60 s`, () => {
      const limit = perMinuteBudget(perMinute, share);
      const times = greedy(limit, 5 * 60_000, 25);
      expect(busiestMinute(times)).toBeLessThanOrEqual(perMinute);
      // The promise kept: the burst at once, then the rest of the minute, every minute.
      const sustained = perMinute - limit.capacity;
      expect(times.length).toBeGreaterThanOrEqual(limit.capacity + 5 * sustained - 1);
    });
  }

  it("the old shape (a minute's worth, refilled per minute) let twice the limit through", () => {
    const old = { capacity: 240, periodMs: 60_000 };
    expect(busiestMinute(greedy(old, 5 * 60_000, 25))).toBeGreaterThan(400);
  });

  it("the interactive share is the client limit minus the sync's, a quarter of it as burst", () => {
    const limit = interactiveBudget({ url: "x", apiKey: "k", requestsPerMinute: 240 } as never);
    expect(limit.capacity).toBe(120);
    expect(busiestMinute(greedy(limit, 3 * 60_000, 25))).toBeLessThanOrEqual(480);
  });
});
