// The queue message every producer sends and every consumer reads.

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
