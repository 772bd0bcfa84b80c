// The queue message every producer sends and every consumer reads, and what a job handler is:
// a function of its payload and the dependency seam (built once per message, with the message).
import type { Deps } from "./deps.ts";

export type JobPriority = "critical" | "default" | "low";

export interface JobMessage {
  /** Idempotency key: handlers may use it as a primary/unique key; duplicates are expected. */
  id: string;
  type: string;
  payload: unknown;
  priority: JobPriority;
  enqueuedAt: string;
}

export const QUEUE_NAMES: Record<JobPriority, string> = {
  critical: "jobs-critical",
  default: "jobs-default",
  low: "jobs-low",
};

export const DLQ_NAME = "jobs-dlq";

/** The seam of one queue message: its actor is the system, its logger stamped with jobId/jobType. */
export interface JobDeps extends Deps {
  message: JobMessage;
}

export type JobHandler = (payload: unknown, deps: JobDeps) => Promise<void>;
export type JobTable = Readonly<Record<string, JobHandler>>;

/** A cron entry: crons only enqueue, the work happens in the queue consumer. */
export interface CronJob {
  type: string;
  priority: JobPriority;
  payload?: unknown;
}
export type CronSchedule = Readonly<Record<string, readonly CronJob[]>>;
