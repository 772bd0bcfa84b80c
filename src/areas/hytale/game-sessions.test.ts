// Hytale game sessions end to end against the local sessions peer and the Hytale demo panel:
// create for a server (tokens land in that server's hidden variables and nowhere else, read back),
// refusal of a customer-visible variable, both 403 bodies, peer failures, refresh (broker mode
// re-delivers), delete retried after a peer failure, a tombstoned server's session ended upstream,
// the status gauge and the 02:00 expiry cleanup through the scheduled handler.
import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { eventually, jobMessage, testDb, testEnv, uid } from "../../../test/helpers.ts";
import {
  api,
  claimsOf,
  hytaleEggs,
  hytaleJobDeps,
  IDENTITY_VAR,
  linkedAccount,
  mutatePanel,
  panelEnvironment,
  SESSION_VAR,
  seedHytaleServer,
  sessionsFake,
} from "../../../test/hytale-sessions.ts";
import { createAdmin, createTestUser } from "../../../test/users.ts";
import { hytaleAuditLogs, hytaleGameSessions, jobRuns, servers } from "../../platform/db/schema/index.ts";
import type { JobMessage } from "../../platform/jobs.types.ts";
import { pool } from "../../platform/pool.ts";
import { SYSTEM_ACTOR } from "../../platform/principal.ts";
import { createUpstreamSession, openSession, sealSession } from "../../services/hytale/game-sessions.ts";
import { grantStub } from "../../services/hytale/grant-client.ts";
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

/** What reached the Hytale demo panel since the log was cleared (its own request log). */
async function panelRequests() {
  const res = await fetch(`${inject("hytalePanelUrl")}/__requests`);
  return (await res.json()) as { method: string; path: string; query: string }[];
}

describe("broker-mode delivery of a batch", () => {
  it("reads the servers with one list request per 100 and PATCHes each once; partial matches are left alone", async () => {
    const member = await createTestUser();
    const { sub, profile } = await linkedAccount(member);
    await sessionsFake("/__account", { sub, unlimited: true });
    const accountId = member.user.id;
    const N = 101;
    // Servers of their own node (the Hytale panel's other allocations are the other tests').
    const node = await mutatePanel<number>("addNode", 1, N + 20);
    type Made = { id: number; uuid: string };
    const add = (eggId: number) => mutatePanel<Made>("addServer", { ownerId: 1, eggId, nodeId: node });
    const hidden: Made[] = [];
    for (let i = 0; i < N; i++) hidden.push(await add(eggs.hidden));
    const visible = await add(eggs.visible);
    // A server whose uuid contains a requested one: `filter[uuid]` (a partial match) returns it too.
    const decoy = await add(eggs.hidden);
    const target = hidden[7] as Made;
    await mutatePanel("setFields", "servers", decoy.id, { uuid: `${target.uuid}0` });
    const decoyBefore = await panelEnvironment(decoy.id);
    const missingUuid = crypto.randomUUID();
    const onPanel = [...hidden, visible];
    const mirror = [
      ...onPanel.map((s) => ({ id: uid("srv"), uuid: s.uuid })),
      { id: uid("srv"), uuid: missingUuid },
    ];
    await testDb()
      .insert(servers)
      .values(
        mirror.map((m) => ({
          id: m.id,
          uuid: m.uuid,
          name: `Batch ${m.id.slice(-6)}`,
          status: "offline",
          ownerId: accountId,
        })),
      );
    // Live upstream sessions with under 5 minutes left in our rows (so the round refreshes them).
    const deps = hytaleJobDeps("hytale.session-refresh");
    const access = await grantStub(deps, accountId).access({
      accountId,
      actor: SYSTEM_ACTOR,
      withToken: true,
      minValidMs: 60_000,
    });
    if (!access.ok) throw new Error("no access token");
    const sealed = await pool(mirror, 10, async () =>
      sealSession(
        deps.config,
        accountId,
        await createUpstreamSession(deps, access.accessToken ?? "", profile),
      ),
    );
    const rows = await testDb()
      .insert(hytaleGameSessions)
      .values(
        mirror.map((m, i) => ({
          accountId,
          profileUuid: profile,
          serverId: m.id,
          ...(sealed[i] as Awaited<ReturnType<typeof sealSession>>),
          expiresAt: new Date(Date.now() + 120_000),
          deliveryStatus: "delivered",
        })),
      )
      .returning();
    await fetch(`${inject("hytalePanelUrl")}/__requests`, { method: "DELETE" });
    const sent = await runJob("hytale.session-refresh", { sessionIds: rows.map((r) => r.id) });
    expect(sent, "nothing failed, so nothing is retried").toEqual([]);

    const mine = new Set(onPanel.map((s) => s.uuid));
    const log = await panelRequests();
    const lists = log.filter(
      (r) =>
        r.method === "GET" &&
        r.path === "/api/application/servers" &&
        [...(new URLSearchParams(r.query).get("filter[uuid]")?.split(",") ?? [])].some(
          (u) => mine.has(u) || u === missingUuid,
        ),
    );
    // ceil(103 servers / 100) list reads, with the variables and 100 a page.
    expect(lists).toHaveLength(Math.ceil(mirror.length / 100));
    for (const l of lists) {
      const q = new URLSearchParams(l.query);
      expect(q.get("include")).toBe("variables");
      expect(q.get("per_page")).toBe("100");
    }
    const requested = lists.flatMap(
      (l) => new URLSearchParams(l.query).get("filter[uuid]")?.split(",") ?? [],
    );
    expect(new Set(requested)).toEqual(new Set(mirror.map((m) => m.uuid)));
    const ids = new Set([...onPanel, decoy].map((s) => s.id));
    const touching = log.filter((r) =>
      ids.has(Number(/^\/api\/application\/servers\/(\d+)/.exec(r.path)?.[1])),
    );
    // No item reads: one PATCH per deliverable server (the visible egg is refused before it).
    expect(touching.filter((r) => r.method === "GET")).toEqual([]);
    const patched = touching.filter((r) => r.method === "PATCH").map((r) => r.path);
    expect(patched.sort()).toEqual(hidden.map((s) => `/api/application/servers/${s.id}/startup`).sort());
    // The decoy was returned by the partial match and ignored.
    expect(await panelEnvironment(decoy.id)).toEqual(decoyBefore);

    const after = new Map(
      (
        await testDb()
          .select()
          .from(hytaleGameSessions)
          .where(
            sql`id in (${sql.join(
              rows.map((r) => sql`${r.id}`),
              sql`, `,
            )})`,
          )
      ).map((r) => [r.serverId, r]),
    );
    const status = (serverId: string) => after.get(serverId);
    for (const m of mirror.slice(0, N)) {
      expect(status(m.id)?.deliveryStatus).toBe("delivered");
      expect(status(m.id)?.lastRefreshedAt).toBeInstanceOf(Date);
    }
    expect(status(mirror[N]?.id ?? "")).toMatchObject({ deliveryStatus: "refused" });
    expect(status(mirror[N]?.id ?? "")?.deliveryError).toMatch(/visible or editable/);
    expect(status(mirror[N + 1]?.id ?? "")).toMatchObject({
      deliveryStatus: "refused",
      deliveryError: "the panel does not have this server",
    });
    // The panel holds each server's own, refreshed tokens.
    for (const i of [0, 7, N - 1]) {
      const row = status(mirror[i]?.id ?? "");
      if (!row) throw new Error("row missing");
      const { sessionToken, identityToken } = await openSession(deps.config, row);
      const env = await panelEnvironment((hidden[i] as Made).id);
      expect(env[SESSION_VAR]).toBe(sessionToken);
      expect(env[IDENTITY_VAR]).toBe(identityToken);
    }
  });

  it("a failed list read fails the batch's deliveries, which go round again through the queue", async () => {
    const { member, server } = await memberWithServer();
    const created = await api(NEW, { token: member.token, body: { server_id: server.id } });
    const id = String(created.body.session_id);
    await testDb()
      .update(hytaleGameSessions)
      .set({ expiresAt: new Date(Date.now() + 120_000) })
      .where(eq(hytaleGameSessions.id, id));
    const before = String((await panelEnvironment(server.panelId))[SESSION_VAR]);
    const faults = `${inject("hytalePanelUrl")}/__faults`;
    await fetch(faults, {
      method: "POST",
      body: JSON.stringify({
        path: "^/api/application/servers\\?",
        method: "GET",
        kind: "status",
        status: 503,
        times: 3,
      }),
    });
    const sent = await runJob("hytale.session-refresh", { sessionIds: [id] });
    const row = await sessionRow(id);
    // Refreshed upstream (the row holds the new token), not delivered, and not lost.
    expect(row?.lastRefreshedAt).toBeInstanceOf(Date);
    expect(row?.deliveryStatus).toBe("failed");
    expect(String((await panelEnvironment(server.panelId))[SESSION_VAR])).toBe(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      type: "hytale.session-refresh",
      payload: { sessionIds: [id], round: 1 },
    });
    // The next round delivers only (no second refresh of a session no longer due).
    await runJob("hytale.session-refresh", (sent[0] as JobMessage).payload);
    const done = await sessionRow(id);
    expect(done?.deliveryStatus).toBe("delivered");
    expect(done?.sessionToken).toBe(row?.sessionToken);
    const { sessionToken } = await openSession(hytaleJobDeps("x").config, done as NonNullable<typeof done>);
    expect((await panelEnvironment(server.panelId))[SESSION_VAR]).toBe(sessionToken);
  });
});

describe("broker-mode refresh retries", () => {
  it("keeps retrying a failing refresh until it works while the session lives (not 3 rounds, then lost)", async () => {
    const { member, sub, server } = await memberWithServer();
    const created = await api(NEW, { token: member.token, body: { server_id: server.id } });
    const id = String(created.body.session_id);
    await testDb()
      .update(hytaleGameSessions)
      .set({ expiresAt: new Date(Date.now() + 120_000) })
      .where(eq(hytaleGameSessions.id, id));
    const before = await sessionRow(id);
    // The peer fails the next five refreshes: more rounds than the old cap of three.
    await sessionsFake("/__fail", { sub, op: "refresh", status: 503, times: 5 });
    let payload: unknown = { sessionIds: [id] };
    for (let round = 1; round <= 5; round++) {
      const sent = await runJob("hytale.session-refresh", payload);
      expect(sent, `round ${round} is re-queued`).toHaveLength(1);
      expect(sent[0]?.type).toBe("hytale.session-refresh");
      payload = sent[0]?.payload;
    }
    expect((await sessionRow(id))?.sessionToken).toBe(before?.sessionToken);
    expect(await runJob("hytale.session-refresh", payload)).toEqual([]);
    const after = await sessionRow(id);
    expect(after?.lastRefreshedAt).toBeInstanceOf(Date);
    expect(after?.deliveryStatus).toBe("delivered");
    const { sessionToken } = await openSession(hytaleJobDeps("x").config, after as NonNullable<typeof after>);
    expect((await panelEnvironment(server.panelId))[SESSION_VAR]).toBe(sessionToken);
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
