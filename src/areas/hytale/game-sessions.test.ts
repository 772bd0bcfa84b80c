// Hytale game sessions end to end against the local sessions peer and the Hytale demo panel:
// create for a server (tokens land in that server's hidden variables and nowhere else, read back),
// refusal of a customer-visible variable, both 403 bodies, peer failures, refresh (broker mode
// re-delivers), delete retried after a peer failure, a tombstoned server's session ended upstream,
// the status gauge and the 02:00 expiry cleanup through the scheduled handler.
import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { eventually, jobMessage, testDb, testEnv } from "../../../test/helpers.ts";
import {
  api,
  claimsOf,
  hytaleEggs,
  hytaleJobDeps,
  IDENTITY_VAR,
  linkedAccount,
  panelEnvironment,
  SESSION_VAR,
  seedHytaleServer,
  sessionsFake,
} from "../../../test/hytale-sessions.ts";
import { createAdmin, createTestUser } from "../../../test/users.ts";
import { hytaleAuditLogs, hytaleGameSessions, jobRuns, servers } from "../../platform/db/schema/index.ts";
import type { JobMessage } from "../../platform/jobs.types.ts";
import { gameSessionJobs } from "./game-sessions.jobs.ts";

const NEW = "/api/v1/hytale/oauth/game-session/new";
const REFRESH = "/api/v1/hytale/oauth/game-session/refresh";
const DELETE = "/api/v1/hytale/oauth/game-session/delete";

async function sessionRow(id: string) {
  const [row] = await testDb().select().from(hytaleGameSessions).where(eq(hytaleGameSessions.id, id));
  return row;
}

async function liveUpstream(sub: string) {
  return (await sessionsFake<{ count: number }>(`/__sessions/${sub}`)).count;
}

async function events(accountId: string) {
  return testDb().select().from(hytaleAuditLogs).where(eq(hytaleAuditLogs.accountId, accountId));
}

async function runJob(type: string, payload: unknown = {}) {
  const sent: JobMessage[] = [];
  const deps = hytaleJobDeps(type, {
    enqueue: async (t, p, o) => {
      const m = { ...jobMessage(t, p, o?.id), priority: o?.priority ?? "default" };
      sent.push(m);
      return m;
    },
  });
  const handler = gameSessionJobs[type];
  if (!handler) throw new Error(`no job ${type}`);
  await handler(payload, deps);
  return sent;
}

let eggs: Awaited<ReturnType<typeof hytaleEggs>>;
beforeAll(async () => {
  eggs = await hytaleEggs();
});

async function memberWithServer(egg = () => eggs.hidden) {
  const member = await createTestUser();
  const account = await linkedAccount(member);
  const server = await seedHytaleServer(member, egg());
  return { member, ...account, server };
}

describe("game-session/new for a server", () => {
  it("delivers the tokens into that server's hidden variables only, read back, sealed at rest", async () => {
    const { member, sub, profile, server } = await memberWithServer();
    const neighbour = await seedHytaleServer(member, eggs.hidden);
    const r = await api(NEW, { token: member.token, body: { server_id: server.id } });
    expect(r.res.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      success: true,
      account_id: member.user.id,
      profile_uuid: profile,
      server_id: server.id,
      delivery_status: "delivered",
      delivery_error: null,
    });
    // A member never sees the host's session tokens.
    expect(r.body).not.toHaveProperty("session_token");
    expect(r.body).not.toHaveProperty("identity_token");
    const env = await panelEnvironment(server.panelId);
    const session = String(env[SESSION_VAR]);
    const identity = String(env[IDENTITY_VAR]);
    expect(claimsOf(session).sub).toBe(profile);
    expect(claimsOf(identity).aud).toBe("hytale-server");
    // expires_at is the token's own exp, never a placeholder.
    expect(new Date(String(r.body.expires_at)).getTime()).toBe(Number(claimsOf(session).exp) * 1000);
    // The other server of the same owner got nothing.
    const other = await panelEnvironment(neighbour.panelId);
    expect(other[SESSION_VAR] ?? "").toBe("");
    expect(other[IDENTITY_VAR] ?? "").toBe("");
    // Everything else the server had is unchanged (the PATCH sent it back as it was).
    expect(env.HYTALE_AUTH_MODE).toBe("authenticated");
    const row = await sessionRow(String(r.body.session_id));
    expect(row?.sessionToken).not.toContain(session.slice(0, 20));
    expect(row?.identityToken).not.toContain(identity.slice(0, 20));
    expect(row?.deliveredAt).toBeInstanceOf(Date);
    expect(await liveUpstream(sub)).toBe(1);
    const created = (await events(member.user.id)).find((e) => e.eventType === "SESSION_CREATED");
    expect(created).toMatchObject({ userAgent: "sessions-test/1.0", profileId: profile });
    expect(created?.ipAddress).toMatch(/^198\.51\./);
    expect(created?.details ?? "").not.toContain(session.slice(0, 20));
    // The server's status shows the session, not its tokens.
    const st = await api<{ session: Record<string, unknown> }>(
      `/api/v1/hytale/servers/${server.id}/game-session`,
      {
        token: member.token,
      },
    );
    expect(st.res.status, st.text).toBe(200);
    expect(st.body.session).toMatchObject({ session_id: r.body.session_id, delivery_status: "delivered" });
    expect(st.text).not.toContain(session.slice(0, 20));
  });

  it("replaces the server's previous session and deletes it upstream", async () => {
    const { member, sub, server } = await memberWithServer();
    const first = await api(NEW, { token: member.token, body: { server_id: server.id } });
    const second = await api(NEW, { token: member.token, body: { server_id: server.id } });
    expect(second.res.status, second.text).toBe(200);
    expect(await sessionRow(String(first.body.session_id))).toBeUndefined();
    expect(await liveUpstream(sub)).toBe(1);
  });

  it("refuses delivery when the egg's token variables are customer-visible, and reports it", async () => {
    const { member, server } = await memberWithServer(() => eggs.visible);
    const before = await panelEnvironment(server.panelId);
    const r = await api(NEW, { token: member.token, body: { server_id: server.id } });
    expect(r.res.status, r.text).toBe(200);
    expect(r.body.delivery_status).toBe("refused");
    expect(String(r.body.delivery_error)).toMatch(/visible or editable/);
    expect(await panelEnvironment(server.panelId)).toEqual(before);
    const status = await api<{ game_sessions: { delivery_problems: unknown[]; live: number } }>(
      `/api/v1/hytale/accounts/${member.user.id}/status`,
      { token: member.token },
    );
    expect(status.body.game_sessions.delivery_problems).toEqual([
      { server_id: server.id, delivery_status: "refused", delivery_error: r.body.delivery_error },
    ]);
    // An egg without the variables is refused too.
    const bare = await seedHytaleServer(member, eggs.other);
    const r2 = await api(NEW, { token: member.token, body: { server_id: bare.id } });
    expect(r2.body.delivery_status).toBe("refused");
    expect(String(r2.body.delivery_error)).toMatch(/has no variable HYTALE_SERVER_SESSION_TOKEN/);
  });

  it("refuses a server the member neither owns nor manages", async () => {
    const { server } = await memberWithServer();
    const stranger = await createTestUser();
    await linkedAccount(stranger);
    const r = await api(NEW, { token: stranger.token, body: { server_id: server.id } });
    expect(r.res.status, r.text).toBe(404);
    const named = await api(NEW, { token: stranger.token, body: { account_id: "someone-else" } });
    expect(named.res.status).toBe(403);
  });
});

describe("game-session/new errors", () => {
  it("tells the session cap (SESSION_LIMIT) from a missing entitlement (FORBIDDEN) by the body", async () => {
    const { member, sub, server } = await memberWithServer();
    await sessionsFake("/__account", { sub, cap: 1 });
    expect((await api(NEW, { token: member.token, body: { server_id: server.id } })).res.status).toBe(200);
    const other = await seedHytaleServer(member, eggs.hidden);
    const full = await api(NEW, { token: member.token, body: { server_id: other.id } });
    expect(full.res.status, full.text).toBe(403);
    expect(full.body.code).toBe("SESSION_LIMIT");
    await sessionsFake("/__account", { sub, entitled: false });
    const denied = await api(NEW, { token: member.token, body: { server_id: other.id } });
    expect(denied.res.status, denied.text).toBe(403);
    expect(denied.body.code).toBe("FORBIDDEN");
    // Nothing was stored for the refused attempts.
    const rows = await testDb()
      .select()
      .from(hytaleGameSessions)
      .where(eq(hytaleGameSessions.accountId, member.user.id));
    expect(rows).toHaveLength(1);
  });

  it("maps peer failures to 502 and time-outs to 504, an unknown profile to 404", async () => {
    const { member, sub } = await memberWithServer();
    await sessionsFake("/__fail", { sub, op: "new", status: 503 });
    const failed = await api(NEW, { token: member.token, body: {} });
    expect(failed.res.status, failed.text).toBe(502);
    await sessionsFake("/__fail", { sub, op: "new", status: "timeout" });
    const slow = await api(NEW, { token: member.token, body: {} });
    expect(slow.res.status, slow.text).toBe(504);
    const unknown = await api(NEW, { token: member.token, body: { profile_uuid: crypto.randomUUID() } });
    expect(unknown.res.status, unknown.text).toBe(404);
    const none = await testDb()
      .select()
      .from(hytaleGameSessions)
      .where(eq(hytaleGameSessions.accountId, member.user.id));
    expect(none).toHaveLength(0);
  });

  it("returns the tokens only to a service key asking for a session of no server", async () => {
    const admin = await createAdmin();
    const { profile } = await linkedAccount(admin);
    const r = await api(NEW, {
      apiKey: String(testEnv.BACKEND_API_KEY),
      body: { account_id: admin.user.id, profile_uuid: profile },
    });
    expect(r.res.status, r.text).toBe(200);
    expect(claimsOf(String(r.body.session_token)).sub).toBe(profile);
    expect(new Date(String(r.body.expires_at)).getTime()).toBe(
      Number(claimsOf(String(r.body.session_token)).exp) * 1000,
    );
    const mine = await api(NEW, { token: admin.token, body: {} });
    expect(mine.res.status, mine.text).toBe(200);
    expect(mine.body).not.toHaveProperty("session_token");
  });
});

describe("refresh and delete", () => {
  it("refreshes with the session token (compare-and-swap) and re-delivers the new tokens", async () => {
    const { member, server } = await memberWithServer();
    const created = await api(NEW, { token: member.token, body: { server_id: server.id } });
    const before = String((await panelEnvironment(server.panelId))[SESSION_VAR]);
    const r = await api(REFRESH, { token: member.token, body: { server_id: server.id } });
    expect(r.res.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      message: "Game session refreshed successfully",
      delivery_status: "delivered",
    });
    expect(r.body).not.toHaveProperty("session_token");
    const after = String((await panelEnvironment(server.panelId))[SESSION_VAR]);
    expect(after).not.toBe(before);
    expect(claimsOf(after).sid).toBe(claimsOf(before).sid);
    expect((await sessionRow(String(created.body.session_id)))?.lastRefreshedAt).toBeInstanceOf(Date);
    expect((await events(member.user.id)).map((e) => e.eventType)).toContain("SESSION_REFRESHED");
  });

  it("broker mode: the refresh job renews sessions with < 5 min left and re-delivers them", async () => {
    const { member, server } = await memberWithServer();
    const created = await api(NEW, { token: member.token, body: { server_id: server.id } });
    const id = String(created.body.session_id);
    const before = String((await panelEnvironment(server.panelId))[SESSION_VAR]);
    // Not due yet: nothing happens.
    await runJob("hytale.session-refresh", { sessionIds: [id] });
    expect(String((await panelEnvironment(server.panelId))[SESSION_VAR])).toBe(before);
    await testDb()
      .update(hytaleGameSessions)
      .set({ expiresAt: new Date(Date.now() + 120_000) })
      .where(eq(hytaleGameSessions.id, id));
    await runJob("hytale.session-refresh", { sessionIds: [id] });
    const after = String((await panelEnvironment(server.panelId))[SESSION_VAR]);
    expect(after).not.toBe(before);
    const row = await sessionRow(id);
    expect(row?.expiresAt.getTime()).toBe(Number(claimsOf(after).exp) * 1000);
    expect(row?.deliveryStatus).toBe("delivered");
  });

  it("deletes upstream and empties the server's variables; a failed DELETE is retried by the sweep", async () => {
    const { member, sub, server } = await memberWithServer();
    const created = await api(NEW, { token: member.token, body: { server_id: server.id } });
    await sessionsFake("/__fail", { sub, op: "delete", status: 500, times: 1 });
    const r = await api(DELETE, { token: member.token, body: { server_id: server.id } });
    expect(r.res.status, r.text).toBe(200);
    expect(r.body.upstream_deleted).toBe(false);
    const env = await panelEnvironment(server.panelId);
    expect(env[SESSION_VAR] ?? "").toBe("");
    expect(env[IDENTITY_VAR] ?? "").toBe("");
    const pending = await sessionRow(String(created.body.session_id));
    expect(pending?.endedAt).toBeInstanceOf(Date);
    expect(pending?.deleteAttempts).toBe(1);
    expect(await liveUpstream(sub)).toBe(1);
    // No longer live: a refresh or a second delete finds nothing.
    expect((await api(REFRESH, { token: member.token, body: { server_id: server.id } })).res.status).toBe(
      404,
    );
    await new Promise((res) => setTimeout(res, 1100));
    await runJob("hytale.sessions-sweep");
    expect(await sessionRow(String(created.body.session_id))).toBeUndefined();
    expect(await liveUpstream(sub)).toBe(0);
    expect((await events(member.user.id)).map((e) => e.eventType)).toContain("SESSION_DELETED");
  });
});

describe("sessions end when their server does", () => {
  it("a server the sync tombstoned (deleted on the panel) has its session deleted upstream and here", async () => {
    const { member, sub, server } = await memberWithServer();
    const created = await api(NEW, { token: member.token, body: { server_id: server.id } });
    expect(await liveUpstream(sub)).toBe(1);
    await testDb().update(servers).set({ deletedAt: new Date() }).where(eq(servers.id, server.id));
    await runJob("hytale.sessions-sweep");
    expect(await sessionRow(String(created.body.session_id))).toBeUndefined();
    expect(await liveUpstream(sub)).toBe(0);
    const deleted = (await events(member.user.id)).find((e) => e.eventType === "SESSION_DELETED");
    expect(deleted?.details).toContain("server deleted");
  });

  it("a suspended server's session ends and its variables are emptied", async () => {
    const { member, sub, server } = await memberWithServer();
    await api(NEW, { token: member.token, body: { server_id: server.id } });
    await testDb().update(servers).set({ isSuspended: true }).where(eq(servers.id, server.id));
    await runJob("hytale.sessions-sweep");
    expect(await liveUpstream(sub)).toBe(0);
    expect((await panelEnvironment(server.panelId))[SESSION_VAR] ?? "").toBe("");
  });
});

describe("status and cleanup", () => {
  it("shows the session-cap gauge and queues the near-cap notice when it is reached", async () => {
    const { member, sub, server } = await memberWithServer();
    const second = await seedHytaleServer(member, eggs.hidden);
    const gauge = async () =>
      (
        await api<{ game_sessions: Record<string, unknown> }>(
          `/api/v1/hytale/accounts/${member.user.id}/status`,
          {
            token: member.token,
          },
        )
      ).body.game_sessions;
    expect(await gauge()).toMatchObject({ live: 0, cap: 100, near_cap: false, refresh_mode: "server" });
    await testDb().execute(sql`insert into config (key, value) values ('hytale_session_cap', '2')
      on conflict (key) do update set value = excluded.value`);
    try {
      expect((await api(NEW, { token: member.token, body: { server_id: server.id } })).res.status).toBe(200);
      expect(await gauge()).toMatchObject({ live: 1, cap: 2, near_cap: false });
      expect((await api(NEW, { token: member.token, body: { server_id: second.id } })).res.status).toBe(200);
      expect(await gauge()).toMatchObject({ live: 2, cap: 2, near_cap: true });
      const noticeId = `session-cap:${member.user.id}:${new Date().toISOString().slice(0, 10)}`;
      const run = await eventually(async () => {
        const [r] = await testDb().select().from(jobRuns).where(eq(jobRuns.jobId, noticeId));
        return r;
      });
      expect(run.outcome).toBe("succeeded");
    } finally {
      await testDb().execute(sql`delete from config where key = 'hytale_session_cap'`);
    }
    // Replacing a session at Hytale's cap fails truthfully (the new one is asked for first).
    await sessionsFake("/__account", { sub, cap: 2 });
    const again = await api(NEW, { token: member.token, body: { server_id: server.id } });
    expect(again.res.status, again.text).toBe(403);
    expect(again.body.code).toBe("SESSION_LIMIT");
    expect(await liveUpstream(sub)).toBe(2);
  });

  it("removes expired sessions at 02:00 through the scheduled handler", async () => {
    const { member } = await memberWithServer();
    const created = await api(NEW, { token: member.token, body: {} });
    const id = String(created.body.session_id);
    await testDb()
      .update(hytaleGameSessions)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(and(eq(hytaleGameSessions.id, id)));
    const { exports } = await import("cloudflare:workers");
    const entry = exports.default as unknown as {
      scheduled(o: { cron: string; scheduledTime?: Date }): Promise<unknown>;
    };
    await entry.scheduled({ cron: "0 2 * * *", scheduledTime: new Date() });
    await eventually(async () => ((await sessionRow(id)) ? undefined : true), 20_000);
  });
});
