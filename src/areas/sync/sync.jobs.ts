// Sync jobs: `sync.page` (the engine), `sync.auto` (the */5 cron: a real run, started like the
// routes start one, when the interval from settings has passed), `sync.watchdog` (re-drives a
// chain whose message was lost, fails one stalled for an hour); and the dead-job hook of
// `sync.page`. The completion notice is a notify() event (services/notifications).
import { sql } from "drizzle-orm";
import type { JobTable } from "../../platform/jobs.types.ts";
import { sendPage } from "./sync-chain.ts";
import { handleSyncPage } from "./sync-engine.ts";
import { failRun, failRunFromDeadPage, startRun } from "./sync-runs.ts";
import { readAutoSync } from "./sync-settings.ts";
import type { StepName } from "./sync-steps.ts";

const STALL_MINUTES = 10;
const DEAD_MINUTES = 60;

export const syncJobs: JobTable = {
  "sync.page": handleSyncPage,

  "sync.auto": async (_payload, deps) => {
    const settings = await readAutoSync(deps);
    if (!settings.enabled) return;
    const res = await deps.db.execute<{ due: boolean }>(sql`
      select coalesce(max("startedAt") < ${deps.now().toISOString()}::timestamptz - make_interval(secs => ${settings.intervalSeconds}), true) as due
      from sync_logs where type = 'full'`);
    if (!res.rows[0]?.due) return;
    // deps.actor is the system actor in every job.
    const run = await startRun(deps, { type: "full", requestedBy: "scheduler" });
    if (!run.alreadyRunning) deps.log("info", "auto-sync started", { syncLogId: run.log.id });
  },

  "sync.watchdog": async (_payload, deps) => {
    const res = await deps.db.execute<{
      id: string;
      seq: number;
      minutes: number;
      steps: string[];
      step_index: number;
    }>(sql`
      select l.id, (c.cursor->>'seq')::int as seq,
             extract(epoch from ${deps.now().toISOString()}::timestamptz - l."updatedAt") / 60 as minutes,
             array(select jsonb_array_elements_text(c.cursor->'steps')) as steps, (c.cursor->>'stepIndex')::int as step_index
      from sync_logs l join sync_cursors c on c."syncLogId" = l.id and c.step = 'chain'
      where l.status in ('PENDING', 'RUNNING')
        and l."updatedAt" < ${deps.now().toISOString()}::timestamptz - make_interval(mins => ${STALL_MINUTES})`);
    for (const r of res.rows) {
      if (Number(r.minutes) > DEAD_MINUTES) {
        await failRun(
          deps,
          r.id,
          { steps: r.steps as StepName[], stepIndex: Number(r.step_index) },
          "sync stalled (no progress for an hour)",
        );
      } else {
        await sendPage(deps, { syncLogId: r.id, seq: Number(r.seq), nonce: `watchdog-${deps.message.id}` });
      }
    }
  },
};

export const syncDeadJobHooks: JobTable = {
  "sync.page": failRunFromDeadPage,
};
