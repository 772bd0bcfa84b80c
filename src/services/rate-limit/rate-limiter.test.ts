// The RateLimiter Durable Object through the real local DO runtime: exact admission under
// concurrency, independent keys, state surviving eviction, idle clean-up by alarm.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { uid } from "../../../test/helpers.ts";
import type { RateLimiter } from "./rate-limiter.do.ts";

const ns = () => (env as unknown as { RATE_LIMITER: DurableObjectNamespace<RateLimiter> }).RATE_LIMITER;
const limit = { capacity: 10, periodMs: 3_600_000 };

describe("RateLimiter DO", () => {
  it("admits exactly capacity out of 50 concurrent takes on one key", async () => {
    const stub = ns().getByName(uid("rl"));
    const results = await Promise.all(Array.from({ length: 50 }, () => stub.take(limit)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterMs > 0)).toBe(true);
  });

  it("reserves in order under concurrency, and a clamp never cancels reservations", async () => {
    const stub = ns().getByName(uid("rl-reserve"));
    const pace = { capacity: 2, periodMs: 2_000 }; // one token a second
    const now = Date.now(); // the idle alarm runs on the real clock
    const results = await Promise.all(Array.from({ length: 6 }, () => stub.reserve(pace, 3_000, now)));
    const waits = results.filter((r) => r.allowed).map((r) => r.waitMs);
    expect(waits.sort((a, b) => a - b)).toEqual([0, 0, 1_000, 2_000, 3_000]);
    expect(results.filter((r) => !r.allowed)).toHaveLength(1);
    // The panel says 5 are left: that does not hand out the tokens already promised.
    await stub.clamp(pace, 5, now);
    expect((await stub.take(pace, 1, now + 3_500)).allowed).toBe(false);
    expect((await stub.take(pace, 1, now + 4_000)).allowed).toBe(true);
  });

  it("keeps keys independent", async () => {
    const a = ns().getByName(uid("rl-a"));
    const b = ns().getByName(uid("rl-b"));
    for (let i = 0; i < 10; i++) await a.take(limit);
    expect((await a.take(limit)).allowed).toBe(false);
    expect((await b.take(limit)).allowed).toBe(true);
  });

  it("persists state so it survives the object being evicted", async () => {
    const name = uid("rl-evict");
    const first = ns().getByName(name);
    for (let i = 0; i < 10; i++) await first.take(limit);
    await runInDurableObject(first, async (_instance, state) => {
      const rows = state.storage.sql.exec("SELECT tokens FROM bucket").toArray();
      expect(rows).toHaveLength(1);
    });
    const { evictDurableObject } = await import("cloudflare:test");
    await evictDurableObject(first);
    const again = ns().getByName(name);
    expect((await again.take(limit)).allowed).toBe(false);
  });

  it("deletes a bucket that is full again when its alarm fires", async () => {
    const stub = ns().getByName(uid("rl-alarm"));
    const short = { capacity: 2, periodMs: 50 };
    await stub.take(short);
    await new Promise((r) => setTimeout(r, 120));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.peek()).toBeUndefined();
  });
});
