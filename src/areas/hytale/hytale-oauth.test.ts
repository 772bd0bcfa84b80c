// The Hytale OAuth routes against the local peers: the device flow end to end (request, poll at
// the interval, approve, tokens stored encrypted, profiles, select), its bindings and coalescing,
// every peer error path, refresh, and the rate limits with their headers.
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { testDb, testEnv } from "../../../test/helpers.ts";
import {
  accountDataUrl,
  fake,
  freshIp,
  get,
  linkThroughDeviceFlow,
  oauthUrl,
  post,
  seedMirroredGrant,
  sleep,
  tokenRow,
} from "../../../test/hytale.ts";
import { createAdmin, createTestUser, emailsTo, type TestUser } from "../../../test/users.ts";
import { createApp } from "../../app.ts";
import { auditLogs, hytaleAuditLogs, hytaleDeviceCodes } from "../../platform/db/schema/index.ts";
import { deviceCodeHash } from "../../services/hytale/device-codes.ts";

const DEVICE = "/api/v1/hytale/oauth/device-code";
const TOKEN = "/api/v1/hytale/oauth/token";
const REFRESH = "/api/v1/hytale/oauth/refresh";
const PROFILES = "/api/v1/hytale/oauth/profiles";
const SELECT = "/api/v1/hytale/oauth/select-profile";

async function events(accountId: string) {
  const rows = await testDb().select().from(hytaleAuditLogs).where(eq(hytaleAuditLogs.accountId, accountId));
  return rows.map((r) => r.eventType);
}

async function startCode(token: string, body?: unknown) {
  const r = await post(DEVICE, token, body);
  expect(r.res.status, r.text).toBe(200);
  return r.body as { device_code: string; user_code: string; interval: number; expires_in: number };
}

let member: TestUser;
let other: TestUser;
let admin: TestUser;

beforeAll(async () => {
  member = await createTestUser();
  other = await createTestUser();
  admin = await createAdmin();
});

describe("device code", () => {
  it("relays the OAuth server's answer for a bodiless request, with rate-limit headers", async () => {
    const r = await post(DEVICE, member.token, undefined);
    expect(r.res.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      success: true,
      verification_uri: `${oauthUrl()}/oauth2/device/verify`,
      expires_in: 600,
      interval: 1,
    });
    expect(String(r.body.verification_uri_complete)).toContain(String(r.body.user_code));
    expect(r.body).not.toHaveProperty("data");
    expect(r.res.headers.get("x-ratelimit-limit")).toBe("5");
    const row = await testDb()
      .select()
      .from(hytaleDeviceCodes)
      .where(eq(hytaleDeviceCodes.deviceCodeHash, await deviceCodeHash(String(r.body.device_code))));
    expect(row[0]).toMatchObject({
      accountId: member.user.id,
      requestedBy: `user:${member.user.id}`,
      intervalSeconds: 1,
    });
  });

  it("refuses a member naming another account, and a service key naming none", async () => {
    const r = await post(DEVICE, member.token, { account_id: other.user.id });
    expect(r.res.status, r.text).toBe(403);
    const svc = await fetchAsService(DEVICE, {});
    expect(svc.status).toBe(400);
    const ok = await fetchAsService(DEVICE, { account_id: `svc-${crypto.randomUUID()}` });
    expect(ok.status).toBe(200);
  });

  it("allows 5 device codes per 15 minutes per client IP, then 429 with Retry-After", async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++)
      expect((await post(DEVICE, member.token, undefined, ip)).res.status).toBe(200);
    const r = await post(DEVICE, member.token, undefined, ip);
    expect(r.res.status, r.text).toBe(429);
    expect(r.body.code).toBe("RATE_LIMITED");
    expect(Number(r.res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(r.res.headers.get("x-ratelimit-remaining")).toBe("0");
  });

  it("answers 502 UPSTREAM_ERROR when the OAuth server fails", async () => {
    const env = { ...testEnv, HYTALE_OAUTH_URL: `${oauthUrl()}/__fault/500` };
    const res = await createApp().request(
      DEVICE,
      {
        method: "POST",
        headers: { authorization: `Bearer ${member.token}`, "cf-connecting-ip": freshIp() },
      },
      env,
    );
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).toBe(502);
    expect(body.code).toBe("UPSTREAM_ERROR");
  });
});

async function fetchAsService(path: string, body: unknown) {
  const { call } = await import("../../../test/helpers.ts");
  return call(path, {
    method: "POST",
    headers: {
      "x-api-key": String(testEnv.BACKEND_API_KEY),
      "content-type": "application/json",
      "cf-connecting-ip": freshIp(),
    },
    body: JSON.stringify(body),
  });
}

describe("device flow", () => {
  it("links an account end to end: pending 202 without access_token, approve, tokens stored encrypted", async () => {
    const user = await createTestUser();
    const code = await startCode(user.token);
    const pending = await post(TOKEN, user.token, { device_code: code.device_code });
    expect(pending.res.status, pending.text).toBe(202);
    expect(pending.body).toMatchObject({ success: false, error: "authorization_pending", interval: 1 });
    expect(pending.body).not.toHaveProperty("access_token");

    await fake("/__approve", { user_code: code.user_code, sub: `hy-${user.user.id}` });
    await sleep(1000);
    const done = await post(TOKEN, user.token, { device_code: code.device_code });
    expect(done.res.status, done.text).toBe(200);
    expect(done.body).toMatchObject({ success: true, token_type: "bearer", expires_in: 3600 });
    expect(String(done.body.access_token).split(".")).toHaveLength(3);
    expect(done.body).not.toHaveProperty("refresh_token");

    const row = await tokenRow(user.user.id);
    expect(row?.accessToken.startsWith("enc:v2:")).toBe(true);
    expect(row?.refreshToken.startsWith("enc:v2:")).toBe(true);
    expect(row?.accessToken).not.toContain(String(done.body.access_token).slice(0, 20));
    expect(row?.grantCreatedAt).toBeInstanceOf(Date);
    expect(row?.needsRelink).toBe(false);
    const [created] = await testDb()
      .select()
      .from(hytaleAuditLogs)
      .where(
        and(eq(hytaleAuditLogs.accountId, user.user.id), eq(hytaleAuditLogs.eventType, "TOKEN_CREATED")),
      );
    expect(created).toMatchObject({ userAgent: "hytale-test/1.0" });
    expect(created?.ipAddress).toMatch(/^198\.51\./);
    const shared = await testDb()
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "hytale.token_created"), eq(auditLogs.targetId, user.user.id)));
    expect(shared[0]).toMatchObject({ actorType: "user", actorId: user.user.id });

    // A client that lost the answer and polls again gets the account's access token again.
    const again = await post(TOKEN, user.token, { device_code: code.device_code });
    expect(again.res.status, again.text).toBe(200);
    expect(again.body.access_token).toBe(done.body.access_token);
  });

  it("coalesces fast polls: never 429, the OAuth server sees at most one poll per interval", async () => {
    const user = await createTestUser();
    const code = await startCode(user.token);
    const started = Date.now();
    const statuses: number[] = [];
    // A fixed number of polls far faster than the 1 s interval (bounded by count, not by time,
    // so a loaded machine changes only how long it takes).
    for (let i = 0; i < 14; i++) {
      const r = await post(TOKEN, user.token, { device_code: code.device_code });
      statuses.push(r.res.status);
      expect(r.body).not.toHaveProperty("access_token");
      await sleep(150);
    }
    const elapsedS = (Date.now() - started) / 1000;
    expect(new Set(statuses)).toEqual(new Set([202]));
    const seen = await fake<{ polls: number; slowDowns: number }>(`/__codes/${code.user_code}`);
    expect(seen.slowDowns).toBe(0);
    expect(seen.polls).toBeGreaterThanOrEqual(1);
    // At most one upstream poll per started 1 s interval, however long the 14 polls took.
    expect(seen.polls).toBeLessThanOrEqual(Math.ceil(elapsedS) + 1);
    expect(seen.polls).toBeLessThan(statuses.length);
  });

  it("honours slow_down: the interval grows by 5 s and polls inside it stay local", async () => {
    const user = await createTestUser();
    const code = await startCode(user.token);
    await fake("/__slow-down", { user_code: code.user_code });
    const r = await post(TOKEN, user.token, { device_code: code.device_code });
    expect(r.res.status, r.text).toBe(202);
    expect(r.body.interval).toBe(6);
    const before = await fake<{ polls: number }>(`/__codes/${code.user_code}`);
    for (let i = 0; i < 5; i++) {
      await sleep(300);
      expect((await post(TOKEN, user.token, { device_code: code.device_code })).res.status).toBe(202);
    }
    const after = await fake<{ polls: number; slowDowns: number }>(`/__codes/${code.user_code}`);
    expect(after.polls).toBe(before.polls);
    expect(after.slowDowns).toBe(1);
  });

  it("access_denied is final and audited AUTH_FAILED", async () => {
    const user = await createTestUser();
    const code = await startCode(user.token);
    await fake("/__deny", { user_code: code.user_code });
    const r = await post(TOKEN, user.token, { device_code: code.device_code });
    expect(r.res.status, r.text).toBe(400);
    expect(r.body).toMatchObject({ success: false, error: "access_denied" });
    const polls = (await fake<{ polls: number }>(`/__codes/${code.user_code}`)).polls;
    await sleep(1100);
    expect((await post(TOKEN, user.token, { device_code: code.device_code })).body.error).toBe(
      "access_denied",
    );
    expect((await fake<{ polls: number }>(`/__codes/${code.user_code}`)).polls).toBe(polls);
    expect(await events(user.user.id)).toContain("AUTH_FAILED");
  });

  it("answers expired_token from the peer, and past the code's lifetime without asking it", async () => {
    const user = await createTestUser();
    const code = await startCode(user.token);
    await fake("/__expire", { user_code: code.user_code });
    const r = await post(TOKEN, user.token, { device_code: code.device_code });
    expect(r.res.status, r.text).toBe(400);
    expect(r.body.error).toBe("expired_token");

    const local = await startCode(user.token);
    await testDb()
      .update(hytaleDeviceCodes)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(hytaleDeviceCodes.deviceCodeHash, await deviceCodeHash(local.device_code)));
    const l = await post(TOKEN, user.token, { device_code: local.device_code });
    expect(l.body.error, l.text).toBe("expired_token");
    expect((await fake<{ polls: number }>(`/__codes/${local.user_code}`)).polls).toBe(0);
  });

  it("refuses polling another caller's code, or for another account; unknown codes are invalid_grant", async () => {
    const code = await startCode(member.token);
    const stranger = await post(TOKEN, other.token, { device_code: code.device_code });
    expect(stranger.res.status, stranger.text).toBe(403);
    const wrongAccount = await post(TOKEN, member.token, {
      device_code: code.device_code,
      account_id: other.user.id,
    });
    expect(wrongAccount.res.status, wrongAccount.text).toBe(403);
    const byAdmin = await post(TOKEN, admin.token, {
      device_code: code.device_code,
      account_id: member.user.id,
    });
    expect(byAdmin.res.status, byAdmin.text).toBe(403);
    const unknown = await post(TOKEN, member.token, { device_code: "nope" });
    expect(unknown.res.status).toBe(400);
    expect(unknown.body.error).toBe("invalid_grant");
  });
});

describe("refresh", () => {
  it("returns a fresh access token (never a refresh token), rotating the grant", async () => {
    const user = await createTestUser();
    const sub = `hy-r-${user.user.id}`;
    const { tokens } = await linkThroughDeviceFlow(user.token, sub);
    const before = await tokenRow(user.user.id);
    const r = await post(REFRESH, user.token, {});
    expect(r.res.status, r.text).toBe(200);
    expect(r.body.access_token).not.toBe(tokens.access_token);
    expect(r.body).not.toHaveProperty("refresh_token");
    expect(r.res.headers.get("x-ratelimit-limit")).toBe("6");
    const after = await tokenRow(user.user.id);
    expect(after?.refreshTokenHash).not.toBe(before?.refreshTokenHash);
    expect(after?.grantVersion).toBeGreaterThan(before?.grantVersion ?? 0);
    expect(await fake(`/__grants/${sub}`)).toMatchObject({ revoked: false, refreshes: 1 });
    expect(await events(user.user.id)).toContain("TOKEN_REFRESHED");
  });

  it("serialises concurrent refreshes: one OAuth refresh, every caller gets its token, no revocation", async () => {
    const user = await createTestUser();
    const sub = `hy-c-${user.user.id}`;
    await linkThroughDeviceFlow(user.token, sub);
    // The peer takes 1.5 s, so the calls pile up behind the first refresh and share its token.
    await fake("/__slow-refresh", { sub, ms: 1500 });
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(REFRESH, user.token, {})));
    for (const a of answers) expect(a.res.status, a.text).toBe(200);
    const distinct = new Set(answers.map((a) => a.body.access_token)).size;
    const grant = await fake<{ revoked: boolean; refreshes: number }>(`/__grants/${sub}`);
    expect(grant.revoked).toBe(false);
    // Every OAuth refresh is one token some caller got; a call that arrived after a refresh
    // finished (a loaded machine) may start the next one, never one concurrent with it.
    expect(grant.refreshes).toBe(distinct);
    expect(distinct).toBeLessThan(answers.length);
  });

  it("serves the documented client that sends only refresh_token, for its owner only", async () => {
    const user = await createTestUser();
    const seeded = await seedMirroredGrant(user.user.id);
    const stranger = await post(REFRESH, other.token, { refresh_token: seeded.refreshToken });
    expect(stranger.res.status, stranger.text).toBe(403);
    const r = await post(REFRESH, user.token, { refresh_token: seeded.refreshToken });
    expect(r.res.status, r.text).toBe(200);
    const stale = await post(REFRESH, user.token, { refresh_token: seeded.refreshToken });
    expect(stale.res.status, stale.text).toBe(400);
    expect(stale.body.error).toBe("invalid_grant");
  });

  it("keeps the old refresh token when the answer carries none", async () => {
    const user = await createTestUser();
    const sub = `hy-o-${user.user.id}`;
    await linkThroughDeviceFlow(user.token, sub);
    await fake("/__omit-refresh", { sub });
    const hash = (await tokenRow(user.user.id))?.refreshTokenHash;
    expect((await post(REFRESH, admin.token, { account_id: user.user.id })).res.status).toBe(200);
    expect((await tokenRow(user.user.id))?.refreshTokenHash).toBe(hash);
    expect(await fake(`/__grants/${sub}`)).toMatchObject({ revoked: false, refreshes: 1 });
  });

  it("answers 404 for an account that was never linked and 403 for a member naming another", async () => {
    const user = await createTestUser();
    const r = await post(REFRESH, user.token, {});
    expect(r.res.status, r.text).toBe(404);
    expect((await post(REFRESH, user.token, { account_id: other.user.id })).res.status).toBe(403);
  });

  it("a revoked grant marks the account needs-relink (409), audited, and the member is told", async () => {
    const user = await createTestUser();
    const sub = `hy-x-${user.user.id}`;
    await linkThroughDeviceFlow(user.token, sub);
    await fake("/__revoke", { sub });
    const r = await post(REFRESH, user.token, {});
    expect(r.res.status, r.text).toBe(409);
    expect(r.body.error).toBe("needs_relink");
    const row = await tokenRow(user.user.id);
    expect(row).toMatchObject({ needsRelink: true, refreshToken: "", accessToken: "" });
    expect(await events(user.user.id)).toEqual(expect.arrayContaining(["AUTH_FAILED", "TOKEN_DELETED"]));
    const status = await get(`/api/v1/hytale/accounts/${user.user.id}/status`, user.token);
    expect(status.body).toMatchObject({ linked: false, needs_relink: true });
    await expect
      .poll(async () => (await emailsTo(user.user.email)).map((e) => e.subject), { timeout: 10_000 })
      .toContain("Link your Hytale account again");
    // Linking again through the device flow clears it.
    await linkThroughDeviceFlow(user.token, sub);
    expect((await tokenRow(user.user.id))?.needsRelink).toBe(false);
  });
});

describe("profiles", () => {
  it("lists the account's profiles (cached), and selects only one of them", async () => {
    const user = await createTestUser();
    const sub = `hy-p-${user.user.id}`;
    await linkThroughDeviceFlow(user.token, sub);
    const statsBefore = (await (await fetch(`${accountDataUrl()}/__stats`)).json()) as { requests: number };
    const r = await post(PROFILES, user.token, {});
    expect(r.res.status, r.text).toBe(200);
    expect(r.body.owner).toBe(sub);
    const profiles = r.body.profiles as { uuid: string; username: string }[];
    expect(profiles).toHaveLength(2);
    expect(r.res.headers.get("x-ratelimit-limit")).toBe("20");
    await post(PROFILES, user.token, {});
    const statsAfter = (await (await fetch(`${accountDataUrl()}/__stats`)).json()) as { requests: number };
    expect(statsAfter.requests - statsBefore.requests).toBe(1);

    const foreign = await post(SELECT, user.token, { profile_uuid: crypto.randomUUID() });
    expect(foreign.res.status, foreign.text).toBe(400);
    const chosen = profiles[1]?.uuid ?? "";
    const ok = await post(SELECT, user.token, { profile_uuid: chosen });
    expect(ok.res.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({ success: true, profile_uuid: chosen });
    expect((await tokenRow(user.user.id))?.profileUuid).toBe(chosen);
    const [selected] = await testDb()
      .select()
      .from(hytaleAuditLogs)
      .where(
        and(eq(hytaleAuditLogs.accountId, user.user.id), eq(hytaleAuditLogs.eventType, "PROFILE_SELECTED")),
      );
    expect(selected?.profileId).toBe(chosen);

    const status = await get(`/api/v1/hytale/accounts/${user.user.id}/status`, user.token);
    expect(status.res.status, status.text).toBe(200);
    expect(status.body).toMatchObject({
      linked: true,
      needs_relink: false,
      selected_profile_uuid: chosen,
      access_token_valid: true,
    });
    expect(
      Date.parse(String(status.body.grant_renew_by)) - Date.parse(String(status.body.grant_created_at)),
    ).toBe(30 * 86_400_000);
  });

  it("a 401 from account-data after a refresh means the grant is gone", async () => {
    const user = await createTestUser();
    const sub = `hy-q-${user.user.id}`;
    await linkThroughDeviceFlow(user.token, sub);
    await fake("/__revoke", { sub });
    const r = await post(PROFILES, user.token, {});
    expect(r.res.status, r.text).toBe(409);
    expect((await tokenRow(user.user.id))?.needsRelink).toBe(true);
  });
});

describe("logs and status", () => {
  it("lists an account's events newest first, for its owner, admins and service keys", async () => {
    const user = await createTestUser();
    await linkThroughDeviceFlow(user.token, `hy-l-${user.user.id}`);
    await post(REFRESH, user.token, {});
    const own = await get(`/api/v1/hytale/logs?limit=1`, user.token);
    expect(own.res.status, own.text).toBe(200);
    expect(own.body.count).toBe(1);
    expect((own.body.logs as { EventType: string }[])[0]?.EventType).toBe("TOKEN_REFRESHED");
    const byAdmin = await get(`/api/v1/hytale/logs?account_id=${user.user.id}`, admin.token);
    expect((byAdmin.body.logs as unknown[]).length).toBe(2);
    expect((await get(`/api/v1/hytale/logs?account_id=${user.user.id}`, other.token)).res.status).toBe(403);
    // an over-large limit is read as 1000 (as upstream did), a nonsensical one refused
    const clamped = await get(`/api/v1/hytale/logs?limit=5000`, user.token);
    expect(clamped.res.status, clamped.text).toBe(200);
    expect(clamped.body.count).toBe(2);
    expect((await get(`/api/v1/hytale/logs?limit=0`, user.token)).res.status).toBe(400);
  });

  it("reports an unlinked account, and refuses a member asking about another", async () => {
    const user = await createTestUser();
    const r = await get(`/api/v1/hytale/accounts/${user.user.id}/status`, user.token);
    expect(r.body).toMatchObject({ linked: false, needs_relink: false, access_token_expires_at: null });
    expect((await get(`/api/v1/hytale/accounts/${user.user.id}/status`, other.token)).res.status).toBe(403);
  });
});
