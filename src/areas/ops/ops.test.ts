// Operations pages through the real Worker, queues and database: job statistics after real
// e-mails, dead jobs found, replayed under a new attempt id (and seen to succeed) or discarded,
// with their audit rows; a malformed message stays dead with its reason; a dead sync page replays
// safely; the cron history shows what a cron enqueued and how it ended; bookkeeping costs one SQL
// request per queue batch.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  callJson,
  countingEnv,
  eventually,
  jobMessage,
  testDb,
  testEnv,
  uid,
} from "../../../test/helpers.ts";
import { bearer, createAdmin, createTestUser, emailsTo, type TestUser } from "../../../test/users.ts";
import worker from "../../index.ts";
import { JOB_TABLES } from "../../jobs.ts";
import { AppError } from "../../platform/errors.ts";
import type { JobMessage } from "../../platform/jobs.types.ts";
import { handleQueue } from "../../services/jobs/queue.consumer.ts";

const key = { "x-api-key": "test-backend-api-key", "content-type": "application/json" };
const resend = inject("resendUrl");

let admin: TestUser;
beforeAll(async () => {
  admin = await createAdmin();
});

type Window = {
  enqueued: number;
  succeeded: number;
  failed: number;
  p50Ms: number | null;
  p95Ms: number | null;
};
type Stats = {
  byType: { queue: string; jobType: string; lastHour: Window; lastDay: Window }[];
  byQueue: Record<string, { lastHour: Window; lastDay: Window }>;
  totals: { lastHour: Window; lastDay: Window };
};
type DeadJob = {
  id: string;
  queue: string;
  jobType: string;
  error: string | null;
  body: unknown;
  replayedAt: string | null;
  replayJobId: string | null;
  notReplayable: string | null;
};

async function adminGet<T>(path: string) {
  const r = await callJson<T>(path, { headers: bearer(admin.token) });
  expect(r.res.status, r.text).toBe(200);
  return r.body;
}

async function stats(): Promise<Stats> {
  return (await adminGet<{ stats: Stats }>("/api/admin/jobs/stats")).stats;
}

const emailStats = (s: Stats) =>
  s.byType.find((t) => t.queue === "jobs-critical" && t.jobType === "email.send")?.lastHour;

async function queueEmail(to: string, data: Record<string, string> = { message: "hello" }) {
  const r = await callJson<{ data: { task_id: string } }>("/api/v1/email/queue", {
    method: "POST",
    headers: key,
    body: JSON.stringify({ to, template: "generic", subject: "Ops test", data }),
  });
  expect(r.res.status, r.text).toBe(202);
  return r.body.data.task_id;
}

async function jobRuns(jobId: string) {
  const res = await testDb().execute<{ outcome: string; attempt: number; durationMs: number | null }>(
    sql`select outcome, attempt, "durationMs" from job_runs where "jobId" = ${jobId} order by id`,
  );
  return res.rows;
}

async function deadJob(id: string): Promise<DeadJob | undefined> {
  for (let page = 1; page <= 20; page++) {
    const body = await adminGet<{ jobs: DeadJob[]; pagination: { totalPages: number } }>(
      `/api/admin/jobs/dead?pageSize=100&page=${page}`,
    );
    const found = body.jobs.find((j) => j.id === id);
    if (found || page >= body.pagination.totalPages) return found;
  }
  return undefined;
}

async function auditRows(action: string, targetId: string) {
  const res = await testDb().execute<{ actorId: string; details: Record<string, unknown> }>(
    sql`select "actorId", details from audit_logs where action = ${action} and "targetId" = ${targetId}`,
  );
  return res.rows;
}

const replay = (id: string) =>
  callJson<{ replay: { replayJobId: string }; error?: string }>(
    `/api/admin/jobs/dead/${encodeURIComponent(id)}/replay`,
    { method: "POST", headers: bearer(admin.token) },
  );

describe("job statistics", () => {
  it("count real e-mails sent through the queue, with their durations, on both stats routes", async () => {
    const before = emailStats(await stats());
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await queueEmail(`${uid("stats")}@example.com`));
    for (const id of ids) {
      const runs = await eventually(async () => {
        const r = await jobRuns(id);
        return r.length ? r : undefined;
      });
      expect(runs).toEqual([{ outcome: "succeeded", attempt: 1, durationMs: expect.any(Number) }]);
    }
    const after = emailStats(await stats());
    expect(after?.succeeded ?? 0).toBeGreaterThanOrEqual((before?.succeeded ?? 0) + 3);
    expect(after?.enqueued ?? 0).toBeGreaterThanOrEqual((before?.enqueued ?? 0) + 3);
    expect(after?.p50Ms).toEqual(expect.any(Number));
    expect(after?.p95Ms ?? 0).toBeGreaterThanOrEqual(after?.p50Ms ?? 0);
    const s = await stats();
    expect(s.byQueue["jobs-critical"]?.lastDay.succeeded ?? 0).toBeGreaterThanOrEqual(3);
    expect(s.totals.lastDay.succeeded).toBeGreaterThanOrEqual(3);

    const q = await callJson<{ data: { queues: string[]; jobs: Stats } }>("/api/v1/queues/stats", {
      headers: key,
    });
    expect(q.body.data.queues).toEqual(["critical", "default", "low"]);
    expect(emailStats(q.body.data.jobs)?.succeeded ?? 0).toBeGreaterThanOrEqual(3);
  });

  it("are kept with one SQL request per queue batch, whatever its size", async () => {
    const { env, sqlRequests } = countingEnv();
    const ctx = createExecutionContext();
    const batch = createMessageBatch("jobs-default", [
      { id: uid("b1"), timestamp: new Date(), attempts: 1, body: jobMessage("demo.quick") },
      { id: uid("b2"), timestamp: new Date(), attempts: 1, body: jobMessage("demo.quick") },
      { id: uid("b3"), timestamp: new Date(), attempts: 2, body: jobMessage("demo.quick") },
    ]);
    await handleQueue(batch, env, { handlers: { "demo.quick": async () => {} }, deadJobHooks: {} }, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(3);
    expect(await sqlRequests()).toBe(1);
  });
});

describe("job outcomes", () => {
  it("records succeeded, retried and failed runs with their attempt and duration", async () => {
    const ok = jobMessage("demo.ok");
    const flaky = jobMessage("demo.flaky");
    const bad = jobMessage("demo.bad");
    const ctx = createExecutionContext();
    const batch = createMessageBatch("jobs-default", [
      { id: uid("o1"), timestamp: new Date(), attempts: 1, body: ok },
      { id: uid("o2"), timestamp: new Date(), attempts: 3, body: flaky },
      { id: uid("o3"), timestamp: new Date(), attempts: 1, body: bad },
    ]);
    await handleQueue(
      batch,
      testEnv,
      {
        handlers: {
          "demo.ok": async () => {},
          "demo.flaky": async () => {
            throw new AppError("UPSTREAM_ERROR", "peer busy");
          },
          "demo.bad": async () => {
            throw new AppError("INVALID_REQUEST", "payload is wrong");
          },
        },
        deadJobHooks: {},
      },
      ctx,
    );
    await getQueueResult(batch, ctx);
    expect(await jobRuns(ok.id)).toEqual([
      { outcome: "succeeded", attempt: 1, durationMs: expect.any(Number) },
    ]);
    expect(await jobRuns(flaky.id)).toEqual([
      { outcome: "retried", attempt: 3, durationMs: expect.any(Number) },
    ]);
    expect(await jobRuns(bad.id)).toEqual([
      { outcome: "failed", attempt: 1, durationMs: expect.any(Number) },
    ]);
  });
});

describe("dead jobs", () => {
  it("a dead e-mail is listed, replayed under a new attempt id, sent, and audited; not twice", async () => {
    const to = `${uid("dead-mail")}@example.com`;
    await fetch(`${resend}/__faults`, {
      method: "POST",
      body: JSON.stringify({ to, kind: "422", times: 1 }),
    });
    const id = await queueEmail(to);
    const dead = await eventually(() => deadJob(id));
    expect(dead).toMatchObject({
      queue: "jobs-critical",
      jobType: "email.send",
      error: expect.stringContaining("Resend answered 422"),
      replayedAt: null,
      notReplayable: null,
    });
    expect(await emailsTo(to)).toEqual([]);

    const r = await replay(id);
    expect(r.res.status, r.text).toBe(202);
    const replayJobId = r.body.replay.replayJobId;
    expect(replayJobId).toMatch(
      new RegExp(`^${id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}#replay-[0-9a-f]{8}$`),
    );
    const mails = await eventually(async () => {
      const m = await emailsTo(to);
      return m.length ? m : undefined;
    });
    expect(mails).toHaveLength(1);
    expect(mails[0]?.idempotencyKey).toBe(replayJobId);
    const runs = await eventually(async () => {
      const rows = await jobRuns(replayJobId);
      return rows.length ? rows : undefined;
    });
    expect(runs[0]?.outcome).toBe("succeeded");
    expect(await auditRows("jobs.dead.replay", id)).toEqual([
      { actorId: admin.user.id, details: { jobType: "email.send", queue: "jobs-critical", replayJobId } },
    ]);
    expect(await deadJob(id)).toMatchObject({
      replayJobId,
      notReplayable: `already replayed as ${replayJobId}`,
    });

    const again = await replay(id);
    expect(again.res.status, again.text).toBe(409);
    expect(again.text).toContain("already replayed");
  });

  it("an e-mail whose link was redacted when it died is not replayable, and says why", async () => {
    const to = `${uid("dead-link")}@example.com`;
    await fetch(`${resend}/__faults`, {
      method: "POST",
      body: JSON.stringify({ to, kind: "422", times: 1 }),
    });
    const id = await queueEmail(to, {
      link: "https://site.test/auth/magic-link?token=live-token-abcdef&id=u1",
    });
    const dead = await eventually(() => deadJob(id));
    expect(JSON.stringify(dead.body)).not.toContain("live-token-abcdef");
    expect(dead.notReplayable).toContain("redacted");
    const r = await replay(id);
    expect(r.res.status, r.text).toBe(409);
    expect(r.text).toContain("redacted");
  });

  it("a malformed message stays dead with a clear reason; replay is refused", async () => {
    const marker = uid("malformed");
    await testEnv.JOBS_LOW.send({ hello: marker } as unknown as JobMessage);
    const dead = await eventually(async () => {
      const body = await adminGet<{ jobs: DeadJob[] }>("/api/admin/jobs/dead?type=malformed&pageSize=100");
      return body.jobs.find((j) => JSON.stringify(j.body).includes(marker));
    });
    expect(dead).toMatchObject({
      jobType: "malformed",
      queue: "jobs-low",
      error: "malformed job message: missing or invalid id, type, payload, priority, enqueuedAt",
      notReplayable: expect.stringContaining("malformed job message"),
    });
    const r = await replay(dead.id);
    expect(r.res.status, r.text).toBe(409);
    expect(r.body.error).toContain("malformed job message");
    expect(await deadJob(dead.id)).toMatchObject({ replayedAt: null, replayJobId: null });
  });

  it("a dead sync page (retries exhausted) replays safely: its run is over, so the replay succeeds and changes nothing", async () => {
    const syncLogId = uid("ops-sync");
    await testDb().execute(sql`
      insert into sync_logs (id, type, status, error, metadata, "completedAt")
      values (${syncLogId}, 'full', 'FAILED', 'panel down', '{}'::jsonb, now())`);
    const page: JobMessage = {
      id: `sync:${syncLogId}:3:0`,
      type: "sync.page",
      payload: { syncLogId, seq: 3 },
      priority: "critical",
      enqueuedAt: new Date().toISOString(),
    };
    const ctx = createExecutionContext();
    const batch = createMessageBatch("jobs-dlq", [
      { id: uid("dlq"), timestamp: new Date(), attempts: 6, body: page },
    ]);
    await handleQueue(batch, testEnv, JOB_TABLES, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
    const dead = await deadJob(page.id);
    expect(dead).toMatchObject({ jobType: "sync.page", queue: "jobs-critical", error: "retries exhausted" });
    expect((await jobRuns(page.id)).map((r) => r.outcome)).toEqual(["dead_lettered"]);
    const runBefore = (
      await testDb().execute(sql`select status, error, "updatedAt" from sync_logs where id = ${syncLogId}`)
    ).rows[0];

    const r = await replay(page.id);
    expect(r.res.status, r.text).toBe(202);
    const runs = await eventually(async () => {
      const rows = await jobRuns(r.body.replay.replayJobId);
      return rows.length ? rows : undefined;
    });
    expect(runs.map((x) => x.outcome)).toEqual(["succeeded"]);
    const runAfter = (
      await testDb().execute(sql`select status, error, "updatedAt" from sync_logs where id = ${syncLogId}`)
    ).rows[0];
    expect(runAfter).toEqual(runBefore);
  });

  it("DELETE discards a dead job (audited); a second DELETE is 404", async () => {
    const message = jobMessage("no.such.job.ops");
    await testEnv.JOBS_CRITICAL.send(message);
    await eventually(() => deadJob(message.id));
    const path = `/api/admin/jobs/dead/${encodeURIComponent(message.id)}`;
    const del = await callJson(path, { method: "DELETE", headers: bearer(admin.token) });
    expect(del.res.status, del.text).toBe(200);
    expect(await deadJob(message.id)).toBeUndefined();
    expect(await auditRows("jobs.dead.discard", message.id)).toHaveLength(1);
    const again = await callJson(path, { method: "DELETE", headers: bearer(admin.token) });
    expect(again.res.status).toBe(404);
    expect((await replay(message.id)).res.status).toBe(404);
  });

  it("filters by type and queue, newest first; members are refused", async () => {
    const a = jobMessage("ops.filter.a");
    const b = jobMessage("ops.filter.a");
    await testEnv.JOBS_LOW.send(a);
    await eventually(() => deadJob(a.id));
    await testEnv.JOBS_LOW.send(b);
    await eventually(() => deadJob(b.id));
    const body = await adminGet<{ jobs: DeadJob[]; pagination: { total: number } }>(
      "/api/admin/jobs/dead?type=ops.filter.a&queue=jobs-low",
    );
    const ids = body.jobs.map((j) => j.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    expect(ids.indexOf(a.id)).toBeGreaterThanOrEqual(0);
    expect(body.jobs.every((j) => j.jobType === "ops.filter.a" && j.queue === "jobs-low")).toBe(true);
    const none = await adminGet<{ jobs: DeadJob[] }>(
      "/api/admin/jobs/dead?type=ops.filter.a&queue=jobs-critical",
    );
    expect(none.jobs.filter((j) => j.id === a.id)).toEqual([]);
    const member = await createTestUser();
    const r = await callJson("/api/admin/jobs/dead", { headers: bearer(member.token) });
    expect(r.res.status).toBe(403);
  });
});

describe("cron history", () => {
  it("shows each cron's last delivery, the jobs it enqueued and how they ended", async () => {
    // A scheduled time later than any other test's, so it is this cron's latest delivery.
    const scheduledTime = Date.UTC(2099, 0, 1, 4, 0, 0) + Math.floor(Math.random() * 86_400_000);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "0 4 * * *", scheduledTime }), testEnv, ctx);
    await waitOnExecutionContext(ctx);
    const at = new Date(scheduledTime).toISOString();
    const jobId = `maintenance.old-server-logs@${at}`;
    await eventually(async () => ((await jobRuns(jobId)).length ? true : undefined));
    const body = await adminGet<{
      crons: {
        cron: string;
        jobs: { type: string }[];
        lastScheduledAt: string | null;
        runs: { scheduledAt: string; jobs: { jobId: string; jobType: string; outcome: string }[] }[];
      }[];
    }>("/api/admin/jobs/crons");
    const cron = body.crons.find((c) => c.cron === "0 4 * * *");
    expect(cron?.jobs).toEqual([{ type: "maintenance.old-server-logs", priority: "low" }]);
    expect(cron?.lastScheduledAt).toBe(at);
    expect(cron?.runs[0]).toMatchObject({
      scheduledAt: at,
      jobs: [{ jobId, jobType: "maintenance.old-server-logs", outcome: "succeeded" }],
    });
    expect(body.crons.map((c) => c.cron)).toEqual(
      expect.arrayContaining(["*/5 * * * *", "0 2 * * *", "0 3 * * *", "0 4 * * *"]),
    );
  });
});
