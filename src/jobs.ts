// Composition of the background work: jobType → handler, the dead-job hooks, and cron → jobs.
// index.ts hands these tables to the queue and scheduled handlers; every area and service
// exports its own table and is listed here (and nowhere else).
import { gameSessionJobs, SESSION_CRON_JOBS } from "./areas/hytale/game-sessions.jobs.ts";
import { HYTALE_CRON_JOBS, hytaleJobs } from "./areas/hytale/hytale.jobs.ts";
import { syncDeadJobHooks, syncJobs } from "./areas/sync/sync.jobs.ts";
import type { CronSchedule, JobTable } from "./platform/jobs.types.ts";
import { accountJobs } from "./services/accounts/accounts.jobs.ts";
import { maintenanceJobs } from "./services/jobs/maintenance.jobs.ts";
import type { JobTables } from "./services/jobs/queue.consumer.ts";
import { discordJobs } from "./services/notifications/discord-delivery.ts";
import { emailJobs } from "./services/notifications/email.jobs.ts";
import { notifyJobs } from "./services/notifications/notify.jobs.ts";
import { eventJobs } from "./services/notifications/signed-events.ts";

export const JOB_HANDLERS: JobTable = {
  ...maintenanceJobs,
  ...accountJobs,
  ...emailJobs,
  ...notifyJobs,
  ...discordJobs,
  ...eventJobs,
  ...syncJobs,
  ...hytaleJobs,
  ...gameSessionJobs,
};

/** What to do when a job of this type exhausts its retries (beyond recording it in dead_jobs). */
export const DEAD_JOB_HOOKS: JobTable = {
  ...syncDeadJobHooks,
};

export const JOB_TABLES: JobTables = { handlers: JOB_HANDLERS, deadJobHooks: DEAD_JOB_HOOKS };

/** Crons only enqueue; the work happens in the queue consumer. Keys match wrangler.toml triggers. */
export const CRON_SCHEDULE: CronSchedule = {
  "*/5 * * * *": [
    { type: "sync.auto", priority: "default" },
    { type: "sync.watchdog", priority: "low" },
    ...HYTALE_CRON_JOBS,
    ...SESSION_CRON_JOBS,
  ],
  "0 2 * * *": [{ type: "maintenance.expired-game-sessions", priority: "low" }],
  "0 3 * * *": [
    { type: "maintenance.old-sync-logs", priority: "low" },
    { type: "sync.purge", priority: "low" },
    { type: "maintenance.expired-auth-tokens", priority: "low" },
    { type: "maintenance.old-job-runs", priority: "low" },
  ],
  "0 4 * * *": [{ type: "maintenance.old-server-logs", priority: "low" }],
};
