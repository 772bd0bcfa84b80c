// Producing jobs: one function picks the priority queue and stamps the message.
import type { Config } from "../env.ts";
import type { JobMessage, JobPriority } from "./jobs.types.ts";

export interface EnqueueOptions {
  priority?: JobPriority;
  /** A deterministic id makes a duplicate enqueue (e.g. a cron fired twice) the same job. */
  id?: string;
  delaySeconds?: number;
}

export function queueFor(config: Pick<Config, "queues">, priority: JobPriority): Queue<JobMessage> {
  return config.queues[priority] as Queue<JobMessage>;
}

export async function enqueue(
  config: Pick<Config, "queues">,
  type: string,
  payload: unknown,
  opts: EnqueueOptions = {},
): Promise<JobMessage> {
  const priority = opts.priority ?? "default";
  const message: JobMessage = {
    id: opts.id ?? crypto.randomUUID(),
    type,
    payload,
    priority,
    enqueuedAt: new Date().toISOString(),
  };
  await queueFor(config, priority).send(message, { contentType: "json", delaySeconds: opts.delaySeconds });
  return message;
}
