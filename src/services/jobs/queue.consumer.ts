// The queue() handler: validates each message, builds its dependency seam, dispatches it by type
// through the job table it is given, retries failures with exponential backoff (or the peer's
// Retry-After), and records poison messages in dead_jobs. The jobs-dlq consumer records what
// exhausted its retries and runs the type's dead-job hook (a job handler like any other).
import { sql } from "drizzle-orm";
import * as z from "zod";
import type { Database } from "../../platform/db/client.ts";
import { createDeps, type Deps } from "../../platform/deps.ts";
import { type Bindings, getConfig } from "../../platform/env.ts";
import { AppError } from "../../platform/errors.ts";
import { DLQ_NAME, type JobDeps, type JobMessage, type JobTable } from "../../platform/jobs.types.ts";
import { childLogger, errorText, scrub } from "../../platform/log.ts";
import { isUnexpected, telemetry } from "../../platform/telemetry.ts";
import { type JobRunRow, recordJobRuns } from "./bookkeeping.ts";

export const MessageSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  payload: z.unknown(),
  priority: z.enum(["critical", "default", "low"]),
  enqueuedAt: z.string(),
});

const MAX_DELAY_SECONDS = 12 * 60 * 60;

export interface JobTables {
  handlers: JobTable;
  /** What to do when a job of this type exhausts its retries (beyond recording it). */
  deadJobHooks: JobTable;
}

/** Exponential backoff from the attempt number, or the peer's Retry-After when it gave one. */
export function retryDelaySeconds(attempts: number, err: unknown): number {
  const retryAfter = err instanceof AppError ? Number(err.headers["Retry-After"]) : Number.NaN;
  if (Number.isFinite(retryAfter) && retryAfter > 0)
    return Math.min(Math.ceil(retryAfter), MAX_DELAY_SECONDS);
  return Math.min(5 * 2 ** Math.max(0, attempts - 1), MAX_DELAY_SECONDS);
}

/**
 * Keeps a dead job for operators. Its body is scrubbed first: a dead `email.send` must not keep a
 * live magic-link, reset or verification link (token query values are redacted), and keys that
 * look like secrets are masked. Such jobs are therefore not replayable as they were: the user asks
 * for a new link.
 */
export async function recordDeadJob(
  db: Database,
  row: { id: string; queue: string; jobType: string; body: unknown; attempts: number; error: string },
): Promise<void> {
  await db.execute(sql`
    insert into dead_jobs (id, queue, "jobType", body, attempts, error)
    values (${row.id}, ${row.queue}, ${row.jobType}, ${JSON.stringify(scrub(row.body ?? null))}::jsonb, ${row.attempts}, ${row.error})
    on conflict (id) do nothing`);
}

function describe(err: unknown): string {
  if (err instanceof AppError) return `${err.code}: ${err.message}`;
  return errorText(err);
}

/**
 * The ids every log line of a job carries besides jobId/jobType, when its payload names them:
 * `syncLogId` (one sync's pages) and `accountId` (one Hytale account), so one sync or one account
 * can be followed in Workers Logs and `wrangler tail` (docs/operations.md).
 */
function correlation(payload: unknown): Record<string, string> {
  const p = payload as { syncLogId?: unknown; accountId?: unknown } | null;
  const out: Record<string, string> = {};
  if (typeof p?.syncLogId === "string") out.syncLogId = p.syncLogId;
  if (typeof p?.accountId === "string") out.accountId = p.accountId;
  return out;
}

/** The seam of one message: the system actor, a logger stamped with the job. */
function jobDeps(base: Deps, job: JobMessage): JobDeps {
  return {
    ...base,
    log: childLogger({ jobId: job.id, jobType: job.type, ...correlation(job.payload) }),
    message: job,
  };
}

export async function handleQueue(
  batch: MessageBatch<unknown>,
  env: Bindings,
  tables: JobTables,
  ctx?: Pick<ExecutionContext, "waitUntil">,
): Promise<void> {
  const config = getConfig(env);
  const base = createDeps(config, {
    log: childLogger({ queue: batch.queue }),
    waitUntil: ctx ? (p) => ctx.waitUntil(p.catch(() => {})) : undefined,
  });
  const db = base.db;

  // One job_runs row per message of the batch, written in one insert when the batch is done.
  const runs: JobRunRow[] = [];

  if (batch.queue === DLQ_NAME) {
    for (const msg of batch.messages) {
      const body = msg.body as Partial<JobMessage> | null;
      const dead = {
        id: typeof body?.id === "string" ? body.id : msg.id,
        queue: typeof body?.priority === "string" ? `jobs-${body.priority}` : DLQ_NAME,
        jobType: typeof body?.type === "string" ? body.type : "unknown",
      };
      await recordDeadJob(db, { ...dead, body, attempts: msg.attempts, error: "retries exhausted" });
      runs.push({
        jobId: dead.id,
        queue: dead.queue,
        jobType: dead.jobType,
        outcome: "dead_lettered",
        attempt: msg.attempts,
        durationMs: null,
        enqueuedAt: typeof body?.enqueuedAt === "string" ? body.enqueuedAt : null,
        error: "retries exhausted",
      });
      base.log("error", "job dead-lettered", { jobId: dead.id, jobType: dead.jobType });
      const parsed = MessageSchema.safeParse(body);
      const hook = parsed.success ? tables.deadJobHooks[parsed.data.type] : undefined;
      if (parsed.success && hook) {
        const job = parsed.data as JobMessage;
        await hook(job.payload, jobDeps(base, job));
      }
      msg.ack();
    }
    await recordJobRuns(db, runs, base.log);
    publishJobEvents(base, runs);
    return;
  }

  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = MessageSchema.safeParse(msg.body);
      const jobLog = childLogger({ queue: batch.queue, messageId: msg.id, attempt: msg.attempts });
      const run = (job: { id: string; type: string; enqueuedAt?: unknown }, r: Partial<JobRunRow>) =>
        runs.push({
          jobId: job.id,
          queue: batch.queue,
          jobType: job.type,
          outcome: "failed",
          attempt: msg.attempts,
          durationMs: null,
          enqueuedAt: typeof job.enqueuedAt === "string" ? job.enqueuedAt : null,
          error: null,
          ...r,
        });
      if (!parsed.success) {
        const error = `malformed job message: ${malformedReason(parsed.error)}`;
        await recordDeadJob(db, {
          id: msg.id,
          queue: batch.queue,
          jobType: "malformed",
          body: msg.body,
          attempts: msg.attempts,
          error,
        });
        run({ id: msg.id, type: "malformed" }, { error });
        jobLog("error", "malformed job message dropped to dead_jobs", { jobId: msg.id, error });
        return msg.ack();
      }
      const job = parsed.data as JobMessage;
      const handler = tables.handlers[job.type];
      if (!handler) {
        const error = `unknown job type "${job.type}"`;
        await recordDeadJob(db, { ...deadOf(job, batch.queue, msg.attempts), error });
        run(job, { error });
        jobLog("error", "unknown job type", { jobId: job.id, jobType: job.type });
        return msg.ack();
      }
      const tags = { jobId: job.id, jobType: job.type, queue: batch.queue, attempt: String(msg.attempts) };
      const ids = correlation(job.payload);
      const started = Date.now();
      try {
        await telemetry.transaction(`job ${job.type}`, "queue.task", tags, () =>
          handler(job.payload, jobDeps(base, job)),
        );
        const ms = Date.now() - started;
        run(job, { outcome: "succeeded", durationMs: ms });
        jobLog("info", "job done", { jobId: job.id, jobType: job.type, ...ids, ms });
        msg.ack();
      } catch (err) {
        const durationMs = Date.now() - started;
        const retryable = !(err instanceof AppError) || err.retryable;
        // A bug or a fault of ours is reported once per job (its first delivery), not per retry.
        if (isUnexpected(err) && (msg.attempts <= 1 || !retryable)) telemetry.captureException(err, tags);
        if (!retryable) {
          await recordDeadJob(db, { ...deadOf(job, batch.queue, msg.attempts), error: describe(err) });
          run(job, { outcome: "failed", durationMs, error: describe(err) });
          jobLog("error", "job failed permanently", {
            jobId: job.id,
            jobType: job.type,
            ...ids,
            error: describe(err),
          });
          return msg.ack();
        }
        const delaySeconds = retryDelaySeconds(msg.attempts, err);
        run(job, { outcome: "retried", durationMs, error: describe(err) });
        jobLog("warn", "job failed, retrying", {
          jobId: job.id,
          jobType: job.type,
          ...ids,
          error: describe(err),
          delaySeconds,
        });
        msg.retry({ delaySeconds });
      }
    }),
  );
  await recordJobRuns(db, runs, base.log);
  publishJobEvents(base, runs);
}

/** How many runs one live event lists (a batch is at most 100 messages). */
const EVENT_RUNS_MAX = 50;

/**
 * The batch's failures as live events on the realtime `admin` topic, after its bookkeeping
 * committed: `job.failed` (retried) and `job.dead` (dead-lettered or failed for good), at most one of
 * each per batch, listing the runs. No Postgres write of their own; fire-and-forget.
 */
export function publishJobEvents(deps: Pick<Deps, "events">, runs: JobRunRow[]): void {
  const view = (r: JobRunRow) => ({
    jobId: r.jobId,
    jobType: r.jobType,
    queue: r.queue,
    attempt: r.attempt,
    outcome: r.outcome,
    error: r.error ? r.error.slice(0, 300) : null,
  });
  const failed = runs.filter((r) => r.outcome === "retried");
  const dead = runs.filter((r) => r.outcome === "dead_lettered" || r.outcome === "failed");
  if (failed.length > 0) {
    deps.events.publish("job.failed", {
      count: failed.length,
      jobs: failed.slice(0, EVENT_RUNS_MAX).map(view),
    });
  }
  if (dead.length > 0) {
    deps.events.publish("job.dead", { count: dead.length, jobs: dead.slice(0, EVENT_RUNS_MAX).map(view) });
  }
}

/** Which fields of the message were missing or wrong (never their values). */
function malformedReason(error: z.ZodError): string {
  const fields = [...new Set(error.issues.map((i) => i.path.join(".") || "(body)"))];
  return `missing or invalid ${fields.join(", ")}`;
}

function deadOf(job: JobMessage, queue: string, attempts: number) {
  return { id: job.id, queue, jobType: job.type, body: job, attempts };
}
