// Reading sync runs: the website's SyncLog view, the lists and the overview the admin sync page
// shows, and the run row the engine reads. Every read is one SQL request.
import { desc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { type SyncLog, syncLogs } from "../../platform/db/schema/index.ts";
import type { ChainState } from "./sync-plan.ts";

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
        'servers', (select count(*) from servers where "deletedAt" is null),
        'nodes', (select count(*) from nodes where "deletedAt" is null),
        'locations', (select count(*) from locations where "deletedAt" is null),
        'allocations', (select count(*) from allocations where "deletedAt" is null),
        'nests', (select count(*) from nests where "deletedAt" is null),
        'eggs', (select count(*) from eggs where "deletedAt" is null),
        'eggVariables', (select count(*) from egg_variables where "deletedAt" is null),
        'serverDatabases', (select count(*) from server_databases where "deletedAt" is null)
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

export interface RunRow extends Record<string, unknown> {
  status: string;
  type: string;
  cursor: ChainState | null;
  metadata: Record<string, unknown> | null;
}

/** A run's status, type, metadata and chain cursor. */
export async function readRun(db: Database, syncId: string): Promise<RunRow | undefined> {
  const res = await db.execute<RunRow>(sql`
    select l.status, l.type, l.metadata, c.cursor from sync_logs l
    left join sync_cursors c on c."syncLogId" = l.id and c.step = 'chain'
    where l.id = ${syncId}`);
  return res.rows[0];
}

/** The quarantine, newest first, with its total — one SQL request. */
export async function listQuarantine(db: Database, q: { limit: number; offset: number; resource?: string }) {
  const where = q.resource ? sql`where resource = ${q.resource}` : sql``;
  const res = await db.execute<{ items: Record<string, unknown>[] | null; total: number }>(sql`
    select (select count(*) from sync_quarantine ${where})::int as total,
      (select jsonb_agg(to_jsonb(x) order by x."updatedAt" desc, x.resource, x."panelId") from (
        select * from sync_quarantine ${where} order by "updatedAt" desc, resource, "panelId" limit ${q.limit} offset ${q.offset}
      ) x) as items`);
  const row = res.rows[0];
  const items = (row?.items ?? []).map((i) => ({
    resource: String(i.resource),
    panelId: String(i.panelId),
    sqlState: String(i.sqlState),
    message: String(i.message),
    syncLogId: String(i.syncLogId),
    row: i.row,
    createdAt: new Date(String(i.createdAt)).toISOString(),
    updatedAt: new Date(String(i.updatedAt)).toISOString(),
  }));
  return { items, total: Number(row?.total ?? 0) };
}
