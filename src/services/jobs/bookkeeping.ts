// The consumer's own bookkeeping: one job_runs row per delivery that ended (and per message
// dead-lettered by the queue), written as ONE multi-row insert per queue batch; one cron_runs row
// per cron delivery. Statistics, the cron history and the dead-job pages read these tables.
import { sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import type { JobOutcome } from "../../platform/db/schema/index.ts";
import { errorText, type Logger } from "../../platform/log.ts";

export interface JobRunRow {
  jobId: string;
  queue: string;
  jobType: string;
  outcome: JobOutcome;
  attempt: number;
  durationMs: number | null;
  enqueuedAt: string | null;
  error: string | null;
}

const DAY_MS = 86_400_000;
/** job_runs are kept this long (the day window plus a week of history for investigations). */
export const JOB_RUN_RETENTION_DAYS = 8;
export const CRON_RUN_RETENTION_DAYS = 30;

/** A valid ISO time or null (a malformed message's enqueuedAt is anything). */
function isoOrNull(value: string | null): string | null {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/**
 * One insert for a whole batch. Bookkeeping never fails the batch: if the database refuses it,
 * the jobs have already run (or been retried), so a lost statistic is logged, not retried.
 */
export async function recordJobRuns(db: Database, rows: readonly JobRunRow[], log: Logger): Promise<void> {
  if (rows.length === 0) return;
  const values = sql.join(
    rows.map(
      (r) =>
        sql`(${r.jobId}, ${r.queue}, ${r.jobType.slice(0, 200)}, ${r.outcome}, ${r.attempt}, ${r.durationMs}, ${isoOrNull(r.enqueuedAt)}::timestamptz, ${r.error?.slice(0, 1000) ?? null})`,
    ),
    sql`, `,
  );
  try {
    await db.execute(sql`
      insert into job_runs ("jobId", queue, "jobType", outcome, attempt, "durationMs", "enqueuedAt", error)
      values ${values}`);
  } catch (err) {
    log("warn", "job bookkeeping not recorded", { rows: rows.length, error: errorText(err) });
  }
}

/** One row per cron delivery; a cron delivered twice keeps its first row (same jobs, same ids). */
export async function recordCronRun(
  db: Database,
  cron: string,
  scheduledAt: string,
  jobIds: readonly string[],
  log: Logger,
): Promise<void> {
  try {
    await db.execute(sql`
      insert into cron_runs (cron, "scheduledAt", "jobIds")
      values (${cron}, ${scheduledAt}::timestamptz, ${JSON.stringify(jobIds)}::jsonb)
      on conflict (cron, "scheduledAt") do nothing`);
  } catch (err) {
    log("warn", "cron run not recorded", { cron, error: errorText(err) });
  }
}

export interface WindowStats {
  enqueued: number;
  succeeded: number;
  retried: number;
  failed: number;
  deadLettered: number;
  /** Handler run time over the runs that ran (succeeded, retried, failed), in ms; null when none. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface JobTypeStats {
  queue: string;
  jobType: string;
  lastHour: WindowStats;
  lastDay: WindowStats;
}

export interface JobStats {
  generatedAt: string;
  byQueue: Record<string, { lastHour: WindowStats; lastDay: WindowStats }>;
  byType: JobTypeStats[];
  totals: { lastHour: WindowStats; lastDay: WindowStats };
}

type StatRow = {
  queue: string | null;
  jobType: string | null;
  win: "hour" | "day";
  enqueued: number;
  succeeded: number;
  retried: number;
  failed: number;
  dead_lettered: number;
  p50: number | null;
  p95: number | null;
};

const empty = (): WindowStats => ({
  enqueued: 0,
  succeeded: 0,
  retried: 0,
  failed: 0,
  deadLettered: 0,
  p50Ms: null,
  p95Ms: null,
});

function toWindow(r: StatRow): WindowStats {
  return {
    enqueued: Number(r.enqueued),
    succeeded: Number(r.succeeded),
    retried: Number(r.retried),
    failed: Number(r.failed),
    deadLettered: Number(r.dead_lettered),
    p50Ms: r.p50 === null ? null : Math.round(Number(r.p50)),
    p95Ms: r.p95 === null ? null : Math.round(Number(r.p95)),
  };
}

/**
 * Per queue and job type (and per queue, and overall: grouping sets), over the last hour and the
 * last day, in ONE SQL request. "Enqueued" counts jobs whose first delivery (attempt 1) is
 * recorded, by their enqueuedAt: a job still waiting in its queue is not counted yet.
 */
export async function jobStats(db: Database, now: Date): Promise<JobStats> {
  const res = await db.execute<StatRow>(jobStatsSql(now));
  return jobStatsFrom(res.rows, now);
}

/** The statistics statement, for a caller that batches it with its own (one SQL request). */
export function jobStatsSql(now: Date) {
  const dayAgo = new Date(now.getTime() - DAY_MS).toISOString();
  const hourAgo = new Date(now.getTime() - DAY_MS / 24).toISOString();
  return sql`
    with runs as (
      select queue, "jobType", outcome, attempt, "durationMs", coalesce("enqueuedAt", at) as enq, at
      from job_runs where at >= ${dayAgo}::timestamptz
    ), windows as (
      select r.*, w.win from runs r
      cross join lateral (values ('day'), ('hour')) as w(win)
      where w.win = 'day' or r.at >= ${hourAgo}::timestamptz
    )
    select queue, "jobType", win,
      count(*) filter (where attempt = 1 and outcome <> 'dead_lettered')::int as enqueued,
      count(*) filter (where outcome = 'succeeded')::int as succeeded,
      count(*) filter (where outcome = 'retried')::int as retried,
      count(*) filter (where outcome = 'failed')::int as failed,
      count(*) filter (where outcome = 'dead_lettered')::int as dead_lettered,
      percentile_cont(0.5) within group (order by "durationMs") filter (where "durationMs" is not null) as p50,
      percentile_cont(0.95) within group (order by "durationMs") filter (where "durationMs" is not null) as p95
    from windows
    group by grouping sets ((win, queue, "jobType"), (win, queue), (win))
    order by queue nulls first, "jobType" nulls first, win`;
}

export function jobStatsFrom(rows: readonly Record<string, unknown>[], now: Date): JobStats {
  const byQueue: JobStats["byQueue"] = {};
  const byType = new Map<string, JobTypeStats>();
  const totals = { lastHour: empty(), lastDay: empty() };
  for (const r of rows as StatRow[]) {
    const key = r.win === "hour" ? "lastHour" : "lastDay";
    if (r.queue === null) totals[key] = toWindow(r);
    else if (r.jobType === null) {
      const q = byQueue[r.queue] ?? { lastHour: empty(), lastDay: empty() };
      q[key] = toWindow(r);
      byQueue[r.queue] = q;
    } else {
      const id = `${r.queue}\u0000${r.jobType}`;
      let entry = byType.get(id);
      if (!entry) {
        entry = { queue: r.queue, jobType: r.jobType, lastHour: empty(), lastDay: empty() };
        byType.set(id, entry);
      }
      entry[key] = toWindow(r);
    }
  }
  return { generatedAt: now.toISOString(), byQueue, byType: [...byType.values()], totals };
}
