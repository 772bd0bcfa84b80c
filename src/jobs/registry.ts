// jobType → handler and cron → jobs: the two dispatch tables. Areas add their entries here.

import { emailJobs } from "../notifications/email.jobs.ts";
import type { JobTable } from "./job-context.ts";
import type { JobPriority } from "./jobs.types.ts";
import { maintenanceJobs } from "./maintenance.jobs.ts";

export const JOB_HANDLERS: JobTable = {
  ...maintenanceJobs,
  ...emailJobs,
};

export interface CronJob {
  type: string;
  priority: JobPriority;
  payload?: unknown;
}

/** Crons only enqueue; the work happens in the queue consumer. Keys match wrangler.toml triggers. */
export const CRON_SCHEDULE: Readonly<Record<string, readonly CronJob[]>> = {
  // Hytale token refresh, game-session refresh and auto-sync are added by their areas.
  "*/5 * * * *": [],
  "0 2 * * *": [{ type: "maintenance.expired-game-sessions", priority: "low" }],
  "0 3 * * *": [
    { type: "maintenance.old-sync-logs", priority: "low" },
    { type: "maintenance.expired-auth-tokens", priority: "low" },
  ],
  "0 4 * * *": [{ type: "maintenance.old-server-logs", priority: "low" }],
};
