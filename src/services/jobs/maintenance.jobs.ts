// Retention jobs fanned out by the nightly crons. Each is one idempotent DELETE with a cutoff
// computed from the job's `now`, so a duplicate delivery or a cron fired twice changes nothing.
import { sql } from "drizzle-orm";
import type { JobDeps, JobTable } from "../../platform/jobs.types.ts";
import { CRON_RUN_RETENTION_DAYS, JOB_RUN_RETENTION_DAYS } from "./bookkeeping.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
export const SYNC_LOG_RETENTION_DAYS = 30;
export const SERVER_LOG_RETENTION_DAYS = 30;

const cutoff = (ctx: JobDeps, days: number) => new Date(ctx.now().getTime() - days * DAY_MS).toISOString();

export const maintenanceJobs: JobTable = {
  /** 03:00 — sync logs older than 30 days (never a running one). */
  "maintenance.old-sync-logs": async (_payload, ctx) => {
    const res = await ctx.db.execute(sql`
      delete from sync_logs
      where "createdAt" < ${cutoff(ctx, SYNC_LOG_RETENTION_DAYS)}::timestamptz
        and status not in ('PENDING', 'RUNNING')`);
    ctx.log("info", "purged old sync logs", { deleted: res.rowCount });
  },
  /** 03:00 — expired refresh tokens, sessions and single-use verification tokens. */
  "maintenance.expired-auth-tokens": async (_payload, ctx) => {
    const now = ctx.now().toISOString();
    const results = await ctx.db.batch([
      ctx.db.execute(sql`delete from refresh_tokens where "expiresAt" < ${now}::timestamptz`),
      ctx.db.execute(sql`delete from sessions where expires < ${now}::timestamptz`),
      ctx.db.execute(sql`delete from verification_tokens where expires < ${now}::timestamptz`),
    ]);
    ctx.log("info", "purged expired auth tokens", { deleted: results.map((r) => r.rowCount) });
  },
  /** 02:00 — game sessions past their real `expires_at`. */
  "maintenance.expired-game-sessions": async (_payload, ctx) => {
    const res = await ctx.db.execute(
      sql`delete from hytale_game_sessions where expires_at < ${ctx.now().toISOString()}::timestamptz`,
    );
    ctx.log("info", "purged expired game sessions", { deleted: res.rowCount });
  },
  /** 04:00 — Hytale server logs older than 30 days. */
  "maintenance.old-server-logs": async (_payload, ctx) => {
    const res = await ctx.db.execute(
      sql`delete from hytale_server_logs where "createdAt" < ${cutoff(ctx, SERVER_LOG_RETENTION_DAYS)}::timestamptz`,
    );
    ctx.log("info", "purged old server logs", { deleted: res.rowCount });
  },
  /** 03:00 — job bookkeeping older than 8 days, cron history older than 30 days. */
  "maintenance.old-job-runs": async (_payload, ctx) => {
    const [runs, crons] = await ctx.db.batch([
      ctx.db.execute(
        sql`delete from job_runs where at < ${cutoff(ctx, JOB_RUN_RETENTION_DAYS)}::timestamptz`,
      ),
      ctx.db.execute(
        sql`delete from cron_runs where "scheduledAt" < ${cutoff(ctx, CRON_RUN_RETENTION_DAYS)}::timestamptz`,
      ),
    ]);
    ctx.log("info", "purged old job bookkeeping", { deleted: [runs.rowCount, crons.rowCount] });
  },
};
