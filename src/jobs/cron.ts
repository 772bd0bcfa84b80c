// The scheduled() handler: looks the cron up in CRON_SCHEDULE and enqueues its jobs, each with an
// id derived from (type, scheduledTime) so a cron delivered twice produces the same job ids.
import { type Bindings, getConfig } from "../env.ts";
import { AppError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { enqueue } from "./enqueue.ts";
import { CRON_SCHEDULE, type CronJob } from "./registry.ts";

export async function handleScheduled(
  controller: Pick<ScheduledController, "cron" | "scheduledTime">,
  env: Bindings,
  schedule: Readonly<Record<string, readonly CronJob[]>> = CRON_SCHEDULE,
): Promise<string[]> {
  const jobs = schedule[controller.cron];
  if (!jobs) throw new AppError("INTERNAL", `Unknown cron "${controller.cron}"`, { retryable: false });
  const config = getConfig(env);
  const at = new Date(controller.scheduledTime).toISOString();
  const ids: string[] = [];
  for (const job of jobs) {
    const msg = await enqueue(config, job.type, job.payload ?? {}, {
      priority: job.priority,
      id: `${job.type}@${at}`,
    });
    ids.push(msg.id);
  }
  log("info", "cron dispatched", { cron: controller.cron, scheduledTime: at, jobs: ids });
  return ids;
}
