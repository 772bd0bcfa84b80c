// Rate limits through the real routes and the real local Durable Object: exact admission under
// 50 concurrent requests, headers, independent keys, run-time overrides, fail-open.
import { afterEach, describe, expect, it, vi } from "vitest";
import { callJson, testEnv, uid } from "../../../test/helpers.ts";
import { bearer, createAdmin } from "../../../test/users.ts";
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
  it("admits exactly capacity of 50 concurrent logins for one e-mail, then answers 429 with headers", async () => {
    const email = `${uid("target")}@example.com`;
    const started = Math.floor(Date.now() / 1000);
    const results = await Promise.all(Array.from({ length: 50 }, () => login(email, randomIp())));
    const admitted = results.filter((r) => r.res.status !== 429);
    const limited = results.filter((r) => r.res.status === 429);
    expect(admitted).toHaveLength(10);
    expect(admitted.every((r) => r.res.status === 401 && r.body.error === "invalid_credentials")).toBe(true);
    expect(limited).toHaveLength(40);
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
      expect(reset).toBeLessThanOrEqual(started + 15 * 60 + 2);
    }
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
  });
});
