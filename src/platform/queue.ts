// Producing jobs: one function picks the priority queue and stamps the message. The dependency
// seam carries a bound `enqueue` (deps.ts), so routes and jobs never touch a queue binding.
import type { Config } from "./env.ts";
import type { JobMessage, JobPriority } from "./jobs.types.ts";

export interface EnqueueOptions {
  priority?: JobPriority;
  /** A deterministic id makes a duplicate enqueue (e.g. a cron fired twice) the same job. */
  id?: string;
  delaySeconds?: number;
}

export type Enqueue = (type: string, payload: unknown, opts?: EnqueueOptions) => Promise<JobMessage>;

export function queueFor(config: Pick<Config, "queues">, priority: JobPriority): Queue<JobMessage> {
  return config.queues[priority] as Queue<JobMessage>;
}

/** An `enqueue` bound to the config's queue bindings and a clock (for `enqueuedAt`). */
export function queueProducer(config: Pick<Config, "queues">, now: () => Date = () => new Date()): Enqueue {
  return async (type, payload, opts = {}) => {
    const priority = opts.priority ?? "default";
    const message: JobMessage = {
      id: opts.id ?? crypto.randomUUID(),
      type,
      payload,
      priority,
      enqueuedAt: now().toISOString(),
    };
    await queueFor(config, priority).send(message, { contentType: "json", delaySeconds: opts.delaySeconds });
    return message;
  };
}
