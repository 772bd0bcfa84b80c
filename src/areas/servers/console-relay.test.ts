// The console through the relay, end to end: ticket → upgrade through the app → the server's
// ConsoleRelay object → the control panel's fake Wings. Per-viewer filtering (commands and power
// per message, install output and error detail for admins only), token renewal on the same Wings
// socket, the Wings socket closed when the last viewer leaves, viewers kept across a hibernating
// eviction (rights rebuilt from attachments), refusals before any upgrade, single-use tickets,
// and the audit rows naming the customer.
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, asc, eq } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  allowManyClientRequests,
  api,
  consoleOf,
  controlEnv,
  panelRequestsFor,
  type SeededServer,
  seedServer,
} from "../../../test/control-panel.ts";
import { eventually, testDb } from "../../../test/helpers.ts";
import { connect } from "../../../test/realtime-client.ts";
import { createAdmin, createTestUser, type TestUser } from "../../../test/users.ts";
import { createApp } from "../../app.ts";
import { auditLogs, serverSubusers, users } from "../../platform/db/schema/index.ts";
import type { ConsoleRelay } from "./console-relay.do.ts";

beforeAll(allowManyClientRequests);

const app = createApp();
const relay = (serverId: string) =>
  (env as unknown as { CONSOLE_RELAY: DurableObjectNamespace<ConsoleRelay> }).CONSOLE_RELAY.getByName(
    serverId,
  );

interface Frame {
  event: string;
  args: string[];
}

interface Viewer {
  frames: Frame[];
  closed?: { code: number };
  next(pred: (f: Frame) => boolean, from?: number, timeoutMs?: number): Promise<Frame>;
  send(event: string, ...args: string[]): void;
  close(): void;
}

interface WingsConnection {
  id: string;
  closedAt: number | null;
  auths: number;
  origin: string;
  received: Frame[];
  refused: string[];
}

const panel = () => inject("controlPanelUrl");

async function wings(uuid: string): Promise<WingsConnection[]> {
  const res = await fetch(`${panel()}/__wings?server=${uuid}`);
  return (await res.json()) as WingsConnection[];
}
const openWings = async (uuid: string) => (await wings(uuid)).filter((c) => c.closedAt === null);

async function wingsOp(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${panel()}/__wings`, { method: "POST", body: JSON.stringify(body) });
  expect(res.status, await res.text()).toBe(204);
}

async function ticket(user: TestUser, s: SeededServer) {
  return api<{ ticket: string; url: string; permissions: string[]; code?: string }>(
    `/api/v1/servers/${s.id}/console/ticket`,
    { method: "POST", token: user.token },
  );
}

async function upgrade(url: string, headers: Record<string, string> = { Upgrade: "websocket" }) {
  return app.request(url, { headers }, controlEnv());
}

async function open(user: TestUser, s: SeededServer): Promise<Viewer> {
  const t = await ticket(user, s);
  expect(t.res.status, t.text).toBe(200);
  const res = await upgrade(t.body.url);
  expect(res.status, res.status === 101 ? "" : await res.text()).toBe(101);
  const ws = res.webSocket;
  if (!ws) throw new Error("no webSocket on the 101");
  ws.accept();
  const v: Viewer = {
    frames: [],
    async next(pred, from = 0, timeoutMs = 15_000) {
      return eventually(async () => v.frames.slice(from).find(pred), timeoutMs).catch((err: unknown) => {
        throw new Error(`${String(err)}; frames: ${JSON.stringify(v.frames)}`);
      });
    },
    send: (event, ...args) => ws.send(JSON.stringify({ event, args })),
    close: () => ws.close(1000, "bye"),
  };
  ws.addEventListener("message", (e) => v.frames.push(JSON.parse(String(e.data)) as Frame));
  ws.addEventListener("close", (e) => {
    v.closed = { code: e.code };
  });
  return v;
}

const line = (text: string) => (f: Frame) => f.event === "console output" && f.args[0] === text;
const status = (state: string) => (f: Frame) => f.event === "status" && f.args[0] === state;
const refusal = (code: string) => (f: Frame) => f.event === "relay error" && f.args[0] === code;

async function auditOf(serverId: string) {
  return testDb()
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.targetType, "server"), eq(auditLogs.targetId, serverId)))
    .orderBy(asc(auditLogs.id));
}

describe("console relay", () => {
  it("fans Wings out to every viewer and checks commands and power per viewer, per message", async () => {
    const owner = await createTestUser();
    const watcher = await createTestUser();
    const operator = await createTestUser();
    const s = await seedServer(owner, [
      [watcher, ["websocket.connect"]],
      [operator, ["websocket.connect", "control.console", "control.start"]],
    ]);
    const live = await connect(owner.token, `server:${s.uuid}`);
    const o = await open(owner, s);
    await o.next((f) => f.event === "auth success");
    await o.next(status("offline"));
    const w = await open(watcher, s);
    const op = await open(operator, s);

    w.send("send command", "op me");
    expect((await w.next(refusal("forbidden"))).args[1]).toContain("control.console");
    const at = w.frames.length;
    w.send("set state", "start");
    expect((await w.next(refusal("forbidden"), at)).args[1]).toContain("control.start");
    op.send("set state", "stop");
    expect((await op.next(refusal("forbidden"))).args[1]).toContain("control.stop");

    op.send("set state", "start");
    for (const v of [o, w, op]) await v.next(status("running"));
    // The state Wings reports reaches the server's live topic too.
    const state = await live.next((f) => f.type === "server.state" && f.data.state === "running");
    expect(state.data).toMatchObject({ serverUuid: s.uuid, via: "console" });
    live.close();
    op.send("send command", "say hello from the console");
    for (const v of [o, w, op]) await v.next(line("> say hello from the console"));
    expect(await consoleOf(s.panelId)).toContain("> say hello from the console");
    expect(await consoleOf(s.panelId)).not.toContain("> op me");

    // One Wings connection for three viewers, opened with the panel's origin.
    const conns = await openWings(s.uuid);
    expect(conns).toHaveLength(1);
    expect(conns[0]?.origin).toBe(panel());

    const rows = await auditOf(s.id);
    const of = (action: string) => rows.filter((r) => r.action === action);
    expect(
      of("server.console.open")
        .map((r) => r.actorId)
        .sort(),
    ).toEqual([owner.user.id, watcher.user.id, operator.user.id].sort());
    expect(of("server.power")).toEqual([
      expect.objectContaining({
        actorId: operator.user.id,
        details: expect.objectContaining({ signal: "start", via: "console", role: "subuser" }),
      }),
    ]);
    expect(of("server.command")).toEqual([
      expect.objectContaining({
        actorId: operator.user.id,
        details: expect.objectContaining({ command: "say hello from the console", via: "console" }),
      }),
    ]);
    for (const v of [o, w, op]) v.close();
  });

  it("shows install output and daemon error detail to admins only", async () => {
    const owner = await createTestUser();
    const admin = await createAdmin();
    const s = await seedServer(owner);
    const o = await open(owner, s);
    const a = await open(admin, s);
    await a.next((f) => f.event === "auth success");
    await eventually(async () => ((await openWings(s.uuid)).length === 1 ? true : undefined));
    await wingsOp({ op: "install", server: s.uuid, line: "installing java 21" });
    await wingsOp({ op: "error", server: s.uuid, detail: "disk quota exceeded on /srv/daemon" });
    await wingsOp({ op: "event", server: s.uuid, event: "console output", args: ["marker"] });
    await a.next((f) => f.event === "install output" && f.args[0] === "installing java 21");
    const detailed = await a.next((f) => f.event === "daemon error");
    expect(detailed.args[0]).toContain("disk quota exceeded");
    await o.next(line("marker"));
    expect(o.frames.some((f) => f.event === "install output")).toBe(false);
    const generic = await o.next((f) => f.event === "daemon error");
    expect(generic.args[0]).not.toContain("disk quota");
    expect(generic.args[0]).toContain("an unexpected error was encountered");
    // Same error id for both, so support can match the owner's report to the detail.
    expect(generic.args[0]?.slice(0, 50)).toBe(detailed.args[0]?.slice(0, 50));
    o.close();
    a.close();
  });

  it("renews the Wings token on the same socket before it expires", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    await wingsOp({ op: "token-seconds", server: s.uuid, seconds: 3 });
    const o = await open(owner, s);
    await o.next(status("offline"));
    const [first] = await openWings(s.uuid);
    const renewed = await eventually(async () => {
      const c = (await wings(s.uuid)).find((x) => x.id === first?.id);
      return c && c.auths >= 3 ? c : undefined;
    }, 20_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(await wings(s.uuid))}`);
    });
    expect(renewed.closedAt).toBeNull();
    expect(await openWings(s.uuid)).toHaveLength(1);
    // Past the first token's end, the socket still carries power and commands.
    o.send("set state", "start");
    await o.next(status("running"));
    o.send("send command", "still here");
    await o.next(line("> still here"));
    expect(o.frames.some((f) => f.event === "token expired" || f.event === "relay error")).toBe(false);
    const mints = (await panelRequestsFor(s.uuid)).filter((r) => r.path.endsWith("/websocket"));
    expect(mints.length).toBeGreaterThanOrEqual(3);
    o.close();
  });

  it("closes the Wings connection when the last viewer leaves, and audits each session", async () => {
    const owner = await createTestUser();
    const sub = await createTestUser();
    const s = await seedServer(owner, [[sub, ["websocket.connect"]]]);
    const o = await open(owner, s);
    const v = await open(sub, s);
    await v.next((f) => f.event === "auth success");
    expect(await openWings(s.uuid)).toHaveLength(1);
    o.close();
    await eventually(async () =>
      (await auditOf(s.id)).some((r) => r.action === "server.console.close") ? true : undefined,
    );
    expect(await openWings(s.uuid)).toHaveLength(1);
    v.close();
    await eventually(async () => ((await openWings(s.uuid)).length === 0 ? true : undefined));
    expect(await relay(s.id).state()).toEqual({ viewers: 0, wings: false });
    const closes = (
      await eventually(async () => {
        const rows = (await auditOf(s.id)).filter((r) => r.action === "server.console.close");
        return rows.length === 2 ? rows : undefined;
      })
    ).map((r) => r.actorId);
    expect(closes.sort()).toEqual([owner.user.id, sub.user.id].sort());
  });

  it("keeps viewers across a Wings restart and a hibernating eviction: rights from the attachments", async () => {
    const owner = await createTestUser();
    const watcher = await createTestUser();
    const s = await seedServer(owner, [[watcher, ["websocket.connect"]]]);
    const o = await open(owner, s);
    const w = await open(watcher, s);
    await w.next(status("offline"));
    // Wings restarts: the relay keeps its viewers and, holding no outbound socket, may hibernate.
    await wingsOp({ op: "drop", server: s.uuid });
    await eventually(async () => ((await openWings(s.uuid)).length === 0 ? true : undefined));
    await eventually(async () => ((await relay(s.id).state()).wings ? undefined : true));
    const before = (await wings(s.uuid)).length;
    await evictDurableObject(relay(s.id), { webSockets: "hibernate" });
    expect(o.closed).toBeUndefined();
    expect(w.closed).toBeUndefined();
    // The watchdog alarm (it survives eviction) brings Wings back for the viewers still there.
    expect(await runDurableObjectAlarm(relay(s.id))).toBe(true);
    await eventually(async () => ((await openWings(s.uuid)).length === 1 ? true : undefined));
    expect((await wings(s.uuid)).length).toBe(before + 1);

    const at = w.frames.length;
    w.send("send command", "sneaky");
    await w.next(refusal("forbidden"), at);
    o.send("set state", "start");
    await w.next(status("running"), at);
    o.send("send command", "after eviction");
    await w.next(line("> after eviction"), at);
    expect(await consoleOf(s.panelId)).not.toContain("> sneaky");
    expect(await openWings(s.uuid)).toHaveLength(1);
    const cmd = (await auditOf(s.id)).filter((r) => r.action === "server.command");
    expect(cmd.map((r) => r.actorId)).toEqual([owner.user.id]);
    o.close();
    w.close();
    await eventually(async () => ((await openWings(s.uuid)).length === 0 ? true : undefined));
  });

  it("re-reads rights after the upgrade: a lost permission stops actions, a removed subuser or disabled user is closed", async () => {
    const owner = await createTestUser();
    const op = await createTestUser();
    const watcher = await createTestUser();
    const leaver = await createTestUser();
    const s = await seedServer(owner, [
      [op, ["websocket.connect", "control.console"]],
      [watcher, ["websocket.connect"]],
      [leaver, ["websocket.connect"]],
    ]);
    const o = await open(owner, s);
    const vOp = await open(op, s);
    const vWatcher = await open(watcher, s);
    const vLeaver = await open(leaver, s);
    await vLeaver.next((f) => f.event === "auth success");
    o.send("set state", "start");
    await vOp.next(status("running"));
    vOp.send("send command", "before the change");
    await o.next(line("> before the change"));

    // The panel takes control.console from op (the sync mirrors it): after a few seconds, op's
    // next command is checked against the database, not against the rights of the upgrade.
    const db = testDb();
    await db
      .update(serverSubusers)
      .set({ permissions: ["websocket.connect"] })
      .where(and(eq(serverSubusers.serverId, s.id), eq(serverSubusers.userId, op.user.id)));
    await new Promise((r) => setTimeout(r, 5_200));
    const at = vOp.frames.length;
    vOp.send("send command", "after the change");
    expect((await vOp.next(refusal("forbidden"), at)).args[1]).toContain("control.console");

    // A subuser removed and a user disabled: the watchdog reads every viewer again and closes them.
    await db
      .delete(serverSubusers)
      .where(and(eq(serverSubusers.serverId, s.id), eq(serverSubusers.userId, watcher.user.id)));
    await db.update(users).set({ isActive: false }).where(eq(users.id, leaver.user.id));
    expect(await runDurableObjectAlarm(relay(s.id))).toBe(true);
    for (const v of [vWatcher, vLeaver]) {
      await v.next(refusal("revoked"));
      await eventually(async () => (v.closed ? true : undefined));
      expect(v.closed?.code).toBe(4403);
    }
    expect(o.closed).toBeUndefined();
    expect(vOp.closed).toBeUndefined();
    await wingsOp({ op: "event", server: s.uuid, event: "console output", args: ["only for the rest"] });
    await o.next(line("only for the rest"));
    await vOp.next(line("only for the rest"));
    expect(vWatcher.frames.some((f) => f.args[0] === "only for the rest")).toBe(false);
    expect(await consoleOf(s.panelId)).not.toContain("> after the change");
    const closes = await eventually(async () => {
      const rows = (await auditOf(s.id)).filter((r) => r.action === "server.console.close");
      return rows.length === 2 ? rows : undefined;
    });
    expect(closes.map((r) => r.actorId).sort()).toEqual([watcher.user.id, leaver.user.id].sort());
    o.close();
    vOp.close();
  });

  it("refuses strangers, missing permissions, bad and reused tickets before any upgrade", async () => {
    const owner = await createTestUser();
    const stranger = await createTestUser();
    const noSocket = await createTestUser();
    const s = await seedServer(owner, [[noSocket, ["control.console"]]]);

    const st = await ticket(stranger, s);
    expect(st.res.status, st.text).toBe(404);
    expect(st.body.code).toBe("NOT_FOUND");
    const ns = await ticket(noSocket, s);
    expect(ns.res.status, ns.text).toBe(403);
    expect(ns.text).toContain("websocket.connect");
    const anon = await api(`/api/v1/servers/${s.id}/console/ticket`, { method: "POST" });
    expect(anon.res.status).toBe(401);

    const forged = await upgrade(`/api/v1/servers/${s.id}/console?ticket=${"ab".repeat(24)}`);
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({
      success: false,
      code: "UNAUTHORIZED",
      requestId: expect.any(String),
    });

    const t = await ticket(owner, s);
    expect(t.res.status, t.text).toBe(200);
    const plain = await upgrade(t.body.url, {});
    expect(plain.status).toBe(426);
    // A ticket for this server does not open another one.
    const other = await seedServer(owner);
    const crossed = await upgrade(`/api/v1/servers/${other.id}/console?ticket=${t.body.ticket}`);
    expect(crossed.status).toBe(401);
    const first = await upgrade(t.body.url);
    expect(first.status).toBe(101);
    first.webSocket?.accept();
    const again = await upgrade(t.body.url);
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: "UNAUTHORIZED" });
    first.webSocket?.close(1000, "bye");

    // Neither refused caller reached the panel.
    const mints = (await panelRequestsFor(s.uuid)).filter((r) => r.path.endsWith("/websocket"));
    expect(mints).toHaveLength(1);
    const otherMints = (await panelRequestsFor(other.uuid)).filter((r) => r.path.endsWith("/websocket"));
    expect(otherMints).toHaveLength(0);
  });
});
