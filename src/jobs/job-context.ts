// What a job or cron handler receives: its dependencies as arguments, so tests swap them at one seam.
import type { Database } from "../db/client.ts";
import type { Config } from "../env.ts";
import type { Logger } from "../lib/log.ts";
import type { JobMessage } from "./jobs.types.ts";

export interface JobContext {
  db: Database;
  config: Config;
  log: Logger;
  now: Date;
  message: JobMessage;
}

export type JobHandler = (payload: unknown, ctx: JobContext) => Promise<void>;
export type JobTable = Readonly<Record<string, JobHandler>>;
