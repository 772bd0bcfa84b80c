// Cutover: access tokens the Go backend issued pass until LEGACY_TOKENS_UNTIL (unset = refused),
// with the user row re-read as for ours; any other algorithm, a bad signature, no expiry or an
// issuer of someone else is refused as before. A raw upstream refresh token in `sessions` is
// exchanged once for one of ours (a new family), then gone.
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testDb, testEnv, uid } from "../../../test/helpers.ts";
import { bearer, createAdmin, createTestUser, upstreamToken } from "../../../test/users.ts";
import { createApp } from "../../app.ts";
import { auditLogs, sessions, users } from "../../platform/db/schema/index.ts";

const app = createApp();
const future = new Date(Date.now() + 7 * 86_400_000).toISOString();
const past = new Date(Date.now() - 60_000).toISOString();
const withCutoff = (until?: string) => (until ? { ...testEnv, LEGACY_TOKENS_UNTIL: until } : testEnv);

async function me(token: string, until?: string) {
  const res = await app.request("/api/v1/auth/me", { headers: bearer(token) }, withCutoff(until));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("upstream access tokens", () => {
  it("are refused without LEGACY_TOKENS_UNTIL and after it", async () => {
    const { user } = await createTestUser();
    const token = await upstreamToken(user);
    expect(await me(token)).toMatchObject({ status: 401, body: { error: "invalid_token" } });
    expect(await me(token, past)).toMatchObject({ status: 401, body: { error: "invalid_token" } });
  });

  it("pass before the cutoff, on member and admin routes, with the user row re-read", async () => {
    const { user } = await createTestUser();
    const token = await upstreamToken(user);
    const ok = await me(token, future);
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ id: user.id, email: user.email });

    const admin = await createAdmin();
    const adminRes = await app.request(
      "/api/admin/users",
      { headers: bearer(await upstreamToken(admin.user)) },
      withCutoff(future),
    );
    expect(adminRes.status, await adminRes.text()).toBe(200);

    await testDb().update(users).set({ isActive: false }).where(eq(users.id, user.id));
    expect(await me(token, future)).toMatchObject({ status: 401, body: { error: "account_disabled" } });
  });

  it("other algorithms, bad signatures, no expiry, expired or a foreign issuer are refused", async () => {
    const { user } = await createTestUser();
    const variants = {
      expired: await upstreamToken(user, { expiresIn: -60 }),
      badSignature: await upstreamToken(user, { secret: "not-the-shared-secret-0123456789" }),
      hs512: await upstreamToken(user, { alg: "HS512" }),
      noExpiry: await upstreamToken(user, { noExp: true }),
      foreignIssuer: await upstreamToken(user, { issuer: "someone-else" }),
    };
    for (const [name, token] of Object.entries(variants)) {
      expect((await me(token, future)).status, name).toBe(401);
    }
  });
});

describe("upstream refresh tokens", () => {
  async function seedSession(userId: string) {
    const raw = crypto
      .getRandomValues(new Uint8Array(32))
      .reduce((s, b) => s + b.toString(16).padStart(2, "0"), "");
    await testDb()
      .insert(sessions)
      .values({
        id: uid("sess"),
        sessionToken: raw,
        userId,
        expires: new Date(Date.now() + 80 * 86_400_000),
      });
    return raw;
  }
  const refresh = (refreshToken: string, until?: string) =>
    app.request(
      "/api/v1/auth/refresh",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refreshToken }),
      },
      withCutoff(until),
    );

  it("are exchanged once for one of ours before the cutoff, then gone", async () => {
    const { user } = await createTestUser();
    const raw = await seedSession(user.id);
    const res = await refresh(raw, future);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { refreshToken: string; accessToken: string };
    expect(body.refreshToken).not.toBe(raw);
    expect((await me(body.accessToken)).status).toBe(200);
    expect(await testDb().select().from(sessions).where(eq(sessions.sessionToken, raw))).toHaveLength(0);
    expect((await refresh(raw, future)).status).toBe(401);
    // ours now: rotates like any other
    expect((await refresh(body.refreshToken)).status).toBe(200);
    const audit = await testDb()
      .select()
      .from(auditLogs)
      .where(sql`${auditLogs.action} = 'auth.legacy_refresh' and ${auditLogs.targetId} = ${user.id}`);
    expect(audit).toHaveLength(1);
  });

  it("are refused without the cutoff, and the session row stays for a rollback", async () => {
    const { user } = await createTestUser();
    const raw = await seedSession(user.id);
    expect((await refresh(raw)).status).toBe(401);
    expect((await refresh(raw, past)).status).toBe(401);
    expect(await testDb().select().from(sessions).where(eq(sessions.sessionToken, raw))).toHaveLength(1);
  });
});
