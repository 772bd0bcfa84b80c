// Sync jobs: `sync.page` (the engine), `sync.auto` (the */5 cron: a real run when the interval
// from settings has passed), `sync.watchdog` (re-drives a chain whose message was lost), and
// `notify.sync-finished` (Discord notice: a logged no-op until the notifications area lands).
import { sql } from "drizzle-orm";
import { audit, SYSTEM_ACTOR } from "../audit/audit.service.ts";
import type { JobTable } from "../jobs/job-context.ts";
import { failRun, handleSyncPage, sendPage } from "./sync-engine.ts";
import { createRun } from "./sync-runs.ts";
import { readAutoSync } from "./sync-settings.ts";

const STALL_MINUTES = 10;
const DEAD_MINUTES = 60;

export const syncJobs: JobTable = {
  "sync.page": handleSyncPage,

  "sync.auto": async (_payload, ctx) => {
    const settings = await readAutoSync(ctx.db);
    if (!settings.enabled) return;
    const res = await ctx.db.execute<{ due: boolean }>(sql`
      select coalesce(max("startedAt") < now() - make_interval(secs => ${settings.intervalSeconds}), true) as due
      from sync_logs where type = 'full'`);
    if (!res.rows[0]?.due) return;
    const run = await createRun(ctx.db, ctx.config, { type: "full", requestedBy: "scheduler" });
    if (!run.alreadyRunning) {
      await audit(ctx.db, {
        action: "sync.triggered",
        actor: SYSTEM_ACTOR,
        targetType: "sync",
        targetId: run.log.id,
        details: { type: "full", by: "scheduler" },
      });
      ctx.log("info", "auto-sync started", { syncLogId: run.log.id });
    }
  },

  "sync.watchdog": async (_payload, ctx) => {
    const res = await ctx.db.execute<{
      id: string;
      seq: number;
      minutes: number;
      steps: string[];
      step_index: number;
    }>(sql`
      select l.id, (c.cursor->>'seq')::int as seq, extract(epoch from now() - l."updatedAt") / 60 as minutes,
             array(select jsonb_array_elements_text(c.cursor->'steps')) as steps, (c.cursor->>'stepIndex')::int as step_index
      from sync_logs l join sync_cursors c on c."syncLogId" = l.id and c.step = 'chain'
      where l.status in ('PENDING', 'RUNNING') and l."updatedAt" < now() - make_interval(mins => ${STALL_MINUTES})`);
    for (const r of res.rows) {
      if (Number(r.minutes) > DEAD_MINUTES) {
        await failRun(
          ctx.db,
          ctx.config,
          r.id,
          { steps: r.steps as never, stepIndex: Number(r.step_index) },
          "sync stalled (no progress for an hour)",
        );
      } else {
        await sendPage(ctx.config, {
          syncLogId: r.id,
          seq: Number(r.seq),
          nonce: `watchdog-${ctx.message.id}`,
        });
      }
    }
  },

  "notify.sync-finished": async (payload, ctx) => {
    ctx.log("info", "sync finished notice (Discord delivery arrives with the notifications area)", {
      syncLogId: (payload as { syncLogId?: string })?.syncLogId,
      status: (payload as { status?: string })?.status,
    });
  },
};
