// Sync runs: create (one at a time, enforced by the database), cancel, read logs, and the
// numbers the admin sync page shows. Every read is one SQL request.
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { pgError } from "../db/client.ts";
import { type SyncLog, syncCursors, syncLogs } from "../db/schema/index.ts";
import type { Config } from "../env.ts";
import { failRun, initialChain, sendPage } from "./sync-engine.ts";
import { STEPS, type StepName } from "./sync-steps.ts";

export const SYNC_TYPES = [
  "full",
  "locations",
  "nodes",
  "allocations",
  "nests",
  "servers",
  "databases",
  "users",
] as const;
export type SyncType = (typeof SYNC_TYPES)[number];
export const AVAILABLE_TARGETS: SyncType[] = [...SYNC_TYPES];

export function stepsFor(type: SyncType, skipUsers = false): StepName[] {
  if (type === "full") return STEPS.filter((s) => !(skipUsers && s === "users"));
  if (type === "databases") return ["servers"];
  return [type];
}

/** The website's SyncLog: metadata as an object, dates ISO. */
export function syncLogView(l: SyncLog) {
  return {
    id: l.id,
    type: l.type,
    status: l.status,
    itemsTotal: l.itemsTotal,
    itemsSynced: l.itemsSynced,
    itemsFailed: l.itemsFailed,
    error: l.error,
    metadata: (l.metadata ?? {}) as Record<string, unknown>,
    startedAt: l.startedAt.toISOString(),
    completedAt: l.completedAt?.toISOString() ?? null,
    cancelledAt: l.cancelledAt?.toISOString() ?? null,
    durationSeconds: l.durationSeconds,
  };
}
export type SyncLogView = ReturnType<typeof syncLogView>;

export async function activeRun(db: Database): Promise<SyncLog | undefined> {
  const [row] = await db
    .select()
    .from(syncLogs)
    .where(inArray(syncLogs.status, ["PENDING", "RUNNING"]))
    .limit(1);
  return row;
}

export interface CreateRunResult {
  log: SyncLog;
  /** True when another run was already active: `log` is that run. */
  alreadyRunning: boolean;
}

export async function createRun(
  db: Database,
  config: Pick<Config, "queues">,
  input: { type: SyncType; requestedBy: string; skipUsers?: boolean },
): Promise<CreateRunResult> {
  const id = crypto.randomUUID();
  const now = Math.floor(Date.now() / 1000);
  const metadata = {
    requested_by: input.requestedBy,
    skip_users: Boolean(input.skipUsers),
    step: "starting",
    progress: 0,
    lastMessage: "Sync queued",
    lastUpdated: now,
  };
  try {
    const [inserted] = await db.batch([
      db.insert(syncLogs).values({ id, type: input.type, status: "PENDING", metadata }).returning(),
      db.insert(syncCursors).values({
        syncLogId: id,
        step: "chain",
        cursor: initialChain(stepsFor(input.type, input.skipUsers)),
      }),
    ]);
    const log = inserted[0];
    if (!log) throw new Error("sync log insert returned nothing");
    try {
      await sendPage(config, { syncLogId: id, seq: 0 });
    } catch (err) {
      await failRun(db, config, id, null, `could not queue the sync: ${(err as Error).message}`);
      throw err;
    }
    return { log, alreadyRunning: false };
  } catch (err) {
    if (pgError(err)?.constraint === "sync_logs_one_active_key") {
      const running = await activeRun(db);
      if (running) return { log: running, alreadyRunning: true };
    }
    throw err;
  }
}

/**
 * Cancels a PENDING/RUNNING run at once (status CANCELLED); the engine checks before every page
 * and stops. Returns the run as it is now, or undefined when there is no such run.
 */
export async function cancelRun(db: Database, id?: string): Promise<{ log?: SyncLog; cancelled: boolean }> {
  const target = id
    ? (await db.select().from(syncLogs).where(eq(syncLogs.id, id)))[0]
    : (await db.select().from(syncLogs).orderBy(desc(syncLogs.startedAt)).limit(1))[0];
  if (!target) return { cancelled: false };
  const [updated] = await db
    .update(syncLogs)
    .set({
      status: "CANCELLED",
      cancelledAt: new Date(),
      completedAt: new Date(),
      durationSeconds: sql`greatest(0, round(extract(epoch from now() - ${syncLogs.startedAt})))::int`,
      metadata: sql`${syncLogs.metadata} || ${JSON.stringify({ lastMessage: "Sync cancelled", lastUpdated: Math.floor(Date.now() / 1000) })}::jsonb`,
      updatedAt: new Date(),
    })
    .where(and(eq(syncLogs.id, target.id), inArray(syncLogs.status, ["PENDING", "RUNNING"])))
    .returning();
  return updated ? { log: updated, cancelled: true } : { log: target, cancelled: false };
}

export async function listLogs(db: Database, q: { limit: number; offset: number; type?: string }) {
  return db
    .select()
    .from(syncLogs)
    .where(q.type ? eq(syncLogs.type, q.type) : undefined)
    .orderBy(desc(syncLogs.startedAt), desc(syncLogs.id))
    .limit(q.limit)
    .offset(q.offset);
}

export async function getLog(db: Database, id: string): Promise<SyncLog | undefined> {
  const [row] = await db.select().from(syncLogs).where(eq(syncLogs.id, id));
  return row;
}

export async function latestPerType(db: Database): Promise<SyncLog[]> {
  const res = await db.execute(
    sql`select distinct on (type) id from sync_logs order by type, "startedAt" desc`,
  );
  const ids = res.rows.map((r) => String((r as { id: string }).id));
  if (!ids.length) return [];
  return db.select().from(syncLogs).where(inArray(syncLogs.id, ids));
}

/** Latest log, whether one is active, and the ten counts — one SQL request. */
export async function syncOverview(db: Database) {
  const res = await db.execute<{
    last: SyncLog | null;
    running: string | null;
    counts: Record<string, number>;
  }>(sql`
    select
      (select to_jsonb(l) from sync_logs l order by "startedAt" desc, id desc limit 1) as last,
      (select id from sync_logs where status in ('PENDING', 'RUNNING') limit 1) as running,
      jsonb_build_object(
        'users', (select count(*) from users),
        'migratedUsers', (select count(*) from users where "isMigrated"),
        'servers', (select count(*) from servers),
        'nodes', (select count(*) from nodes),
        'locations', (select count(*) from locations),
        'allocations', (select count(*) from allocations),
        'nests', (select count(*) from nests),
        'eggs', (select count(*) from eggs),
        'eggVariables', (select count(*) from egg_variables),
        'serverDatabases', (select count(*) from server_databases)
      ) as counts`);
  const row = res.rows[0];
  const last = row?.last as unknown as Record<string, unknown> | null;
  const counts = Object.fromEntries(Object.entries(row?.counts ?? {}).map(([k, v]) => [k, Number(v ?? 0)]));
  return {
    lastSync: last ? jsonLogView(last) : null,
    runningId: row?.running ?? null,
    counts,
  };
}

/** A sync_logs row read as JSON (to_jsonb): dates normalised to ISO. */
function jsonLogView(r: Record<string, unknown>) {
  const iso = (v: unknown) => (v ? new Date(String(v)).toISOString() : null);
  return {
    id: String(r.id),
    type: String(r.type),
    status: String(r.status),
    itemsTotal: Number(r.itemsTotal ?? 0),
    itemsSynced: Number(r.itemsSynced ?? 0),
    itemsFailed: Number(r.itemsFailed ?? 0),
    error: (r.error as string | null) ?? null,
    metadata: (r.metadata ?? {}) as Record<string, unknown>,
    startedAt: iso(r.startedAt) ?? new Date(0).toISOString(),
    completedAt: iso(r.completedAt),
    cancelledAt: iso(r.cancelledAt),
    durationSeconds:
      r.durationSeconds === null || r.durationSeconds === undefined ? null : Number(r.durationSeconds),
  };
}
