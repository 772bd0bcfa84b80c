// Through the API, on the database `db:adopt` took over from upstream (vitest.adopted.config.ts):
// upstream's users sign in with their bcrypt hashes, their refresh tokens keep working, the secrets
// upstream stored read back, NULL-username users and text metadata are served, the 02:00 cleanup
// keeps the year-0001 game sessions it would have deleted.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { maintenanceJobs } from "../../src/services/jobs/maintenance.jobs.ts";
import { readSettings } from "../../src/services/settings/settings.ts";
import { callJson, jobMessage, testDb, testDeps, testEnv } from "../helpers.ts";
import { fake, get, post, tokenRow } from "../hytale.ts";
import { UPSTREAM } from "../upstream/fixture.ts";
import { bearer, upstreamToken } from "../users.ts";

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

async function adminToken(): Promise<string> {
  const { res, body } = await callJson<{ accessToken: string }>(
    "/api/v1/auth/login",
    json({ email: UPSTREAM.admin.email, password: UPSTREAM.password }),
  );
  expect(res.status).toBe(200);
  return body.accessToken;
}

describe("an adopted upstream database", () => {
  it("upstream users sign in with their $2b$ hashes; e-mails match case-insensitively", async () => {
    await adminToken();
    const member = await callJson(
      "/api/v1/auth/login",
      json({ email: UPSTREAM.member.email.toLowerCase(), password: UPSTREAM.password }),
    );
    expect(member.res.status).toBe(200);
    // NULL username: answered as upstream did, the e-mail's local part
    expect(member.body.user).toMatchObject({ id: UPSTREAM.member.id, username: "Legacy.Member" });
    const disabled = await callJson(
      "/api/v1/auth/login",
      json({ email: UPSTREAM.disabled.email, password: UPSTREAM.password }),
    );
    expect(disabled.res.status).toBe(401);
  });

  it("the refresh token upstream issued (hashed by adopt) is exchanged, then rotates as ours", async () => {
    const first = await callJson<{ refreshToken: string }>(
      "/api/v1/auth/refresh",
      json({ refreshToken: UPSTREAM.sessionToken }),
    );
    expect(first.res.status, first.text).toBe(200);
    expect(first.body.refreshToken).not.toBe(UPSTREAM.sessionToken);
    const next = await callJson("/api/v1/auth/refresh", json({ refreshToken: first.body.refreshToken }));
    expect(next.res.status).toBe(200);
    const expired = await callJson(
      "/api/v1/auth/refresh",
      json({ refreshToken: UPSTREAM.expiredSessionToken }),
    );
    expect(expired.res.status).toBe(401);
  });

  it("a raw token the Go backend wrote after the adoption works once before the cutoff", async () => {
    const env = { ...testEnv, LEGACY_TOKENS_UNTIL: new Date(Date.now() + 86_400_000).toISOString() };
    const app = createApp();
    const send = () =>
      app.request("/api/v1/auth/refresh", json({ refreshToken: UPSTREAM.lateSessionToken }), env);
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(401);
  });

  it("an upstream access token of the adopted admin passes admin routes before the cutoff", async () => {
    const env = { ...testEnv, LEGACY_TOKENS_UNTIL: new Date(Date.now() + 86_400_000).toISOString() };
    const token = await upstreamToken({
      id: UPSTREAM.admin.id,
      email: UPSTREAM.admin.email,
      username: UPSTREAM.admin.username,
      roles: ["MEMBER", "SUPER_ADMIN"],
      isSystemAdmin: true,
    });
    const res = await createApp().request(
      "/api/admin/users?search=upstream.test",
      { headers: bearer(token) },
      env,
    );
    expect(res.status, await res.clone().text()).toBe(200);
    const text = await res.text();
    expect(text).toContain(UPSTREAM.member.id);
  });

  it("secrets upstream stored (plaintext and its AES-GCM) read back, masked in answers", async () => {
    const s = await readSettings(testDeps(), [UPSTREAM.plaintextSecret.key, UPSTREAM.encryptedSecret.key]);
    expect(s.get(UPSTREAM.plaintextSecret.key)).toBe(UPSTREAM.plaintextSecret.value);
    expect(s.get(UPSTREAM.encryptedSecret.key)).toBe(UPSTREAM.encryptedSecret.value);
    const { res, text } = await callJson("/api/admin/settings", { headers: bearer(await adminToken()) });
    expect(res.status).toBe(200);
    expect(text).not.toContain(UPSTREAM.plaintextSecret.value);
    expect(text).not.toContain(UPSTREAM.encryptedSecret.value);
  });

  it("upstream's rows are served: its location, node and server", async () => {
    const token = await adminToken();
    const locs = await callJson<{ data?: unknown }>("/api/admin/locations?pageSize=100", {
      headers: bearer(token),
    });
    expect(locs.res.status).toBe(200);
    expect(locs.text).toContain(UPSTREAM.location.shortCode);
    const nodes = await callJson("/api/admin/nodes?pageSize=100", { headers: bearer(token) });
    expect(nodes.res.status).toBe(200);
    expect(nodes.text).toContain(UPSTREAM.node.name);
    const servers = await callJson(`/api/admin/servers?search=${UPSTREAM.server.uuid.slice(0, 8)}`, {
      headers: bearer(token),
    });
    expect(servers.res.status, servers.text).toBe(200);
  });

  it("the 02:00 cleanup keeps the game sessions whose year-0001 expiry adopt replaced", async () => {
    await maintenanceJobs["maintenance.expired-game-sessions"]?.(
      {},
      testDeps({ message: jobMessage("maintenance.expired-game-sessions") }),
    );
    const rows = await testDb().execute<{ id: string }>(
      sql`select id::text from hytale_game_sessions where id in (${UPSTREAM.gameSessionWithJwt.id}, ${UPSTREAM.gameSessionOpaque.id})`,
    );
    expect(rows.rows.map((r) => r.id).sort()).toEqual(
      [UPSTREAM.gameSessionWithJwt.id, UPSTREAM.gameSessionOpaque.id].sort(),
    );
  });

  it("a Hytale grant upstream stored in plaintext keeps working: its refresh token, presented by the documented client, refreshes once", async () => {
    const token = await adminToken();
    const account = UPSTREAM.hytale.accountId;
    // The OAuth server knows the grant upstream linked (its current refresh token is upstream's).
    await fake("/__seed-grant", { sub: account, refresh_token: UPSTREAM.hytale.refreshToken });
    const before = await get(`/api/v1/hytale/accounts/${account}/status`, token);
    expect(before.res.status, before.text).toBe(200);
    expect(before.body).toMatchObject({ linked: true, needs_relink: false });
    // The website's scripts hold the refresh token upstream returned to them: it finds the account.
    const refreshed = await post("/api/v1/hytale/oauth/refresh", token, {
      refresh_token: UPSTREAM.hytale.refreshToken,
    });
    expect(refreshed.res.status, refreshed.text).toBe(200);
    expect(refreshed.body.access_token).toEqual(expect.any(String));
    expect(refreshed.body.access_token).not.toBe(UPSTREAM.hytale.accessToken);
    expect(refreshed.body).not.toHaveProperty("refresh_token");
    expect(await fake(`/__grants/${account}`)).toEqual({ revoked: false, refreshes: 1 });
    const row = await tokenRow(account);
    expect(row?.refreshToken).toMatch(/^enc:v2:/);
    expect(row?.refreshToken).not.toContain(UPSTREAM.hytale.refreshToken);
    // A grant upstream kept without a refresh token is reported as needing a re-link.
    const empty = await get(`/api/v1/hytale/accounts/${UPSTREAM.hytaleNoRefresh.accountId}/status`, token);
    expect(empty.body).toMatchObject({ linked: false, needs_relink: true });
  });
});
