// The scheduled() handler: looks the cron up in the schedule it is given and enqueues its jobs,
// each with an id derived from (type, scheduledTime) so a cron delivered twice produces the same
// job ids. Each delivery is kept in cron_runs (when it was scheduled, which jobs it enqueued) for
// the cron history page.
import { createDeps } from "../../platform/deps.ts";
import { type Bindings, getConfig } from "../../platform/env.ts";
import { AppError } from "../../platform/errors.ts";
import type { CronSchedule } from "../../platform/jobs.types.ts";
import { recordCronRun } from "./bookkeeping.ts";

export async function handleScheduled(
  controller: Pick<ScheduledController, "cron" | "scheduledTime">,
  env: Bindings,
  schedule: CronSchedule,
): Promise<string[]> {
  const jobs = schedule[controller.cron];
  if (!jobs) throw new AppError("INTERNAL", `Unknown cron "${controller.cron}"`, { retryable: false });
  const deps = createDeps(getConfig(env));
  const at = new Date(controller.scheduledTime).toISOString();
  const ids: string[] = [];
  for (const job of jobs) {
    const msg = await deps.enqueue(job.type, job.payload ?? {}, {
      priority: job.priority,
      id: `${job.type}@${at}`,
    });
    ids.push(msg.id);
  }
  await recordCronRun(deps.db, controller.cron, at, ids, deps.log);
  deps.log("info", "cron dispatched", { cron: controller.cron, scheduledTime: at, jobs: ids });
  return ids;
}
