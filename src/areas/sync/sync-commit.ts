// The commit of a page and of a run's completion: ONE batch that starts with the run guard
// (sync_run_guard raises unless the run is PENDING/RUNNING), carries the page's statements, and
// ends with a compare-and-swap of the chain cursor (by seq) merged with the progress update.
// A duplicate message loses the CAS and changes nothing; a cancelled run stops at the guard.
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { classifyPgError } from "../../platform/sql.ts";
import type { ChainState, PagePlan } from "./sync-plan.ts";

export const metadataPatch = (patch: Record<string, unknown>): SQL => sql`${JSON.stringify(patch)}::jsonb`;

function guard(syncId: string): SQL {
  return sql`select sync_run_guard(${syncId})`;
}

function isInactiveRun(err: unknown): boolean {
  const c = classifyPgError(err);
  return c?.kind === "raised_exception" && String(c.fields.message).includes("is not active");
}

/** CAS of the chain cursor from `seq` to `next`, and the log update that only happens if it won. */
function casAndUpdate(syncId: string, seq: number, next: ChainState, set: SQL): SQL {
  return sql`with cas as (
      update sync_cursors set cursor = ${JSON.stringify(next)}::jsonb, "updatedAt" = now()
      where "syncLogId" = ${syncId} and step = 'chain' and (cursor->>'seq')::int = ${seq}
      returning 1
    )
    update sync_logs set ${set}, "updatedAt" = now()
    where id = ${syncId} and status in ('PENDING', 'RUNNING') and exists (select 1 from cas)
    returning id, status, "itemsTotal", "itemsSynced", metadata`;
}

export type CommitOutcome = "advanced" | "lost" | "inactive";

/** The log as the commit left it: the SSE stream's payload, carried in the live event (no read per viewer). */
export interface CommittedLog {
  id: string;
  status: string;
  itemsTotal: number;
  itemsSynced: number;
  metadata: Record<string, unknown>;
}

async function commit(
  db: Database,
  syncId: string,
  statements: SQL[],
  last: SQL,
): Promise<{ outcome: CommitOutcome; log?: CommittedLog }> {
  try {
    const results = await db.batch([
      db.execute(guard(syncId)),
      ...statements.map((s) => db.execute(s)),
      db.execute(last),
    ]);
    const row = results[results.length - 1]?.rows[0] as CommittedLog | undefined;
    return row ? { outcome: "advanced", log: { ...row, metadata: row.metadata ?? {} } } : { outcome: "lost" };
  } catch (err) {
    if (isInactiveRun(err)) return { outcome: "inactive" };
    throw err;
  }
}

/** Writes one planned page: its statements, the cursor CAS, counters and merged metadata. */
export function commitPage(
  db: Database,
  syncId: string,
  chain: ChainState,
  plan: PagePlan,
  statements: SQL[],
  processed: number,
  failed = 0,
): Promise<{ outcome: CommitOutcome; log?: CommittedLog }> {
  const progressSql = sql`jsonb_build_object('progress', greatest(coalesce((metadata->>'progress')::int, 0), ${plan.progress}))
      || ${metadataPatch({ ...plan.patch, progress: undefined })}`;
  const set = sql`status = 'RUNNING', "itemsSynced" = "itemsSynced" + ${processed}, "itemsFailed" = "itemsFailed" + ${failed},
      "itemsTotal" = "itemsTotal" + ${plan.addTotal}, metadata = metadata || ${progressSql}`;
  return commit(db, syncId, statements, casAndUpdate(syncId, chain.seq, plan.after, set));
}

/** Runs the sweeps and marks the run COMPLETED, as one batch behind the guard and the CAS. */
export function commitCompletion(
  db: Database,
  syncId: string,
  chain: ChainState,
  sweeps: SQL[],
  nowSeconds: number,
  /** Merged last, e.g. a dry run's summary (a jsonb expression over the log row). */
  extra: SQL = sql`'{}'::jsonb`,
): Promise<CommitOutcome> {
  const done: ChainState = { ...chain, seq: chain.seq + 1 };
  const set = sql`status = 'COMPLETED', "completedAt" = now(),
      "durationSeconds" = greatest(0, round(extract(epoch from now() - "startedAt")))::int,
      metadata = metadata || ${metadataPatch({
        step: "completed",
        progress: 100,
        lastMessage: "Sync completed",
        completed_at: nowSeconds,
        lastUpdated: nowSeconds,
      })} || ${extra}`;
  return commit(db, syncId, sweeps, casAndUpdate(syncId, chain.seq, done, set)).then((r) => r.outcome);
}
