// The realtime hub end to end through the Worker: the ticket/upgrade permission matrix, welcome
// and presence, ordering, resume after eviction (hibernated and closed), bans, rate limits, size
// caps, capacity, the idle alarm, and a ticket channel where a customer and staff talk.

import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { callJson, testDb, testDeps, testEnv, uid } from "../../../test/helpers.ts";
import { connect, ticket, upgrade } from "../../../test/realtime-client.ts";
import { bearer, createAdmin, createTestUser, type TestUser } from "../../../test/users.ts";
import { chatChannels, chatMessages, servers, supportTickets } from "../../platform/db/schema/index.ts";
import { CLOSE, LIMITS } from "../../services/realtime/protocol.ts";
import { publish } from "../../services/realtime/publish.ts";
import type { RealtimeHub } from "./hub.do.ts";

const hub = (topic: string) =>
  (env as unknown as { REALTIME_HUB: DurableObjectNamespace<RealtimeHub> }).REALTIME_HUB.getByName(topic);

let admin: TestUser;
let member: TestUser;
let other: TestUser;
let serverUuid: string;
let ticketId: string;
const publicChannel = `pub-${crypto.randomUUID().slice(0, 8)}`;
const staffChannel = `staff-${crypto.randomUUID().slice(0, 8)}`;

async function newChannel(visibility: "public" | "staff" = "public"): Promise<string> {
  const id = `c-${crypto.randomUUID().slice(0, 12)}`;
  const r = await callJson("/api/v1/realtime/channels", {
    method: "POST",
    headers: { ...bearer(admin.token), "content-type": "application/json" },
    body: JSON.stringify({ id, name: `Channel ${id}`, visibility }),
  });
  expect(r.res.status, r.text).toBe(201);
  return id;
}

beforeAll(async () => {
  admin = await createAdmin();
  member = await createTestUser();
  other = await createTestUser();
  const db = testDb();
  serverUuid = crypto.randomUUID();
  await db.insert(servers).values({ name: "rt server", uuid: serverUuid, ownerId: member.user.id });
  ticketId = uid("tkt");
  await db.insert(supportTickets).values({
    id: ticketId,
    ticketNumber: ticketId,
    userId: member.user.id,
    title: "Server down",
    description: "It stopped",
  });
  await db.insert(chatChannels).values([
    { id: publicChannel, name: "Public" },
    { id: staffChannel, name: "Staff", visibility: "staff" },
  ]);
});

describe("tickets and the upgrade", () => {
  it("applies each topic's rule before any object sees the request", async () => {
    const cases: [TestUser | undefined, string, number][] = [
      [admin, "admin", 200],
      [member, "admin", 403],
      [admin, "sync:abc", 200],
      [member, "sync:abc", 403],
      [member, `server:${serverUuid}`, 200],
      [other, `server:${serverUuid}`, 403],
      [admin, `server:${serverUuid}`, 200],
      [member, `chat:${publicChannel}`, 200],
      [member, `chat:${staffChannel}`, 403],
      [admin, `chat:${staffChannel}`, 200],
      [member, "chat:no-such-channel", 404],
      [member, `ticket:${ticketId}`, 200],
      [other, `ticket:${ticketId}`, 403],
      [admin, `ticket:${ticketId}`, 200],
      [member, "nonsense", 400],
      [member, "chat:UPPER", 400],
      [member, "user:someone", 400],
    ];
    for (const [who, topic, status] of cases) {
      const r = who
        ? await ticket(who.token, topic)
        : await callJson("/api/v1/realtime/ticket", { method: "POST" });
      expect(r.res.status, `${topic}: ${r.text}`).toBe(status);
      if (status !== 200) expect(r.body).toMatchObject({ success: false });
    }
    const anon = await callJson("/api/v1/realtime/ticket", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ topic: "admin" }),
    });
    expect(anon.res.status).toBe(401);
  });

  it("refuses a missing, reused or wrong-topic ticket and a non-upgrade with HTTP errors", async () => {
    const t = await ticket(member.token, `chat:${publicChannel}`);
    const plain = await callJson(t.body.url);
    expect(plain.res.status).toBe(426);
    expect(plain.body).toMatchObject({ success: false, code: "INVALID_REQUEST" });

    const wrongTopic = await upgrade(t.body.url.replace(`chat%3A${publicChannel}`, `ticket%3A${ticketId}`));
    expect(wrongTopic.status).toBe(401);
    expect(wrongTopic.webSocket).toBeFalsy();

    const ok = await upgrade(t.body.url);
    expect(ok.status).toBe(101);
    ok.webSocket?.accept();
    ok.webSocket?.close(1000);

    const reused = await upgrade(t.body.url);
    expect(reused.status).toBe(401);
    expect(await reused.json()).toMatchObject({
      success: false,
      code: "UNAUTHORIZED",
      error: "Invalid, used or expired ticket",
    });

    const none = await upgrade("/api/v1/realtime/ws?topic=admin&ticket=nope");
    expect(none.status).toBe(401);
  });

  it("re-checks the rule at the upgrade (a ticket issued before a role loss is refused)", async () => {
    const demoted = await createAdmin();
    const t = await ticket(demoted.token, "admin");
    expect(t.res.status).toBe(200);
    const { users } = await import("../../platform/db/schema/index.ts");
    await testDb()
      .update(users)
      .set({ roles: ["MEMBER"] })
      .where(eq(users.id, demoted.user.id));
    const res = await upgrade(t.body.url);
    expect(res.status).toBe(403);
  });
});

describe("welcome, presence and publish", () => {
  it("welcomes with presence and recent history; join and leave reach the others", async () => {
    const channel = await newChannel();
    const topic = `chat:${channel}`;
    await publish(testDeps(), topic, "notice", { n: 1 });
    const a = await connect(member.token, topic);
    const welcome = await a.next((f) => f.type === "welcome");
    expect(welcome.topic).toBe(topic);
    expect(welcome.offset).toBe(1);
    expect(welcome.data.recovery).toBe("recent");
    expect(welcome.data.canPublish).toBe(true);
    expect((welcome.data.frames as { data: unknown }[]).map((f) => f.data)).toEqual([{ n: 1 }]);
    expect(welcome.data.presence).toEqual([
      expect.objectContaining({ id: member.user.id, role: "member", connections: 1 }),
    ]);

    const b = await connect(admin.token, topic);
    const wb = await b.next((f) => f.type === "welcome");
    expect((wb.data.presence as { id: string }[]).map((p) => p.id).sort()).toEqual(
      [member.user.id, admin.user.id].sort(),
    );
    const join = await a.next((f) => f.type === "presence.join");
    expect(join.data.user).toMatchObject({ id: admin.user.id, role: "staff" });

    b.close();
    const leave = await a.next((f) => f.type === "presence.leave");
    expect(leave.data.user).toMatchObject({ id: admin.user.id });
    expect(leave.offset).toBe(1); // presence does not advance the offset
    const stats = await hub(topic).stats();
    expect(stats.presence.map((p) => p.id)).toEqual([member.user.id]);
    a.close();
  });

  it("delivers 100 published frames in order with consecutive offsets", async () => {
    const topic = `sync:${uid("order")}`;
    const c = await connect(admin.token, topic);
    await c.next((f) => f.type === "welcome");
    const sent: number[] = [];
    for (let i = 0; i < 100; i++) sent.push((await publish(testDeps(), topic, "tick", { i })).offset);
    expect(sent).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    await c.next((f) => f.type === "tick" && f.data.i === 99);
    const ticks = c.frames.filter((f) => f.type === "tick");
    expect(ticks.map((f) => f.data.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(ticks.map((f) => f.offset)).toEqual(sent);
    expect(new Set(ticks.map((f) => f.id)).size).toBe(100);
    c.close();
  });

  it("publishes from a service key on any topic; hub-made frame types are refused", async () => {
    const topic = `server:${serverUuid}`;
    const owner = await connect(member.token, topic);
    await owner.next((f) => f.type === "welcome");
    const post = (body: unknown, key = String(testEnv.BACKEND_API_KEY)) =>
      callJson<{ offset: number; id: string }>("/api/v1/realtime/publish", {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const ok = await post({ topic, type: "server.state", data: { state: "running" } });
    expect(ok.res.status, ok.text).toBe(200);
    const f = await owner.next((x) => x.type === "server.state");
    expect(f).toMatchObject({ id: ok.body.id, offset: ok.body.offset, data: { state: "running" } });
    expect((await post({ topic, type: "presence.join", data: {} })).res.status).toBe(400);
    expect((await post({ topic, type: "big", data: { s: "x".repeat(17_000) } })).res.status).toBe(413);
    expect((await post({ topic: "user:x", type: "a" })).res.status).toBe(400);
    owner.close();
  });

  it("is read-only for clients on backend topics", async () => {
    const c = await connect(admin.token, "admin");
    await c.next((f) => f.type === "welcome");
    c.send({ type: "message", data: { text: "hi" } });
    const err = await c.next((f) => f.type === "error");
    expect(err.data.code).toBe("read_only");
    c.close();
  });
});

describe("resume", () => {
  it("keeps sockets across a hibernating eviction and resumes exactly the missed frames after a close", async () => {
    const topic = `sync:${uid("resume")}`;
    const deps = testDeps();
    const c = await connect(admin.token, topic);
    await c.next((f) => f.type === "welcome");
    for (let i = 0; i < 5; i++) await publish(deps, topic, "step", { i });
    await c.next((f) => f.type === "step" && f.data.i === 4);

    // Hibernation: the instance is torn down, the socket stays; the attachment rebuilds the state.
    await evictDurableObject(hub(topic), { webSockets: "hibernate" });
    await publish(deps, topic, "step", { i: 5 });
    const after = await c.next((f) => f.type === "step" && f.data.i === 5);
    expect(after.offset).toBe(6);
    expect((await hub(topic).stats()).presence.map((p) => p.id)).toEqual([admin.user.id]);
    c.send('{"type":"ping"}');
    await c.next((f) => (f.type as string) === "pong");

    // Eviction that closes sockets: the client reconnects from its last offset.
    const last = c.frames.filter((f) => f.type === "step").at(-1)?.offset ?? 0;
    await evictDurableObject(hub(topic), { webSockets: "close" });
    await c.waitClosed();
    for (let i = 6; i < 9; i++) await publish(deps, topic, "step", { i });
    const again = await connect(admin.token, topic, last);
    const w = await again.next((f) => f.type === "welcome");
    expect(w.data.recovery).toBe("resumed");
    const missed = w.data.frames as { offset: number; data: { i: number } }[];
    expect(missed.map((f) => f.data.i)).toEqual([6, 7, 8]);
    expect(missed.map((f) => f.offset)).toEqual([7, 8, 9]);
    again.close();
  });

  it("answers too_old (with recent history) when the offset left the bounded history", async () => {
    const topic = `sync:${uid("old")}`;
    await runInDurableObject(hub(topic), async (instance: RealtimeHub) => {
      for (let i = 0; i < LIMITS.historyMax + 5; i++) await instance.publish(topic, "step", { i });
    });
    const c = await connect(admin.token, topic, 2);
    const w = await c.next((f) => f.type === "welcome");
    expect(w.data.recovery).toBe("too_old");
    const frames = w.data.frames as { offset: number }[];
    expect(frames).toHaveLength(LIMITS.recent);
    expect(frames.at(-1)?.offset).toBe(LIMITS.historyMax + 5);
    c.close();
    const ahead = await connect(admin.token, topic, 10_000);
    expect((await ahead.next((f) => f.type === "welcome")).data.recovery).toBe("too_old");
    ahead.close();
  });
});

describe("chat", () => {
  it("lets a ticket's owner and staff talk; messages are persisted in order", async () => {
    const topic = `ticket:${ticketId}`;
    const customer = await connect(member.token, topic);
    const staff = await connect(admin.token, topic);
    await customer.next((f) => f.type === "welcome");
    await staff.next((f) => f.type === "welcome");
    customer.send({ type: "message", data: { text: "My server is down" } });
    const got = await staff.next((f) => f.type === "message");
    expect(got.data).toMatchObject({
      text: "My server is down",
      user: { id: member.user.id, role: "member" },
    });
    staff.send({ type: "message", data: { text: "Looking now" } });
    const reply = await customer.next((f) => f.type === "message" && f.data.text === "Looking now");
    expect(reply.data.user).toMatchObject({ id: admin.user.id, role: "staff" });
    expect(reply.offset).toBe(got.offset + 1);

    const history = await callJson<{ messages: { body: string; userId: string }[] }>(
      `/api/v1/realtime/messages?topic=${encodeURIComponent(topic)}`,
      { headers: bearer(member.token) },
    );
    expect(history.res.status, history.text).toBe(200);
    expect(history.body.messages.map((m) => m.body)).toEqual(["Looking now", "My server is down"]);
    const outsider = await callJson(`/api/v1/realtime/messages?topic=${encodeURIComponent(topic)}`, {
      headers: bearer(other.token),
    });
    expect(outsider.res.status).toBe(403);

    // Staff soft-delete: gone from history, a message.deleted frame on the topic.
    const [row] = await testDb().select().from(chatMessages).where(eq(chatMessages.id, got.id));
    expect(row?.body).toBe("My server is down");
    const del = await callJson(`/api/v1/realtime/messages/${got.id}`, {
      method: "DELETE",
      headers: bearer(admin.token),
    });
    expect(del.res.status, del.text).toBe(200);
    const notice = await customer.next((f) => f.type === "message.deleted");
    expect(notice.data).toMatchObject({ id: got.id });
    const activity = await callJson<{ buckets: { topic: string; messages: number }[] }>(
      "/api/v1/realtime/activity/channels?hours=1",
      { headers: bearer(admin.token) },
    );
    expect(activity.res.status, activity.text).toBe(200);
    expect(activity.body.buckets.find((b) => b.topic === topic)?.messages).toBe(1);
    customer.close();
    staff.close();
  });

  it("posts a system message in the ticket's channel when staff change the ticket; owner and staff only", async () => {
    const topic = `ticket:${ticketId}`;
    const customer = await connect(member.token, topic);
    const staff = await connect(admin.token, topic);
    await customer.next((f) => f.type === "welcome");
    // Members are neither staff nor owners of other tickets: no socket, no changes.
    const outsider = await ticket(other.token, topic);
    expect(outsider.res.status).toBe(403);
    const patch = (token: string, id: string, body: unknown) =>
      callJson<{ ticket: { status: string; assignedToId: string | null }; message: { text: string } | null }>(
        `/api/v1/realtime/tickets/${id}`,
        {
          method: "PATCH",
          headers: { ...bearer(token), "content-type": "application/json" },
          body: JSON.stringify(body),
        },
      );
    expect((await patch(member.token, ticketId, { status: "closed" })).res.status).toBe(403);
    expect((await patch(admin.token, "no-such-ticket", { status: "closed" })).res.status).toBe(404);
    expect((await patch(admin.token, ticketId, {})).res.status).toBe(400);
    expect((await patch(admin.token, ticketId, { status: "bogus" })).res.status).toBe(400);
    expect((await patch(admin.token, ticketId, { assignedToId: member.user.id })).res.status).toBe(400);

    const changed = await patch(admin.token, ticketId, {
      status: "in_progress",
      assignedToId: admin.user.id,
    });
    expect(changed.res.status, changed.text).toBe(200);
    expect(changed.body.ticket).toMatchObject({ status: "in_progress", assignedToId: admin.user.id });
    for (const client of [customer, staff]) {
      const f = await client.next((x) => x.type === "system");
      expect(f.data.text).toContain("status open → in_progress");
      expect(f.data.text).toContain("assigned to");
      expect(f.data.change).toMatchObject({ status: { from: "open", to: "in_progress" } });
    }
    const [row] = await testDb().select().from(supportTickets).where(eq(supportTickets.id, ticketId));
    expect(row).toMatchObject({ status: "in_progress", assignedToId: admin.user.id, closedAt: null });
    // The system message is kept with the channel's messages (no author), and the change audited.
    const history = await callJson<{ messages: { body: string; userId: string | null }[] }>(
      `/api/v1/realtime/messages?topic=${encodeURIComponent(topic)}`,
      { headers: bearer(member.token) },
    );
    expect(history.body.messages[0]).toMatchObject({ userId: null });
    expect(history.body.messages[0]?.body).toContain("in_progress");
    // No change, no message.
    const same = await patch(admin.token, ticketId, { status: "in_progress" });
    expect(same.body.message).toBeNull();
    const closed = await patch(admin.token, ticketId, { status: "resolved" });
    expect(closed.res.status).toBe(200);
    const [after] = await testDb().select().from(supportTickets).where(eq(supportTickets.id, ticketId));
    expect(after?.closedAt).toBeInstanceOf(Date);
    await customer.next((x) => x.type === "system" && String(x.data.text).includes("resolved"));
    await testDb()
      .update(supportTickets)
      .set({ status: "open", closedAt: null, assignedToId: null })
      .where(eq(supportTickets.id, ticketId));
    customer.close();
    staff.close();
  });

  it("reports sessions per user with durations, and applies a user's own message bucket at once", async () => {
    const channel = `sess-${uid().slice(0, 8).toLowerCase()}`;
    await testDb().insert(chatChannels).values({ id: channel, name: "Sessions" });
    const topic = `chat:${channel}`;
    const a1 = await connect(member.token, topic);
    const a2 = await connect(member.token, topic);
    const s1 = await connect(admin.token, topic);
    await a1.next((f) => f.type === "welcome");
    const sessions = await callJson<{
      topics: {
        topic: string;
        sockets: number;
        users: {
          user: { id: string };
          connections: { durationMs: number; idleMs: number }[];
          totalMs: number;
        }[];
      }[];
    }>(`/api/v1/realtime/activity/sessions?topic=${encodeURIComponent(`${topic},admin`)}`, {
      headers: bearer(admin.token),
    });
    expect(sessions.res.status, sessions.text).toBe(200);
    const mine = sessions.body.topics.find((t) => t.topic === topic);
    expect(mine?.sockets).toBe(3);
    const memberRow = mine?.users.find((u) => u.user.id === member.user.id);
    expect(memberRow?.connections).toHaveLength(2);
    for (const conn of memberRow?.connections ?? []) {
      expect(conn.durationMs).toBeGreaterThanOrEqual(0);
      expect(conn.idleMs).toBeGreaterThanOrEqual(0);
    }
    expect(mine?.users.find((u) => u.user.id === admin.user.id)?.connections).toHaveLength(1);
    expect(
      (await callJson("/api/v1/realtime/activity/sessions?topic=admin", { headers: bearer(member.token) }))
        .res.status,
    ).toBe(403);
    expect(
      (await callJson("/api/v1/realtime/activity/sessions?topic=nope", { headers: bearer(admin.token) })).res
        .status,
    ).toBe(400);

    const put = (token: string, userId: string, body: unknown) =>
      callJson<{ limits: Record<string, number>; appliedToSockets: number }>(
        `/api/v1/realtime/ratelimits/users/${userId}`,
        {
          method: "PUT",
          headers: { ...bearer(token), "content-type": "application/json" },
          body: JSON.stringify(body),
        },
      );
    expect((await put(member.token, member.user.id, { burst: 1, perSecond: null })).res.status).toBe(403);
    expect((await put(admin.token, "no-such-user", { burst: 1, perSecond: null })).res.status).toBe(404);
    expect((await put(admin.token, member.user.id, { burst: 0, perSecond: null })).res.status).toBe(400);
    const set = await put(admin.token, member.user.id, { burst: 1, perSecond: 0.001 });
    expect(set.res.status, set.text).toBe(200);
    expect(set.body.limits).toEqual({ burst: 1, perSecond: 0.001 });
    expect(set.body.appliedToSockets).toBe(2);
    // The open socket's bucket shrank to one message.
    a1.send({ type: "message", data: { text: "one" } });
    a1.send({ type: "message", data: { text: "two" } });
    const refused = await a1.next((f) => f.type === "error" && f.data.code === "rate_limited");
    expect(refused.data.code).toBe("rate_limited");
    // A new socket takes the override too (read at the upgrade): a full bucket of one.
    const a3 = await connect(member.token, topic);
    a3.send({ type: "message", data: { text: "three" } });
    a3.send({ type: "message", data: { text: "three again" } });
    await a3.next((f) => f.type === "error" && f.data.code === "rate_limited");
    expect(a3.frames.some((f) => f.type === "message" && f.data.text === "three")).toBe(true);
    const got = await callJson<{ limits: Record<string, number> }>(
      `/api/v1/realtime/ratelimits/users/${member.user.id}`,
      {
        headers: bearer(admin.token),
      },
    );
    expect(got.body.limits).toEqual({ burst: 1, perSecond: 0.001 });
    // Cleared: new sockets have the topic's bucket again.
    const cleared = await put(admin.token, member.user.id, { burst: null, perSecond: null });
    expect(cleared.body.limits).toEqual({});
    const a4 = await connect(member.token, topic);
    a4.send({ type: "message", data: { text: "four" } });
    a4.send({ type: "message", data: { text: "five" } });
    await s1.next((f) => f.type === "message" && f.data.text === "five");
    expect(a4.frames.some((f) => f.type === "error")).toBe(false);
    for (const c of [a1, a2, a3, a4, s1]) c.close();
    const spec = await callJson<{ paths: Record<string, Record<string, unknown>> }>("/openapi.json");
    expect(Object.keys(spec.body.paths["/api/v1/realtime/activity/sessions"] ?? {})).toContain("get");
    expect(Object.keys(spec.body.paths["/api/v1/realtime/ratelimits/users/{userId}"] ?? {})).toEqual(
      expect.arrayContaining(["get", "put"]),
    );
    expect(Object.keys(spec.body.paths["/api/v1/realtime/tickets/{id}"] ?? {})).toContain("patch");
  });

  it("closes a banned user's sockets at once, refuses the reconnect, and admits again once lifted", async () => {
    const user = await createTestUser();
    const topic = `chat:${await newChannel()}`;
    const c1 = await connect(user.token, topic);
    const c2 = await connect(user.token, topic);
    const watcher = await connect(admin.token, topic);
    await c1.next((f) => f.type === "welcome");
    await c2.next((f) => f.type === "welcome");
    await watcher.next((f) => f.type === "welcome");

    const ban = await callJson<{ ban: { id: string }; closedSockets: number }>("/api/v1/realtime/users/ban", {
      method: "POST",
      headers: { ...bearer(admin.token), "content-type": "application/json" },
      body: JSON.stringify({ userId: user.user.id, reason: "spam" }),
    });
    expect(ban.res.status, ban.text).toBe(201);
    expect(ban.body.closedSockets).toBe(2);
    expect((await c1.waitClosed()).code).toBe(CLOSE.BANNED);
    expect((await c2.waitClosed()).code).toBe(CLOSE.BANNED);
    const leave = await watcher.next((f) => f.type === "presence.leave");
    expect(leave.data.user).toMatchObject({ id: user.user.id });

    const refused = await ticket(user.token, topic);
    expect(refused.res.status).toBe(403);
    expect(refused.body).toMatchObject({
      success: false,
      code: "FORBIDDEN",
      error: "You are banned from chat",
    });

    const bans = await callJson<{ bans: { id: string; liftedAt: string | null }[] }>(
      `/api/v1/realtime/users/bans?userId=${user.user.id}`,
      { headers: bearer(admin.token) },
    );
    expect(bans.body.bans.map((b) => b.id)).toEqual([ban.body.ban.id]);
    const lifted = await callJson(`/api/v1/realtime/users/bans/${ban.body.ban.id}`, {
      method: "DELETE",
      headers: bearer(admin.token),
    });
    expect(lifted.res.status, lifted.text).toBe(200);
    const back = await connect(user.token, topic);
    await back.next((f) => f.type === "welcome");
    back.send({ type: "message", data: { text: "sorry" } });
    await watcher.next((f) => f.type === "message" && f.data.text === "sorry");
    back.close();
    watcher.close();
  });

  it("rate-limits a socket with its token bucket, then closes it; caps message size", async () => {
    const topic = `chat:${await newChannel()}`;
    await hub(topic).setLimits({ burst: 5, perSecond: 0.001 });
    const c = await connect(member.token, topic);
    await c.next((f) => f.type === "welcome");
    c.send({ type: "message", data: { text: "x".repeat(LIMITS.maxTextChars + 1) } });
    expect((await c.next((f) => f.type === "error")).data.code).toBe("too_large");
    c.send("{not json");
    expect((await c.next((f) => f.type === "error" && f.data.code === "bad_json")).data.code).toBe(
      "bad_json",
    );
    for (let i = 0; i < 5 + LIMITS.strikes; i++) c.send({ type: "message", data: { text: `m${i}` } });
    const closed = await c.waitClosed();
    expect(closed.code).toBe(CLOSE.RATE_LIMITED);
    expect(c.frames.filter((f) => f.type === "message").map((f) => f.data.text)).toEqual([
      "m0",
      "m1",
      "m2",
      "m3",
      "m4",
    ]);
    expect(c.frames.filter((f) => f.type === "error" && f.data.code === "rate_limited")).toHaveLength(
      LIMITS.strikes - 1,
    );
  });
});

describe("limits", () => {
  it("manages a topic's limits through the API and lists discovery facts publicly", async () => {
    const topic = `chat:${await newChannel()}`;
    const put = await callJson<{ limits: { burst: number; perSecond: number; maxSockets: number } }>(
      "/api/v1/realtime/ratelimits",
      {
        method: "PUT",
        headers: { ...bearer(admin.token), "content-type": "application/json" },
        body: JSON.stringify({ topic, burst: 2, perSecond: 0.5 }),
      },
    );
    expect(put.res.status, put.text).toBe(200);
    expect(put.body.limits).toEqual({ burst: 2, perSecond: 0.5, maxSockets: LIMITS.maxSockets });
    const got = await callJson<{ limits: unknown }>(
      `/api/v1/realtime/ratelimits?topic=${encodeURIComponent(topic)}`,
      {
        headers: bearer(admin.token),
      },
    );
    expect(got.body.limits).toEqual(put.body.limits);
    const bad = await callJson("/api/v1/realtime/ratelimits", {
      method: "PUT",
      headers: { ...bearer(admin.token), "content-type": "application/json" },
      body: JSON.stringify({ topic, burst: -1 }),
    });
    expect(bad.res.status).toBe(400);
    const forMember = await callJson(`/api/v1/realtime/ratelimits?topic=${encodeURIComponent(topic)}`, {
      headers: bearer(member.token),
    });
    expect(forMember.res.status).toBe(403);

    const d = await callJson<{ wsUrl: string; closeCodes: Record<string, number> }>(
      "/api/v1/realtime/discovery",
    );
    expect(d.res.status).toBe(200);
    expect(d.body.wsUrl).toBe("/api/v1/realtime/ws");
    expect(d.body.closeCodes).toEqual(CLOSE);
    const channels = await callJson<{ channels: { id: string }[] }>("/api/v1/realtime/channels", {
      headers: bearer(member.token),
    });
    const ids = channels.body.channels.map((ch) => ch.id);
    expect(ids).toContain(publicChannel);
    expect(ids).not.toContain(staffChannel);
  });

  it("refuses the socket over capacity with a 503 before the upgrade", async () => {
    const topic = `chat:${await newChannel()}`;
    await hub(topic).setLimits({ maxSockets: 2 });
    const a = await connect(member.token, topic);
    const b = await connect(other.token, topic);
    const t = await ticket(admin.token, topic);
    const res = await upgrade(t.body.url);
    expect(res.status).toBe(503);
    expect(res.webSocket).toBeFalsy();
    expect(await res.json()).toMatchObject({ success: false, code: "UNAVAILABLE" });
    a.close();
    await eventuallyStats(topic, 1);
    const c = await connect(admin.token, topic);
    await c.next((f) => f.type === "welcome");
    b.close();
    c.close();
  });

  it("closes a socket that stayed silent past the idle limit (alarm, no timers)", async () => {
    const topic = `sync:${uid("idle")}`;
    const quietAdmin = await createAdmin();
    const quiet = await connect(quietAdmin.token, topic);
    const chatty = await connect(admin.token, topic);
    await quiet.next((f) => f.type === "welcome");
    await chatty.next((f) => f.type === "welcome");
    expect(await runInDurableObject(hub(topic), (_i, state) => state.storage.getAlarm())).not.toBeNull();
    // Age the quiet socket's last-seen; the other one pings (answered by the auto-response).
    await runInDurableObject(hub(topic), (_i, state) => {
      for (const ws of state.getWebSockets()) {
        const a = ws.deserializeAttachment() as { u: string; s: number };
        if (a.u === quietAdmin.user.id)
          ws.serializeAttachment({ ...a, s: Date.now() - LIMITS.idleMs - 1000 });
      }
    });
    chatty.send('{"type":"ping"}');
    await chatty.next((f) => (f.type as string) === "pong");
    expect(await runDurableObjectAlarm(hub(topic))).toBe(true);
    expect((await quiet.waitClosed()).code).toBe(CLOSE.IDLE);
    expect(chatty.closed).toBeUndefined();
    expect(await runInDurableObject(hub(topic), (_i, state) => state.storage.getAlarm())).not.toBeNull();
    chatty.close();
  });
});

async function eventuallyStats(topic: string, sockets: number) {
  for (let i = 0; i < 200; i++) {
    if ((await hub(topic).stats()).sockets === sockets) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`topic ${topic} never had ${sockets} sockets`);
}
