// Quarantine: a page whose write fails with a deterministic data or constraint error (SQLSTATE
// class 22 or 23) is not retried blindly. Trial batches that always roll back (they end with the
// run guard of a run that does not exist) find the units the database refuses, greedily: a unit
// is bad when it fails on top of the units already found good. The good ones land with the page;
// the bad ones are kept in sync_quarantine (resource, panel id, SQLSTATE, message, run, row).
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { classifyPgError, type PgErrorFields } from "../../platform/sql.ts";
import type { PageUnits } from "./sync-steps.ts";
import { rows } from "./sync-writes.ts";

const TRIAL_END = "__sync_trial__";

/** Runs the statements and rolls back: null when they all pass, else the deterministic error. */
export async function trial(db: Database, statements: SQL[]): Promise<PgErrorFields | null> {
  try {
    await db.batch([
      ...statements.map((s) => db.execute(s)),
      db.execute(sql`select sync_run_guard(${TRIAL_END})`),
    ] as [ReturnType<Database["execute"]>]);
  } catch (err) {
    const c = classifyPgError(err);
    if (c?.kind === "raised_exception" && String(c.fields.message).includes(TRIAL_END)) return null;
    if (c?.deterministic) return c.fields;
    throw err;
  }
  throw new Error("sync trial batch did not roll back");
}

export interface BadUnit {
  id: number;
  unit: unknown;
  error: PgErrorFields;
}

/** The units that fail on top of the good ones (about 2·log2(n) trials per bad unit). */
export async function findBadUnits(db: Database, page: PageUnits): Promise<BadUnit[]> {
  const bad: BadUnit[] = [];
  const good: unknown[] = [];
  const walk = async (set: unknown[]): Promise<void> => {
    if (set.length === 0) return;
    const error = await trial(db, page.build([...good, ...set]));
    if (!error) {
      good.push(...set);
      return;
    }
    const [only] = set;
    if (set.length === 1) {
      bad.push({ id: page.id(only), unit: only, error });
      return;
    }
    const half = Math.ceil(set.length / 2);
    await walk(set.slice(0, half));
    await walk(set.slice(half));
  };
  await walk(page.units);
  return bad;
}

/** Keeps the refused units, one row per (resource, panel id), refreshed by every run that meets them. */
export function quarantineStatement(syncId: string, resource: string, bad: BadUnit[]): SQL {
  const items = bad.map((b) => ({
    id: String(b.id),
    state: b.error.code ?? "",
    message: (b.error.message ?? "").slice(0, 1000),
    row: b.unit,
  }));
  return sql`insert into sync_quarantine (resource, "panelId", "sqlState", message, "syncLogId", row, "updatedAt")
    select ${resource}, x.id, x.state, x.message, ${syncId}, x.row, now()
    from jsonb_to_recordset(${rows(items)}) as x(id text, state text, message text, row jsonb)
    on conflict (resource, "panelId") do update set "sqlState" = excluded."sqlState", message = excluded.message,
      "syncLogId" = excluded."syncLogId", row = excluded.row, "updatedAt" = now()`;
}

/** Units that landed leave the quarantine. */
export function releaseStatement(resource: string, ids: number[]): SQL {
  return sql`delete from sync_quarantine where resource = ${resource}
    and "panelId" in (select value from jsonb_array_elements_text(${JSON.stringify(ids.map(String))}::jsonb))`;
}

/** `metadata.lastError` for a page with refused units: what and where. */
export function describeBad(resource: string, bad: BadUnit[], where: string): string {
  const first = bad[0];
  const more = bad.length > 1 ? ` (+${bad.length - 1} more)` : "";
  return `${resource} ${first?.id}: ${first?.error.code} ${first?.error.message ?? ""}${more}, quarantined at ${where}`.slice(
    0,
    500,
  );
}
