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

const MessageSchema = z.object({
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

/** The seam of one message: the system actor, a logger stamped with the job. */
function jobDeps(base: Deps, job: JobMessage): JobDeps {
  return { ...base, log: childLogger({ jobId: job.id, jobType: job.type }), message: job };
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

  if (batch.queue === DLQ_NAME) {
    for (const msg of batch.messages) {
      const body = msg.body as Partial<JobMessage> | null;
      await recordDeadJob(db, {
        id: typeof body?.id === "string" ? body.id : msg.id,
        queue: typeof body?.priority === "string" ? `jobs-${body.priority}` : DLQ_NAME,
        jobType: typeof body?.type === "string" ? body.type : "unknown",
        body,
        attempts: msg.attempts,
        error: "retries exhausted",
      });
      base.log("error", "job dead-lettered", { jobId: body?.id ?? msg.id, jobType: body?.type });
      const parsed = MessageSchema.safeParse(body);
      const hook = parsed.success ? tables.deadJobHooks[parsed.data.type] : undefined;
      if (parsed.success && hook) {
        const job = parsed.data as JobMessage;
        await hook(job.payload, jobDeps(base, job));
      }
      msg.ack();
    }
    return;
  }

  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = MessageSchema.safeParse(msg.body);
      const jobLog = childLogger({ queue: batch.queue, messageId: msg.id, attempt: msg.attempts });
      if (!parsed.success) {
        await recordDeadJob(db, {
          id: msg.id,
          queue: batch.queue,
          jobType: "malformed",
          body: msg.body,
          attempts: msg.attempts,
          error: "malformed job message",
        });
        jobLog("error", "malformed job message dropped to dead_jobs");
        return msg.ack();
      }
      const job = parsed.data as JobMessage;
      const handler = tables.handlers[job.type];
      if (!handler) {
        await recordDeadJob(db, {
          ...deadOf(job, batch.queue, msg.attempts),
          error: `unknown job type "${job.type}"`,
        });
        jobLog("error", "unknown job type", { jobId: job.id, jobType: job.type });
        return msg.ack();
      }
      const started = Date.now();
      try {
        await handler(job.payload, jobDeps(base, job));
        jobLog("info", "job done", { jobId: job.id, jobType: job.type, ms: Date.now() - started });
        msg.ack();
      } catch (err) {
        const retryable = !(err instanceof AppError) || err.retryable;
        if (!retryable) {
          await recordDeadJob(db, { ...deadOf(job, batch.queue, msg.attempts), error: describe(err) });
          jobLog("error", "job failed permanently", {
            jobId: job.id,
            jobType: job.type,
            error: describe(err),
          });
          return msg.ack();
        }
        const delaySeconds = retryDelaySeconds(msg.attempts, err);
        jobLog("warn", "job failed, retrying", {
          jobId: job.id,
          jobType: job.type,
          error: describe(err),
          delaySeconds,
        });
        msg.retry({ delaySeconds });
      }
    }),
  );
}

function deadOf(job: JobMessage, queue: string, attempts: number) {
  return { id: job.id, queue, jobType: job.type, body: job, attempts };
}
