// A sync's progress reaches the dashboard live: the engine's after-commit events arrive on
// `sync:{id}` (gapless, resumable from offset 0) and on `admin`; the SSE stream renders them. Runs in the serialized sync phase
// of `npm test` (a real run against the demo panel).
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, eventually, testDb } from "../../../test/helpers.ts";
import { mutatePanel, panelAll } from "../../../test/panel.ts";
import { connect } from "../../../test/realtime-client.ts";
import {
  admin,
  finished,
  fullSync,
  type PServer,
  syncSuiteHooks,
  trigger,
} from "../../../test/sync-helpers.ts";
import type { Frame } from "../../services/realtime/protocol.ts";
import type { RealtimeHub } from "./hub.do.ts";

const hub = (topic: string) =>
  (env as unknown as { REALTIME_HUB: DurableObjectNamespace<RealtimeHub> }).REALTIME_HUB.getByName(topic);

syncSuiteHooks();

describe("sync progress on the hub", () => {
  it("streams started, progress and finished on sync:{id} and admin without polling", async () => {
    const adminOffset = (await hub("admin").stats()).offset;
    const dash = await connect(admin.token, "admin", adminOffset);
    const t = await trigger({ type: "full" });
    expect(t.alreadyRunning).toBe(false);
    const id = t.sync_log_id;
    // since=0: whatever was published before this socket opened comes in the welcome.
    const live = await connect(admin.token, `sync:${id}`, 0);
    const welcome = await live.next((f) => f.type === "welcome");
    expect(welcome.data.recovery).toBe("resumed");
    await live.next((f) => f.type === "sync.finished", 60_000);
    const log = await finished(id);
    expect(log.status).toBe("COMPLETED");

    const frames = [
      ...(welcome.data.frames as Frame[]),
      ...live.frames.filter((f) => f.type.startsWith("sync.")),
    ];
    expect(
      frames.map((f) => f.offset),
      JSON.stringify([welcome.offset, live.frames.map((f) => [f.type, f.offset])]),
    ).toEqual(frames.map((_, i) => i + 1));
    expect(frames[0]?.type).toBe("sync.started");
    expect(frames.at(-1)).toMatchObject({
      type: "sync.finished",
      data: { syncLogId: id, status: "COMPLETED" },
    });
    const progress = frames.filter((f) => f.type === "sync.progress");
    expect(progress.length).toBeGreaterThan(0);
    for (const f of frames) expect(f.data.syncLogId).toBe(id);

    const onAdmin = await dash.next((f) => f.type === "sync.finished" && f.data.syncLogId === id, 10_000);
    expect(onAdmin.topic).toBe("admin");
    expect(dash.frames.some((f) => f.type === "sync.started" && f.data.syncLogId === id)).toBe(true);
    live.close();
    dash.close();
  });
});

/** An SSE reader collecting `event: x` blocks as they arrive. */
async function openStream(id: string) {
  const res = await call(`/api/admin/sync/stream/${id}?token=${encodeURIComponent(admin.token)}`);
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const events: { event: string; data: Record<string, unknown> }[] = [];
  let buf = "";
  let ended = false;
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
      let i = buf.indexOf("\n\n");
      while (i >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = /^event: (\w+)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (ev) events.push({ event: ev, data: data ? JSON.parse(data) : {} });
        i = buf.indexOf("\n\n");
      }
    }
    ended = true;
  })();
  return {
    events,
    ended: () => ended,
    until: (pred: (e: (typeof events)[number]) => boolean, timeoutMs = 15_000) =>
      eventually(async () => {
        const e = events.find(pred);
        if (!e) throw new Error(`no such event yet: ${JSON.stringify(events)}`);
        return e;
      }, timeoutMs),
    cancel: () => reader.cancel().catch(() => {}),
  };
}

/** Retries `check` until it stops throwing. */
const settled = (check: () => unknown) =>
  eventually(async () => {
    await check();
    return true;
  });

async function runningLog() {
  const id = crypto.randomUUID();
  await testDb().execute(
    sql`insert into sync_logs (id, type, status, "itemsTotal", "itemsSynced", metadata)
      values (${id}, 'nodes', 'RUNNING', 10, 1, '{"step":"nodes","progress":10}'::jsonb)`,
  );
  return id;
}

describe("the SSE stream fed from the hub", () => {
  it("renders progress from the hub's frames (not the database) and ends with the database's terminal state", async () => {
    const id = await runningLog();
    const stream = await openStream(id);
    try {
      const first = await stream.until((e) => e.event === "update");
      expect(first.data).toMatchObject({ id, status: "RUNNING", itemsSynced: 1 });
      // The stream holds one hibernatable socket on sync:{id}.
      await settled(async () => expect((await hub(`sync:${id}`).stats()).sockets).toBe(1));
      // A snapshot only the frame carries: the database still says itemsSynced 1.
      const snapshot = {
        id,
        status: "RUNNING",
        itemsTotal: 10,
        itemsSynced: 7,
        metadata: { step: "nodes", progress: 70, lastMessage: "from the hub" },
      };
      await hub(`sync:${id}`).publish(`sync:${id}`, "sync.progress", {
        syncLogId: id,
        seq: 5,
        log: snapshot,
      });
      const live = await stream.until((e) => e.event === "update" && e.data.itemsSynced === 7);
      expect(live.data).toEqual(snapshot);
      // An older frame arriving late (fire-and-forget publishes) is not rendered.
      await hub(`sync:${id}`).publish(`sync:${id}`, "sync.progress", {
        syncLogId: id,
        seq: 4,
        log: { ...snapshot, itemsSynced: 6 },
      });
      await testDb().execute(sql`update sync_logs set status = 'COMPLETED', "itemsSynced" = 10,
        metadata = metadata || '{"step":"completed","progress":100}'::jsonb where id = ${id}`);
      await hub(`sync:${id}`).publish(`sync:${id}`, "sync.finished", { syncLogId: id, status: "COMPLETED" });
      const done = await stream.until((e) => e.event === "done");
      expect(done.data).toMatchObject({
        id,
        status: "COMPLETED",
        itemsSynced: 10,
        metadata: { progress: 100 },
      });
      await settled(async () => expect(stream.ended()).toBe(true));
      expect(stream.events.filter((e) => e.event === "done")).toHaveLength(1);
      expect(stream.events.some((e) => e.data.itemsSynced === 6)).toBe(false);
      // The stream let go of its socket: the topic's object may sleep again.
      await settled(async () => expect((await hub(`sync:${id}`).stats()).sockets).toBe(0));
    } finally {
      await stream.cancel();
      await testDb().execute(
        sql`update sync_logs set status = 'CANCELLED' where id = ${id} and status = 'RUNNING'`,
      );
    }
  });

  it("never misses the end: a lost socket (eviction, deploy) makes it read the log and resubscribe", async () => {
    const id = await runningLog();
    const stream = await openStream(id);
    try {
      await stream.until((e) => e.event === "update");
      await settled(async () => expect((await hub(`sync:${id}`).stats()).sockets).toBe(1));
      // The run ends without any frame reaching the stream (as if its publish were lost)...
      await testDb().execute(sql`update sync_logs set status = 'CANCELLED', metadata = metadata || '{"step":"cancelled"}'::jsonb
        where id = ${id}`);
      // ...and the object is evicted with its sockets closed.
      await evictDurableObject(hub(`sync:${id}`), { webSockets: "close" });
      const done = await stream.until((e) => e.event === "done");
      expect(done.data).toMatchObject({ id, status: "CANCELLED", metadata: { step: "cancelled" } });
    } finally {
      await stream.cancel();
      await testDb().execute(
        sql`update sync_logs set status = 'CANCELLED' where id = ${id} and status = 'RUNNING'`,
      );
    }
  });

  it("a real run's SSE updates are rendered from the commits' snapshots and end with done", async () => {
    const t = await trigger({ type: "full" });
    const stream = await openStream(t.sync_log_id);
    try {
      const done = await stream.until((e) => e.event === "done", 60_000);
      expect(done.data).toMatchObject({
        id: t.sync_log_id,
        status: "COMPLETED",
        metadata: { progress: 100 },
      });
      const updates = stream.events.filter((e) => e.event === "update");
      expect(updates.length).toBeGreaterThan(1);
      const synced = updates.map((u) => u.data.itemsSynced as number);
      expect(synced).toEqual([...synced].sort((a, b) => a - b));
      for (const u of updates)
        expect(Object.keys(u.data)).toEqual(["id", "status", "itemsTotal", "itemsSynced", "metadata"]);
    } finally {
      await stream.cancel();
      await finished(t.sync_log_id);
    }
  });
});

describe("server state learned by the sync", () => {
  it("publishes server.state on server:{uuid} and admin when the panel changed a server's state", async () => {
    await fullSync();
    const [target] = await panelAll<PServer>("/servers");
    if (!target) throw new Error("the demo panel has no servers");
    const watcher = await connect(admin.token, `server:${target.uuid}`);
    const dash = await connect(admin.token, "admin", (await hub("admin").stats()).offset);
    // The demo panel keeps suspension in `status` (its listing derives `suspended` from it).
    const wasSuspended = target.suspended || target.status === "suspended";
    await mutatePanel("updateServer", target.id, { status: wasSuspended ? null : "suspended" });
    try {
      await fullSync();
      const f = await watcher.next((x) => x.type === "server.state");
      expect(f.data).toMatchObject({
        serverUuid: target.uuid,
        status: wasSuspended ? "online" : "suspended",
        source: "sync",
      });
      expect(f.data.previous).not.toBe(f.data.status);
      await dash.next((x) => x.type === "server.state" && x.data.serverUuid === target.uuid);
      // Nothing changed since: the next run publishes no state for it.
      const seen = watcher.frames.length;
      await fullSync();
      expect(watcher.frames.slice(seen).filter((x) => x.type === "server.state")).toEqual([]);
    } finally {
      await mutatePanel("updateServer", target.id, { status: target.status });
      watcher.close();
      dash.close();
    }
  }, 180_000);
});
