// Sync jobs: `sync.page` (the engine), `sync.auto` (the */5 cron: a real run, started like the
// routes start one, when the interval from settings has passed), `sync.watchdog` (re-drives a
// chain that has not advanced for two minutes, fails one stalled for an hour), `sync.purge`
// (tombstones past their retention); and the dead-job hook of `sync.page`. The completion
// notice is a notify() event (services/notifications).
import { sql } from "drizzle-orm";
import type { JobTable } from "../../platform/jobs.types.ts";
import { handleSyncPage } from "./sync-engine.ts";
import { purgeStatements, TOMBSTONE_RETENTION_DAYS } from "./sync-purge.ts";
import { failRunFromDeadPage, recoverStalledRun, startRun } from "./sync-runs.ts";
import { readAutoSync } from "./sync-settings.ts";

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
    const res = await deps.db.execute<{ id: string }>(
      sql`select id from sync_logs where status in ('PENDING', 'RUNNING')`,
    );
    for (const r of res.rows) await recoverStalledRun(deps, r.id);
  },

  "sync.purge": async (_payload, deps) => {
    const cutoff = new Date(deps.now().getTime() - TOMBSTONE_RETENTION_DAYS * 86_400_000).toISOString();
    const [first, ...rest] = purgeStatements(cutoff).map((s) => deps.db.execute(s));
    if (!first) return;
    const results = await deps.db.batch([first, ...rest]);
    deps.log("info", "purged sync tombstones", {
      deleted: results.reduce((n, r) => n + (r.rowCount ?? 0), 0),
    });
  },
};

export const syncDeadJobHooks: JobTable = {
  "sync.page": failRunFromDeadPage,
};
