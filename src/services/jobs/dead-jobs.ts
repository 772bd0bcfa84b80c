// What an operator can do with a dead job: list it (filtered, paged, body redacted), replay it
// under a new attempt id (once, audited in the same statement that marks it) or discard it
// (audited in the same statement that deletes it). Also the cron history.
import { and, count, desc, eq, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { deadJobs } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import type { CronSchedule, JobMessage } from "../../platform/jobs.types.ts";
import { errorText, scrub } from "../../platform/log.ts";
import { auditSelect } from "../audit/audit.ts";
import { MessageSchema } from "./queue.consumer.ts";

export interface DeadJobQuery {
  type?: string;
  queue?: string;
  page: number;
  pageSize: number;
}

export interface DeadJobView {
  id: string;
  queue: string;
  jobType: string;
  attempts: number;
  error: string | null;
  /** The message as kept (secrets and token query values redacted). */
  body: unknown;
  createdAt: string;
  replayedAt: string | null;
  replayJobId: string | null;
  /** Why it cannot be replayed, or null when it can. */
  notReplayable: string | null;
}

const REDACTED = "[redacted]";

function containsRedacted(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes(REDACTED);
  if (depth > 8 || value === null || typeof value !== "object") return false;
  return Object.values(value).some((v) => containsRedacted(v, depth + 1));
}

/** Why a dead job's message cannot be sent again as it is kept (or null). */
export function whyNotReplayable(row: {
  body: unknown;
  replayedAt: Date | null;
  replayJobId: string | null;
}): string | null {
  if (row.replayedAt) return `already replayed as ${row.replayJobId ?? "another job"}`;
  const parsed = MessageSchema.safeParse(row.body);
  if (!parsed.success) return "malformed job message: it has no valid id, type, priority or enqueuedAt";
  if (containsRedacted(parsed.data.payload))
    return "its payload had secrets or links redacted when it died (e.g. a sign-in link): the user must ask again";
  return null;
}

export async function listDeadJobs(
  db: Database,
  q: DeadJobQuery,
): Promise<{ rows: DeadJobView[]; total: number }> {
  const where: SQL[] = [];
  if (q.type) where.push(eq(deadJobs.jobType, q.type));
  if (q.queue) where.push(eq(deadJobs.queue, q.queue));
  const filter = where.length ? and(...where) : undefined;
  const [rows, total] = await db.batch([
    db
      .select()
      .from(deadJobs)
      .where(filter)
      .orderBy(desc(deadJobs.createdAt), desc(deadJobs.id))
      .limit(q.pageSize)
      .offset((q.page - 1) * q.pageSize),
    db.select({ n: count() }).from(deadJobs).where(filter),
  ]);
  return {
    rows: rows.map((r) => ({
      id: r.id,
      queue: r.queue,
      jobType: r.jobType,
      attempts: r.attempts,
      error: r.error,
      // Kept scrubbed already; scrubbed again for rows written before a rule was added.
      body: scrub(r.body),
      createdAt: r.createdAt.toISOString(),
      replayedAt: r.replayedAt?.toISOString() ?? null,
      replayJobId: r.replayJobId,
      notReplayable: whyNotReplayable(r),
    })),
    total: Number(total[0]?.n ?? 0),
  };
}

export type ReplayDeps = Pick<Deps, "db" | "enqueue" | "actor" | "log">;

/**
 * Sends the dead job's message again under a new id (`<id>#replay-<8 hex>`), at its priority.
 * Marking the row and its audit row are one statement that only succeeds for a row not replayed
 * yet, so two operators clicking at once enqueue it once. If the queue refuses the message, the
 * mark is undone (and that is audited too).
 */
export async function replayDeadJob(
  deps: ReplayDeps,
  id: string,
): Promise<{ id: string; replayJobId: string; jobType: string; priority: string }> {
  const { db } = deps;
  const [row] = await db.select().from(deadJobs).where(eq(deadJobs.id, id));
  if (!row) throw new AppError("NOT_FOUND", "No dead job with this id");
  const why = whyNotReplayable(row);
  if (why) throw new AppError("CONFLICT", `This dead job cannot be replayed: ${why}`);
  const job = MessageSchema.parse(row.body) as JobMessage;
  const replayJobId = `${job.id.slice(0, 180)}#replay-${crypto.randomUUID().slice(0, 8)}`;
  const details = { jobType: job.type, queue: row.queue, replayJobId };
  const marked = await db.execute<{ id: string }>(sql`
    with u as (
      update dead_jobs set "replayedAt" = now(), "replayJobId" = ${replayJobId}
      where id = ${id} and "replayedAt" is null returning id
    )
    ${auditSelect(
      { action: "jobs.dead.replay", actor: deps.actor, targetType: "dead_job", targetId: sql`u.id`, details },
      sql`from u`,
    )}
    returning "targetId" as id`);
  if (marked.rows.length === 0) throw new AppError("CONFLICT", "This dead job was replayed meanwhile");
  try {
    await deps.enqueue(job.type, job.payload, { priority: job.priority, id: replayJobId });
  } catch (err) {
    await db.execute(sql`
      with u as (
        update dead_jobs set "replayedAt" = null, "replayJobId" = null
        where id = ${id} and "replayJobId" = ${replayJobId} returning id
      )
      ${auditSelect(
        {
          action: "jobs.dead.replay_failed",
          actor: deps.actor,
          targetType: "dead_job",
          targetId: sql`u.id`,
          details,
        },
        sql`from u`,
      )}`);
    deps.log("error", "dead job replay not enqueued", {
      jobId: id,
      jobType: job.type,
      error: errorText(err),
    });
    throw new AppError("UNAVAILABLE", "The queue did not accept the replay; try again", { cause: err });
  }
  deps.log("info", "dead job replayed", { jobId: id, jobType: job.type, replayJobId });
  return { id, replayJobId, jobType: job.type, priority: job.priority };
}

/** Deletes a dead job and writes its audit row in the same statement. */
export async function discardDeadJob(deps: Pick<Deps, "db" | "actor">, id: string): Promise<void> {
  const res = await deps.db.execute(sql`
    with d as (delete from dead_jobs where id = ${id} returning id, "jobType", queue)
    ${auditSelect(
      {
        action: "jobs.dead.discard",
        actor: deps.actor,
        targetType: "dead_job",
        targetId: sql`d.id`,
        details: {},
      },
      sql`from d`,
    )}
    returning "targetId"`);
  if (res.rows.length === 0) throw new AppError("NOT_FOUND", "No dead job with this id");
}

export interface CronJobOutcome {
  jobId: string;
  jobType: string;
  /** pending (enqueued, no delivery ended yet) | succeeded | retried | failed | dead_lettered */
  outcome: string;
  attempt: number | null;
  at: string | null;
  error: string | null;
}

export interface CronHistory {
  cron: string;
  jobs: { type: string; priority: string }[];
  lastScheduledAt: string | null;
  runs: { scheduledAt: string; jobs: CronJobOutcome[] }[];
}

/** Each cron of the schedule with its last `perCron` deliveries and each job's latest outcome: one SQL request. */
export async function cronHistory(db: Database, schedule: CronSchedule, perCron = 5): Promise<CronHistory[]> {
  const res = await db.execute<{ cron: string; scheduledAt: string; jobs: CronJobOutcome[] | null }>(sql`
    select c.cron, c."scheduledAt",
      (select jsonb_agg(jsonb_build_object(
          'jobId', j.id, 'jobType', split_part(j.id, '@', 1),
          'outcome', coalesce(r.outcome, 'pending'), 'attempt', r.attempt, 'at', r.at, 'error', r.error)
          order by j.ord)
       from jsonb_array_elements_text(c."jobIds") with ordinality as j(id, ord)
       left join lateral (
         select outcome, attempt, at, error from job_runs
         where "jobId" = j.id order by at desc, id desc limit 1
       ) r on true) as jobs
    from (
      select *, row_number() over (partition by cron order by "scheduledAt" desc) as rn from cron_runs
    ) c
    where c.rn <= ${perCron}
    order by c.cron, c."scheduledAt" desc`);
  const runs = new Map<string, CronHistory["runs"]>();
  for (const r of res.rows) {
    const list = runs.get(r.cron) ?? [];
    list.push({
      scheduledAt: new Date(r.scheduledAt).toISOString(),
      jobs: (r.jobs ?? []).map((j) => ({ ...j, at: j.at ? new Date(j.at).toISOString() : null })),
    });
    runs.set(r.cron, list);
  }
  const crons = new Set([...Object.keys(schedule), ...runs.keys()]);
  return [...crons].map((cron) => {
    const list = runs.get(cron) ?? [];
    return {
      cron,
      jobs: (schedule[cron] ?? []).map((j) => ({ type: j.type, priority: j.priority })),
      lastScheduledAt: list[0]?.scheduledAt ?? null,
      runs: list,
    };
  });
}
