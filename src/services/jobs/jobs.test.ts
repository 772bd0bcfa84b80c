// Queue consumer and cron dispatch: unit (handler called directly with a built batch/controller)
// and integration (through the real local queues and the Worker's scheduled() export).
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
} from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, inject, it, vi } from "vitest";
import { eventually, testDb, testDeps, testEnv, uid } from "../../../test/helpers.ts";
import worker from "../../index.ts";
import { CRON_SCHEDULE } from "../../jobs.ts";
import { AppError } from "../../platform/errors.ts";
import type { JobMessage } from "../../platform/jobs.types.ts";
import { handleScheduled } from "./cron.ts";
import { maintenanceJobs } from "./maintenance.jobs.ts";
import { handleQueue, retryDelaySeconds } from "./queue.consumer.ts";

const NO_TABLES = { handlers: {}, deadJobHooks: {} };

const job = (type: string, id = uid("job")): JobMessage => ({
  id,
  type,
  payload: {},
  priority: "default",
  enqueuedAt: new Date().toISOString(),
});

async function deadJob(id: string) {
  const res = await testDb().execute<{ jobType: string; error: string; attempts: number }>(
    sql`select "jobType", error, attempts from dead_jobs where id = ${id}`,
  );
  return res.rows[0];
}

async function insertSyncLog(id: string, createdAt: Date, status = "COMPLETED") {
  await testDb().execute(sql`
    insert into sync_logs (id, type, status, "startedAt", "createdAt", "updatedAt", metadata)
    values (${id}, 'full', ${status}, ${createdAt.toISOString()}::timestamptz, ${createdAt.toISOString()}::timestamptz, now(), '{}'::jsonb)`);
}

async function syncLogExists(id: string) {
  const res = await testDb().execute(sql`select 1 from sync_logs where id = ${id}`);
  return res.rows.length > 0;
}

describe("queue consumer (unit)", () => {
  it("acks a job whose handler succeeds", async () => {
    let seen: unknown;
    const ctx = createExecutionContext();
    const batch = createMessageBatch("jobs-default", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: job("demo.ok") },
    ]);
    await handleQueue(batch, testEnv, {
      handlers: {
        "demo.ok": async (payload) => {
          seen = payload;
        },
      },
      deadJobHooks: {},
    });
    const result = await getQueueResult(batch, ctx);
    expect(seen).toEqual({});
    expect(result.explicitAcks).toEqual(["m1"]);
    expect(result.retryMessages).toEqual([]);
  });

  it("retries a retryable failure with exponential backoff", async () => {
    const ctx = createExecutionContext();
    const batch = createMessageBatch("jobs-default", [
      { id: "m2", timestamp: new Date(), attempts: 3, body: job("demo.flaky") },
    ]);
    const message = batch.messages[0] as Message<JobMessage>;
    const retry = vi.spyOn(message, "retry");
    await handleQueue(batch, testEnv, {
      handlers: {
        "demo.flaky": async () => {
          throw new Error("peer down");
        },
      },
      deadJobHooks: {},
    });
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m2"]);
    expect(retry).toHaveBeenCalledWith({ delaySeconds: 20 });
  });

  it("honours the peer's Retry-After when retrying", () => {
    const err = new AppError("UPSTREAM_ERROR", "slow down", { headers: { "Retry-After": "42" } });
    expect(retryDelaySeconds(1, err)).toBe(42);
    expect(retryDelaySeconds(1, new Error("x"))).toBe(5);
    expect(retryDelaySeconds(40, new Error("x"))).toBe(12 * 60 * 60);
  });

  it("records a permanent failure in dead_jobs and acks it", async () => {
    const ctx = createExecutionContext();
    const message = job("demo.bad");
    const batch = createMessageBatch("jobs-default", [
      { id: "m3", timestamp: new Date(), attempts: 1, body: message },
    ]);
    await handleQueue(batch, testEnv, {
      handlers: {
        "demo.bad": async () => {
          throw new AppError("INVALID_REQUEST", "payload is wrong");
        },
      },
      deadJobHooks: {},
    });
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m3"]);
    expect(await deadJob(message.id)).toMatchObject({
      jobType: "demo.bad",
      error: "INVALID_REQUEST: payload is wrong",
    });
  });

  it("keeps no live link or secret of a dead job", async () => {
    const ctx = createExecutionContext();
    const message = job("demo.mail");
    message.payload = {
      to: "ada@example.com",
      template: "magic-link",
      data: { link: "https://site.test/auth/magic-link?token=live-token-123&id=u-1" },
      apiKey: "re_live_key",
    };
    const batch = createMessageBatch("jobs-default", [
      { id: "m-mail", timestamp: new Date(), attempts: 1, body: message },
    ]);
    await handleQueue(batch, testEnv, {
      handlers: {
        "demo.mail": async () => {
          throw new AppError("INVALID_REQUEST", "refused by the mail provider");
        },
      },
      deadJobHooks: {},
    });
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m-mail"]);
    const res = await testDb().execute<{ body: unknown }>(
      sql`select body from dead_jobs where id = ${message.id}`,
    );
    const kept = JSON.stringify(res.rows[0]?.body);
    expect(kept).toContain("token=[redacted]");
    expect(kept).not.toContain("live-token-123");
    expect(kept).not.toContain("re_live_key");
  });

  it("records unknown job types and malformed messages instead of retrying them forever", async () => {
    const ctx = createExecutionContext();
    const unknown = job("no.such.job");
    const malformedId = uid("malformed");
    const batch = createMessageBatch("jobs-low", [
      { id: "m4", timestamp: new Date(), attempts: 1, body: unknown },
      {
        id: malformedId,
        timestamp: new Date(),
        attempts: 1,
        body: { hello: "world" } as unknown as JobMessage,
      },
    ]);
    await handleQueue(batch, testEnv, NO_TABLES);
    expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual(["m4", malformedId].sort());
    expect(await deadJob(unknown.id)).toMatchObject({
      jobType: "no.such.job",
      error: 'unknown job type "no.such.job"',
    });
    expect(await deadJob(malformedId)).toMatchObject({ jobType: "malformed" });
  });

  it("runs the type's dead-job hook, with the job's seam, for a message arriving on jobs-dlq", async () => {
    const message = job("demo.exhausted");
    message.payload = { run: "r-1" };
    const seen: { payload: unknown; jobId: string; actor: string }[] = [];
    const ctx = createExecutionContext();
    const batch = createMessageBatch("jobs-dlq", [
      { id: "d-hook", timestamp: new Date(), attempts: 6, body: message },
    ]);
    await handleQueue(batch, testEnv, {
      handlers: {},
      deadJobHooks: {
        "demo.exhausted": async (payload, deps) => {
          seen.push({ payload, jobId: deps.message.id, actor: deps.actor.type });
        },
      },
    });
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["d-hook"]);
    expect(seen).toEqual([{ payload: { run: "r-1" }, jobId: message.id, actor: "system" }]);
    expect(await deadJob(message.id)).toMatchObject({
      jobType: "demo.exhausted",
      error: "retries exhausted",
    });
  });

  it("records dead-lettered messages from jobs-dlq once, even when delivered twice", async () => {
    const message = job("demo.exhausted");
    for (let i = 0; i < 2; i++) {
      const ctx = createExecutionContext();
      const batch = createMessageBatch("jobs-dlq", [
        { id: `d${i}`, timestamp: new Date(), attempts: 1, body: message },
      ]);
      await handleQueue(batch, testEnv, NO_TABLES);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([`d${i}`]);
    }
    const rows = await testDb().execute(
      sql`select count(*)::int as n from dead_jobs where id = ${message.id}`,
    );
    expect(rows.rows[0]).toEqual({ n: 1 });
    expect(await deadJob(message.id)).toMatchObject({
      jobType: "demo.exhausted",
      error: "retries exhausted",
    });
  });
});

describe("cron dispatch (unit)", () => {
  it("has an entry for every cron in wrangler.toml, and none that wrangler.toml lacks", () => {
    const declared = inject("wranglerCrons");
    expect(declared.length).toBeGreaterThan(0);
    expect(Object.keys(CRON_SCHEDULE).sort()).toEqual([...declared].sort());
  });

  it("enqueues each job of a cron with an id derived from the scheduled time", async () => {
    const scheduledTime = Date.UTC(2026, 0, 1, 3, 0, 0);
    const ids = await handleScheduled(
      createScheduledController({ cron: "0 3 * * *", scheduledTime }),
      testEnv,
      CRON_SCHEDULE,
    );
    expect(ids).toEqual([
      "maintenance.old-sync-logs@2026-01-01T03:00:00.000Z",
      "sync.purge@2026-01-01T03:00:00.000Z",
      "maintenance.expired-auth-tokens@2026-01-01T03:00:00.000Z",
      "maintenance.old-job-runs@2026-01-01T03:00:00.000Z",
    ]);
  });

  it("throws on an unknown cron", async () => {
    await expect(
      worker.scheduled(
        createScheduledController({ cron: "1 1 1 1 1", scheduledTime: Date.now() }),
        testEnv,
        createExecutionContext(),
      ),
    ).rejects.toThrow(/Unknown cron "1 1 1 1 1"/);
  });
});

describe("queues and crons (integration)", () => {
  it("runs a job sent to the real jobs-low queue", async () => {
    const old = uid("old-log");
    const fresh = uid("fresh-log");
    await insertSyncLog(old, new Date(Date.now() - 40 * 86_400_000));
    await insertSyncLog(fresh, new Date());
    await testEnv.JOBS_LOW.send(job("maintenance.old-sync-logs"));
    await eventually(async () => ((await syncLogExists(old)) ? undefined : true));
    expect(await syncLogExists(fresh)).toBe(true);
  });

  it("keeps a RUNNING sync log however old it is", async () => {
    const running = uid("running-log");
    const old = uid("old-log");
    const longAgo = new Date(Date.now() - 90 * 86_400_000);
    await insertSyncLog(old, longAgo);
    await insertSyncLog(running, longAgo, "RUNNING");
    try {
      const purge = maintenanceJobs["maintenance.old-sync-logs"];
      await purge?.({}, testDeps({ message: job("maintenance.old-sync-logs") }));
      expect(await syncLogExists(old)).toBe(false);
      expect(await syncLogExists(running)).toBe(true);
    } finally {
      // Release the one-active-sync slot for other tests.
      await testDb().execute(sql`update sync_logs set status = 'CANCELLED' where id = ${running}`);
    }
  });

  it("records an unknown job type sent through the real queue in dead_jobs", async () => {
    const message = job("no.such.job");
    await testEnv.JOBS_CRITICAL.send(message);
    const row = await eventually(() => deadJob(message.id));
    expect(row.jobType).toBe("no.such.job");
  });

  it("runs the 03:00 cron end to end: scheduled() → queue → purge", async () => {
    const old = uid("cron-old-log");
    await insertSyncLog(old, new Date(Date.now() - 31 * 86_400_000));
    const entry = exports.default as unknown as {
      scheduled(o: { cron: string; scheduledTime?: Date }): Promise<unknown>;
    };
    await entry.scheduled({ cron: "0 3 * * *", scheduledTime: new Date() });
    await eventually(async () => ((await syncLogExists(old)) ? undefined : true));
  });
});
