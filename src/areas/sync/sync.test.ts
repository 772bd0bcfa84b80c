// Panel sync end to end through workerd, the real local queue and the demo panel: exact data,
// convergence after changes, faults, duplicates, cancel, one-at-a-time, SSE, service routes.
// One file on purpose: only one sync can run at a time, database-wide.

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, callJson, jobMessage, testDb, testDeps, testEnv, uid } from "../../../test/helpers.ts";
import { addFault, clearFaults, mutatePanel, panelAll } from "../../../test/panel.ts";
import {
  admin,
  expectMirrorsPanel,
  finished,
  fullSync,
  type PServer,
  syncSuiteHooks,
  trigger,
} from "../../../test/sync-helpers.ts";
import { bearer, createAdmin, createTestUser } from "../../../test/users.ts";
import worker from "../../index.ts";
import { auditLogs, syncLogs, users } from "../../platform/db/schema/index.ts";
import { handleSyncPage } from "./sync-engine.ts";

syncSuiteHooks();

describe("panel sync", () => {
  it("lands exactly the panel's data with merged progress metadata and timing filled", async () => {
    const log = await fullSync();
    await expectMirrorsPanel();
    const [row] = await testDb().select().from(syncLogs).where(eq(syncLogs.id, log.id));
    expect(row?.metadata).toMatchObject({
      requested_by: "admin",
      step: "completed",
      progress: 100,
      lastMessage: "Sync completed",
    });
    expect(row?.completedAt).toBeInstanceOf(Date);
    expect(row?.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(row?.itemsSynced).toBeGreaterThan(0);
  });

  it("converges after panel changes without duplicating or deleting users", async () => {
    await fullSync();
    const local = await createTestUser();
    const pServers = await panelAll<PServer>("/servers");
    const pUsers = await panelAll<{ id: number; email: string }>("/users");
    const renamed = pUsers[3];
    if (!renamed) throw new Error("demo panel has too few users");
    const newEmail = `Renamed.${Date.now()}@Example.com`;
    const [loginBefore] = await testDb().select().from(users).where(eq(users.pterodactylId, renamed.id));
    await mutatePanel("renameUserEmail", renamed.id, newEmail);
    const removed = pServers[0];
    if (!removed) throw new Error("demo panel has no servers");
    await mutatePanel("removeServer", removed.id);
    await mutatePanel("updateServer", pServers[1]?.id, { name: "Renamed server" });
    const [before] = await testDb().select({ n: sql<number>`count(*)::int` }).from(users);
    await fullSync();
    await expectMirrorsPanel();
    const [after] = await testDb().select({ n: sql<number>`count(*)::int` }).from(users);
    expect(after?.n).toBe(before?.n);
    const [row] = await testDb().select().from(users).where(eq(users.pterodactylId, renamed.id));
    // The panel e-mail is kept beside the login, never over it.
    expect(row?.panelEmail).toBe(newEmail.toLowerCase());
    expect(row?.email).toBe(loginBefore?.email);
    expect((await testDb().select().from(users).where(eq(users.id, local.user.id))).length).toBe(1);
    // Gone from the panel (confirmed by id): a tombstone, hidden from every list.
    const gone = await testDb().execute<{ deleted: boolean }>(
      sql`select "deletedAt" is not null as deleted from servers where "pterodactylId" = ${removed.id}`,
    );
    expect(gone.rows).toEqual([{ deleted: true }]);
  });

  it("completes through 5xx, resets and 429s on pages with nothing lost", async () => {
    await addFault({ path: "^/api/application/servers\\?.*page=2", kind: "status", status: 502, times: 2 });
    await addFault({ path: "^/api/application/users\\?.*page=1", kind: "reset", times: 1 });
    await addFault({ path: "^/api/application/locations", kind: "429", retryAfter: 1, times: 1 });
    await fullSync();
    await expectMirrorsPanel();
  });

  it("fails a run on a page the panel refuses for good, with failed_step and error, deleting nothing", async () => {
    await fullSync();
    const [countsBefore] = (
      await testDb().execute(
        sql`select (select count(*) from servers)::int as s, (select count(*) from allocations)::int as a`,
      )
    ).rows;
    await addFault({ path: "^/api/application/servers", kind: "status", status: 403, times: 50 });
    const t = await trigger();
    const log = await finished(t.sync_log_id);
    expect(log.status).toBe("FAILED");
    expect(log.metadata).toMatchObject({ failed_step: "servers" });
    expect(log.error).toContain("403");
    const [countsAfter] = (
      await testDb().execute(
        sql`select (select count(*) from servers)::int as s, (select count(*) from allocations)::int as a`,
      )
    ).rows;
    expect(countsAfter).toEqual(countsBefore);
  });

  it("fails a run whose page exhausted its retries (dead-letter hook)", async () => {
    await addFault({ path: "^/api/application/locations", kind: "hang", times: 1 });
    const t = await trigger();
    // What jobs-dlq delivers when a page has used up its retries: through the Worker's queue handler.
    const dead = {
      id: `sync:${t.sync_log_id}:0:0`,
      type: "sync.page",
      payload: { syncLogId: t.sync_log_id, seq: 0 },
    };
    const message = { ...dead, priority: "critical" as const, enqueuedAt: new Date().toISOString() };
    const batch = createMessageBatch("jobs-dlq", [
      { id: "dlq-1", timestamp: new Date(), attempts: 6, body: message },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, testEnv, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["dlq-1"]);
    const log = await finished(t.sync_log_id);
    expect(log.status).toBe("FAILED");
    expect(log.metadata.failed_step).toBe("locations");
    expect(log.error).toContain("retries exhausted");
    const recorded = await testDb().execute(sql`select "jobType" from dead_jobs where id = ${dead.id}`);
    expect(recorded.rows).toEqual([{ jobType: "sync.page" }]);
    await clearFaults();
  });

  it("gives the same final state when every message is delivered twice (and late duplicates change nothing)", async () => {
    const t = await trigger();
    const ctx = testDeps({ message: jobMessage("sync.page", {}, "dup") });
    // Drive the chain alongside the queue: each position gets two extra, concurrent deliveries.
    for (let i = 0; i < 500; i++) {
      const [row] = (
        await testDb().execute<{ status: string; seq: number }>(sql`
          select l.status, (c.cursor->>'seq')::int as seq from sync_logs l
          join sync_cursors c on c."syncLogId" = l.id and c.step = 'chain' where l.id = ${t.sync_log_id}`)
      ).rows;
      if (!row || !["PENDING", "RUNNING"].includes(row.status)) break;
      const deliver = () =>
        handleSyncPage({ syncLogId: t.sync_log_id, seq: Number(row.seq) }, ctx).catch(() => {});
      await Promise.all([deliver(), deliver()]);
    }
    const log = await finished(t.sync_log_id);
    expect(log.status, JSON.stringify(log)).toBe("COMPLETED");
    await expectMirrorsPanel();
    for (const seq of [0, 1, 2]) await handleSyncPage({ syncLogId: t.sync_log_id, seq }, ctx);
    await expectMirrorsPanel();
    const [again] = await testDb().select().from(syncLogs).where(eq(syncLogs.id, t.sync_log_id));
    expect(again?.status).toBe("COMPLETED");
  });

  it("cancels mid-run and ends CANCELLED; one run at a time", async () => {
    await addFault({ path: "^/api/application/nodes", kind: "slow", delayMs: 1500, times: 3 });
    const first = await trigger();
    const second = await trigger({ target: "all" });
    expect(second).toMatchObject({ sync_log_id: first.sync_log_id, alreadyRunning: true });
    const cancel = await callJson("/api/admin/sync/cancel", {
      method: "POST",
      headers: { ...bearer(admin.token), "content-type": "application/json" },
    });
    expect(cancel.res.status, cancel.text).toBe(200);
    const log = await finished(first.sync_log_id);
    expect(log.status).toBe("CANCELLED");
    const again = await callJson("/api/admin/sync/cancel", {
      method: "POST",
      headers: { ...bearer(admin.token), "content-type": "application/json" },
    });
    expect(again.res.status).toBe(400);
    // Trigger and cancel each left exactly one audit row, naming the admin (the refused second
    // trigger and the refused second cancel left none).
    const rows = await testDb().select().from(auditLogs).where(eq(auditLogs.targetId, first.sync_log_id));
    expect(rows.map((r) => r.action).sort()).toEqual(["sync.cancelled", "sync.triggered"]);
    expect(rows.every((r) => r.actorId === admin.user.id)).toBe(true);
  });
});

describe("sync routes", () => {
  it("reports isSyncing, ten counts and targets; lists logs newest first", async () => {
    const r = await callJson<{
      status: { isSyncing: boolean; lastSync: unknown };
      counts: Record<string, number>;
      availableTargets: string[];
    }>("/api/admin/sync", { headers: bearer(admin.token) });
    expect(r.res.status, r.text).toBe(200);
    expect(r.body.status.isSyncing).toBe(false);
    expect(Object.keys(r.body.counts).sort()).toEqual(
      [
        "allocations",
        "eggVariables",
        "eggs",
        "locations",
        "migratedUsers",
        "nests",
        "nodes",
        "serverDatabases",
        "servers",
        "users",
      ].sort(),
    );
    expect(r.body.availableTargets).toEqual(
      expect.arrayContaining(["full", "locations", "nodes", "servers", "users"]),
    );
    const logs = await callJson<{ logs: { startedAt: string; metadata: object }[]; limit: number }>(
      "/api/admin/sync/logs?limit=500",
      { headers: bearer(admin.token) },
    );
    expect(logs.body.limit).toBe(100);
    expect(typeof logs.body.logs[0]?.metadata).toBe("object");
    const times = logs.body.logs.map((l) => Date.parse(l.startedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("stores one interval behind both settings spellings", async () => {
    const post = (body: unknown) =>
      callJson<{
        settings: { auto_sync_enabled: string; sync_interval: number };
        data: { autoSyncEnabled: boolean; autoSyncInterval: number };
      }>("/api/admin/sync/settings", {
        method: "POST",
        headers: { ...bearer(admin.token), "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const a = await post({ auto_sync_enabled: true, sync_interval: "900" });
    expect(a.res.status, a.text).toBe(200);
    expect(a.body.settings).toEqual({ auto_sync_enabled: "true", sync_interval: 900 });
    const b = await post({ autoSyncInterval: 1800 });
    expect(b.body.data).toEqual({ autoSyncEnabled: true, autoSyncInterval: 1800 });
    const c = await post({ autoSyncEnabled: false });
    expect(c.body.settings).toEqual({ auto_sync_enabled: "false", sync_interval: 1800 });
  });

  it("serves the v1 service routes on a service key alone", async () => {
    const key = { "x-api-key": "test-backend-api-key", "content-type": "application/json" };
    const started = await callJson<{ data: { sync_log_id: string; status: string } }>("/api/v1/sync/nodes", {
      method: "POST",
      headers: key,
    });
    expect(started.res.status, started.text).toBe(202);
    const id = started.body.data.sync_log_id;
    await finished(id);
    const status = await callJson<{ data: { id: string; status: string } }>(
      `/api/v1/sync/status/${id}?api_key=test-backend-api-key`,
    );
    expect(status.body.data).toMatchObject({ id, status: "COMPLETED" });
    const latest = await callJson<{ data: Record<string, { id: string }> }>("/api/v1/sync/latest", {
      headers: key,
    });
    expect(latest.body.data.nodes?.id).toBe(id);
    const logs = await callJson<{ data: { logs: unknown[] } }>("/api/v1/sync/logs?limit=2&type=nodes", {
      headers: key,
    });
    expect(logs.body.data.logs.length).toBeGreaterThan(0);
    expect((await callJson(`/api/v1/sync/status/nope`, { headers: key })).res.status).toBe(404);
  });

  it("opens the stream with a single-use ticket instead of the access token", async () => {
    const id = crypto.randomUUID();
    await testDb().execute(
      sql`insert into sync_logs (id, type, status, metadata) values (${id}, 'nodes', 'COMPLETED', '{}'::jsonb)`,
    );
    const member = await createTestUser();
    const denied = await call(`/api/admin/sync/stream/${id}/ticket`, {
      method: "POST",
      headers: bearer(member.token),
    });
    expect(denied.status).toBe(403);
    const issued = await callJson<{ ticket: string; url: string; expiresIn: number }>(
      `/api/admin/sync/stream/${id}/ticket`,
      { method: "POST", headers: bearer(admin.token) },
    );
    expect(issued.res.status, issued.text).toBe(200);
    expect(issued.body.expiresIn).toBe(60);
    expect(issued.body.url).toBe(`/api/admin/sync/stream/${id}?ticket=${issued.body.ticket}`);
    expect(issued.body.url).not.toContain(admin.token);
    const res = await call(issued.body.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("event: done");
    // Single use.
    const again = await callJson<{ error: string; code: string }>(issued.body.url);
    expect(again.res.status).toBe(401);
    // The standard body outside /api/v1/auth/ (snake_case codes are the auth routes' only).
    expect(again.body).toMatchObject({ code: "UNAUTHORIZED", error: "Invalid, used or expired ticket" });
    // Expired.
    const late = await callJson<{ ticket: string }>(`/api/admin/sync/stream/${id}/ticket`, {
      method: "POST",
      headers: bearer(admin.token),
    });
    await testDb().execute(sql`update verification_tokens set expires = now() - interval '1 second'
      where type = 'ticket:sync-stream' and identifier = ${admin.user.id}`);
    expect((await call(`/api/admin/sync/stream/${id}?ticket=${late.body.ticket}`)).status).toBe(401);
    expect(
      (await call(`/api/admin/sync/stream/${uid()}/ticket`, { method: "POST", headers: bearer(admin.token) }))
        .status,
    ).toBe(404);
  });

  it("closes an open stream when its viewer stops being an admin", async () => {
    const viewer = await createAdmin();
    const id = crypto.randomUUID();
    // A run that never moves (no chain message): the stream would stay open for hours.
    await testDb().execute(
      sql`insert into sync_logs (id, type, status, metadata) values (${id}, 'nodes', 'RUNNING', '{}'::jsonb)`,
    );
    try {
      const res = await call(`/api/admin/sync/stream/${id}?token=${encodeURIComponent(viewer.token)}`);
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toContain("event: connected");
      await testDb()
        .update(users)
        .set({ roles: ["MEMBER"] })
        .where(eq(users.id, viewer.user.id));
      let rest = "";
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const { done, value } = await reader.read();
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      expect(rest).toContain("event: error");
      expect(rest).toContain("access revoked");
    } finally {
      await testDb().execute(sql`update sync_logs set status = 'CANCELLED' where id = ${id}`);
    }
  });

  it("streams connected, updates and exactly one done over SSE; guards answer JSON", async () => {
    const member = await createTestUser();
    const t = await trigger({ type: "locations" });
    expect((await call(`/api/admin/sync/stream/${t.sync_log_id}`)).status).toBe(401);
    const forbidden = await call(`/api/admin/sync/stream/${t.sync_log_id}?token=${member.token}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get("content-type")).toContain("application/json");
    expect((await call(`/api/admin/sync/stream/nope?token=${admin.token}`)).status).toBe(404);
    const res = await call(
      `/api/admin/sync/stream/${t.sync_log_id}?token=${encodeURIComponent(admin.token)}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    const events = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe("connected");
    expect(events.filter((e) => e === "done")).toHaveLength(1);
    expect(events.at(-1)).toBe("done");
    expect(events).toContain("update");
    const done = JSON.parse(
      text
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .at(-1)
        ?.slice(6) ?? "{}",
    );
    expect(done).toMatchObject({ id: t.sync_log_id, status: "COMPLETED" });
    const updates = text
      .split("\n\n")
      .filter((b) => b.startsWith("event: update"))
      .map((b) => b.split("data: ")[1]);
    expect(new Set(updates).size).toBe(updates.length);
  });
});

describe("auto-sync cron", () => {
  it("starts a real, logged run when enabled and due, and not twice", async () => {
    const db = testDb();
    await db.execute(sql`insert into config (key, value) values ('auto_sync_enabled', 'true'), ('auto_sync_interval', '300')
      on conflict (key) do update set value = excluded.value`);
    await db.execute(sql`update sync_logs set "startedAt" = now() - interval '1 day' where type = 'full'`);
    try {
      const { syncJobs } = await import("./sync.jobs.ts");
      const ctx = testDeps({ message: jobMessage("sync.auto", {}, "auto") });
      await syncJobs["sync.auto"]?.({}, ctx);
      await syncJobs["sync.auto"]?.({}, ctx);
      const runs = await db
        .select()
        .from(syncLogs)
        .where(inArray(syncLogs.status, ["PENDING", "RUNNING"]));
      expect(runs).toHaveLength(1);
      expect(runs[0]?.metadata).toMatchObject({ requested_by: "scheduler" });
      await finished(runs[0]?.id ?? "");
    } finally {
      await db.execute(sql`delete from config where key in ('auto_sync_enabled', 'auto_sync_interval')`);
    }
  });
});

describe("sync watchdog cron", () => {
  it("re-drives a run whose message was lost and fails one stalled for an hour", async () => {
    const db = testDb();
    const { syncJobs } = await import("./sync.jobs.ts");
    const ctx = testDeps({ message: jobMessage("sync.watchdog", {}, `wd-${Date.now()}`) });
    // A run whose chain message vanished: cursor at seq 0, nothing queued, idle for 15 minutes.
    const id = crypto.randomUUID();
    await db.execute(
      sql`insert into sync_logs (id, type, status, metadata, "updatedAt") values (${id}, 'locations', 'RUNNING', '{}'::jsonb, now() - interval '15 minutes')`,
    );
    await db.execute(sql`insert into sync_cursors ("syncLogId", step, cursor) values (${id}, 'chain',
      ${JSON.stringify({ seq: 0, steps: ["locations"], stepIndex: 0, cursor: { page: 1 }, stepProcessed: 0 })}::jsonb)`);
    await syncJobs["sync.watchdog"]?.({}, ctx);
    expect((await finished(id)).status).toBe("COMPLETED");

    const stale = crypto.randomUUID();
    await db.execute(
      sql`insert into sync_logs (id, type, status, metadata, "updatedAt") values (${stale}, 'nodes', 'RUNNING', '{}'::jsonb, now() - interval '2 hours')`,
    );
    await db.execute(sql`insert into sync_cursors ("syncLogId", step, cursor) values (${stale}, 'chain',
      ${JSON.stringify({ seq: 3, steps: ["nodes"], stepIndex: 0, cursor: { page: 1 }, stepProcessed: 0 })}::jsonb)`);
    await syncJobs["sync.watchdog"]?.({}, { ...ctx, message: { ...ctx.message, id: `wd2-${Date.now()}` } });
    const failed = await finished(stale);
    expect(failed.status).toBe("FAILED");
    expect(failed.metadata).toMatchObject({ failed_step: "nodes" });
  });
});
