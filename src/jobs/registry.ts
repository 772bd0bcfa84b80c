// jobType → handler and cron → jobs: the two dispatch tables. Areas add their entries here.

import type { Database } from "../db/client.ts";
import type { Config } from "../env.ts";
import { emailJobs } from "../notifications/email.jobs.ts";
import { syncJobs } from "../sync/sync.jobs.ts";
import { failRunFromDeadPage } from "../sync/sync-engine.ts";
import type { JobTable } from "./job-context.ts";
import type { JobPriority } from "./jobs.types.ts";
import { maintenanceJobs } from "./maintenance.jobs.ts";

export const JOB_HANDLERS: JobTable = {
  ...maintenanceJobs,
  ...emailJobs,
  ...syncJobs,
};

/** What to do when a job of this type exhausts its retries (beyond recording it). */
export const DEAD_JOB_HOOKS: Readonly<
  Record<string, (db: Database, config: Config, payload: unknown) => Promise<void>>
> = {
  "sync.page": failRunFromDeadPage,
};

export interface CronJob {
  type: string;
  priority: JobPriority;
  payload?: unknown;
}

/** Crons only enqueue; the work happens in the queue consumer. Keys match wrangler.toml triggers. */
export const CRON_SCHEDULE: Readonly<Record<string, readonly CronJob[]>> = {
  // Hytale token and game-session refresh are added by the Hytale area.
  "*/5 * * * *": [
    { type: "sync.auto", priority: "default" },
    { type: "sync.watchdog", priority: "low" },
  ],
  "0 2 * * *": [{ type: "maintenance.expired-game-sessions", priority: "low" }],
  "0 3 * * *": [
    { type: "maintenance.old-sync-logs", priority: "low" },
    { type: "maintenance.expired-auth-tokens", priority: "low" },
  ],
  "0 4 * * *": [{ type: "maintenance.old-server-logs", priority: "low" }],
};
