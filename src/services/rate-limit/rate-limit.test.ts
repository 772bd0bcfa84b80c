// Rate limits through the real routes and the real local Durable Object: exact admission under
// 50 concurrent requests, headers, independent keys, run-time overrides, fail-open.
import { afterEach, describe, expect, it, vi } from "vitest";
import { callJson, testEnv, uid } from "../../../test/helpers.ts";
import { bearer, createAdmin, createTestUser, TEST_PASSWORD } from "../../../test/users.ts";
import { createApp } from "../../app.ts";
import { forgetOverrides } from "./limits.ts";

afterEach(() => vi.restoreAllMocks());

const login = (email: string, ip: string) =>
  callJson<{ error?: string; code?: string }>("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip },
    body: JSON.stringify({ email, password: "Not-the-password-1" }),
  });

const randomIp = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

describe("rate limits on real routes", () => {
  it("admits exactly 10 failed logins per e-mail from one network, concurrent or not, then 429 with headers", async () => {
    const email = `${uid("target")}@example.com`;
    const ip = randomIp();
    const started = Math.floor(Date.now() / 1000);
    // 15 at once (below the per-network limit of 20): exactly the e-mail's 10 get through.
    const results = await Promise.all(Array.from({ length: 15 }, () => login(email, ip)));
    const admitted = results.filter((r) => r.res.status !== 429);
    const limited = [...results.filter((r) => r.res.status === 429), await login(email, ip)];
    // Under load the 16 logins take seconds: the reset is bounded by when the last one was answered.
    const finished = Math.ceil(Date.now() / 1000);
    expect(admitted).toHaveLength(10);
    expect(admitted.every((r) => r.res.status === 401 && r.body.error === "invalid_credentials")).toBe(true);
    expect(limited).toHaveLength(6);
    for (const r of limited) {
      expect(r.body, r.text).toMatchObject({ success: false, code: "RATE_LIMITED", error: "rate_limited" });
      expect(r.res.headers.get("x-ratelimit-limit")).toBe("10");
      expect(r.res.headers.get("x-ratelimit-remaining")).toBe("0");
      const retryAfter = Number(r.res.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(90); // one token per 90 s (10 per 15 min)
      // Reset is when the bucket is full again: ~15 minutes out, not "now + window" from an old call.
      const reset = Number(r.res.headers.get("x-ratelimit-reset"));
      expect(reset).toBeGreaterThan(started + 14 * 60);
      expect(reset).toBeLessThanOrEqual(finished + 15 * 60 + 1);
    }
  });

  it("keys IPv6 clients by their /64: another address of the same /64 is the same client", async () => {
    const a = Math.floor(Math.random() * 0xffff).toString(16);
    const b = Math.floor(Math.random() * 0xfffe);
    const prefix = `2001:db8:${a}:${b.toString(16)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      statuses.push(
        (await login(`${uid("v6")}@example.com`, `${prefix}::${(i + 1).toString(16)}`)).res.status,
      );
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.slice(20)).toEqual([429, 429]);
    const otherNetwork = await login(`${uid("v6")}@example.com`, `2001:db8:${a}:${(b + 1).toString(16)}::1`);
    expect(otherNetwork.res.status).toBe(401);
  });

  it("cannot be used by strangers to lock the owner out, and still bounds guessing across networks", async () => {
    const owner = await createTestUser();
    const email = owner.user.email;
    const networks = Array.from({ length: 50 }, () => randomIp());
    const started = Date.now();
    // 50 wrong passwords from 50 networks: none is refused, so none locks anything.
    const first: number[] = [];
    for (const ip of networks) first.push((await login(email, ip)).res.status);
    expect(first).toEqual(Array(50).fill(401));
    // The owner, from a network never seen, with the right password.
    const ok = await callJson<{ accessToken?: string }>("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
      body: JSON.stringify({ email, password: TEST_PASSWORD }),
    });
    expect(ok.res.status, ok.text).toBe(200);
    expect(ok.body.accessToken).toBeTruthy();
    // The e-mail's 30 are spent: each network now gets one attempt per 15 minutes.
    const second: number[] = [];
    for (const ip of networks) second.push((await login(email, ip)).res.status);
    const third: number[] = [];
    for (const ip of networks.slice(0, 5)) third.push((await login(email, ip)).res.status);
    // The e-mail's allowance refills at 30 per 15 minutes (one per 30 s): a slow machine running
    // these ~105 bcrypt checks for minutes earns the e-mail that many extra attempts, no more.
    const refilled = Math.floor((Date.now() - started) / 30_000);
    const guesses = [...second, ...third].filter((s) => s === 401).length;
    expect(guesses).toBeGreaterThanOrEqual(30);
    expect(guesses).toBeLessThanOrEqual(30 + refilled);
    expect([...second, ...third].every((s) => s === 401 || s === 429)).toBe(true);
    if (refilled === 0) {
      expect(second.filter((s) => s === 429)).toHaveLength(20);
      expect(third).toEqual(Array(5).fill(429));
    }
  }, 180_000); // ~80 bcrypt checks, one after another

  it("does not count successful logins against the e-mail", async () => {
    const owner = await createTestUser();
    const ip = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await callJson("/api/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": ip },
        body: JSON.stringify({ email: owner.user.email, password: TEST_PASSWORD }),
      });
      statuses.push(r.res.status);
    }
    expect(statuses).toEqual(Array(12).fill(200));
  });

  it("counts down Remaining on allowed answers and keeps keys independent", async () => {
    const ip = randomIp();
    const a = await login(`${uid("a")}@example.com`, ip);
    const b = await login(`${uid("b")}@example.com`, ip);
    // Per-IP limit is 20: the IP bucket is the most restrictive shown.
    expect(a.res.headers.get("x-ratelimit-limit")).toBe("10");
    expect(Number(a.res.headers.get("x-ratelimit-remaining"))).toBe(9);
    expect(Number(b.res.headers.get("x-ratelimit-remaining"))).toBe(9);
    const other = await login(`${uid("c")}@example.com`, randomIp());
    expect(other.res.status).toBe(401);
  });

  it("limits per client IP across different e-mails", async () => {
    const ip = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await login(`${uid("ip")}@example.com`, ip)).res.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.slice(20)).toEqual([429, 429]);
  });

  it("applies admin overrides at run time and can switch a limit off", async () => {
    const admin = await createAdmin();
    const put = (body: unknown) =>
      callJson<{ limits: { name: string; capacity: number; enabled: boolean; overridden: boolean }[] }>(
        "/api/admin/rate-limits/auth.register.ip",
        {
          method: "PUT",
          headers: { ...bearer(admin.token), "content-type": "application/json" },
          body: JSON.stringify(body),
        },
      );
    try {
      const set = await put({ capacity: 2, periodSeconds: 3600 });
      expect(set.res.status, set.text).toBe(200);
      expect(set.body.limits.find((l) => l.name === "auth.register.ip")).toMatchObject({
        capacity: 2,
        overridden: true,
      });
      const ip = randomIp();
      const register = () =>
        callJson("/api/v1/auth/register", {
          method: "POST",
          headers: { "content-type": "application/json", "cf-connecting-ip": ip },
          body: JSON.stringify({ email: "bad" }),
        });
      expect([
        (await register()).res.status,
        (await register()).res.status,
        (await register()).res.status,
      ]).toEqual([400, 400, 429]);
      await put({ enabled: false });
      expect((await register()).res.status).toBe(400);
      const list = await callJson<{ limits: { name: string }[] }>("/api/admin/rate-limits", {
        headers: bearer(admin.token),
      });
      expect(list.body.limits.map((l) => l.name)).toContain("hytale.device-code");
    } finally {
      await callJson("/api/admin/rate-limits/auth.register.ip", {
        method: "DELETE",
        headers: bearer(admin.token),
      });
      forgetOverrides();
    }
  });

  it("fails closed on the auth routes: an unreachable or hung limiter answers 503 with Retry-After", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = {
      idFromName: () => {
        throw new Error("DO unavailable");
      },
      getByName: () => {
        throw new Error("Durable Object is overloaded");
      },
    };
    const hung = { idFromName: () => ({}), getByName: () => ({ take: () => new Promise(() => {}) }) };
    for (const RATE_LIMITER of [broken, hung]) {
      const res = await createApp().request(
        "/api/v1/auth/login",
        {
          method: "POST",
          headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
          body: JSON.stringify({ email: `${uid("closed")}@example.com`, password: "Whatever-1" }),
        },
        { ...testEnv, RATE_LIMITER } as unknown as typeof testEnv,
      );
      const body = (await res.json()) as { code: string; error: string };
      expect(res.status).toBe(503);
      expect(body).toMatchObject({ code: "UNAVAILABLE", error: "service_unavailable" });
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("fails open (and logs an error) when the limiter cannot be reached", async () => {
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation(
      (...a: unknown[]) => void errors.push(a.map(String).join(" ")),
    );
    const broken = {
      idFromName: () => {
        throw new Error("DO unavailable");
      },
      getByName: () => {
        throw new Error("DO unavailable");
      },
    };
    const res = await createApp().request("/api/stats", { headers: { "cf-connecting-ip": randomIp() } }, {
      ...testEnv,
      RATE_LIMITER: broken,
    } as unknown as typeof testEnv);
    expect(res.status, await res.text()).toBe(200);
    expect(res.headers.get("x-ratelimit-limit")).toBeNull();
    expect(errors.join("\n")).toContain("fail-open");
    expect(errors.join("\n")).toContain("allowing request");
  });
});
