// Public counters. Each function is ONE SQL request (scalar sub-selects), not a COUNT per figure.
import { sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { jobStatsFrom, jobStatsSql } from "../../services/jobs/bookkeeping.ts";

export type PublicStats = {
  totalServers: number;
  totalUsers: number;
  activeUsers: number;
  totalAllocations: number;
};

export type PanelCounts = {
  nodes: number;
  servers: number;
  users: number;
  allocations: number;
  nests: number;
};

export async function publicStats(db: Database): Promise<PublicStats> {
  // Upstream counted a non-existent `last_login_at` and always reported 0; the column is "lastLoginAt".
  const res = await db.execute<PublicStats>(sql`
    select (select count(*) from servers where "deletedAt" is null)::int as "totalServers",
           (select count(*) from users)::int as "totalUsers",
           (select count(*) from users where "lastLoginAt" is not null)::int as "activeUsers",
           (select count(*) from allocations where "deletedAt" is null)::int as "totalAllocations"`);
  return numbers(res.rows[0]) as unknown as PublicStats;
}

export async function panelCounts(db: Database): Promise<PanelCounts> {
  const res = await db.execute<PanelCounts>(sql`
    select (select count(*) from nodes where "deletedAt" is null)::int as nodes,
           (select count(*) from servers where "deletedAt" is null)::int as servers,
           (select count(*) from users)::int as users,
           (select count(*) from allocations where "isAssigned" and "deletedAt" is null)::int as allocations,
           (select count(*) from nests where "deletedAt" is null)::int as nests`);
  return numbers(res.rows[0]) as unknown as PanelCounts;
}

/** Every value as a number, never null (an empty table counts 0). */
function numbers(row: object | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(row ?? {})) out[k] = Number(v ?? 0);
  return out;
}

export async function overviewStats(db: Database) {
  const res = await db.execute<Record<string, number>>(sql`
    select (select count(*) from users)::int as users, (select count(*) from servers where "deletedAt" is null)::int as servers,
           (select count(*) from nodes where "deletedAt" is null)::int as nodes, (select count(*) from locations where "deletedAt" is null)::int as locations,
           (select count(*) from eggs where "deletedAt" is null)::int as eggs, (select count(*) from allocations where "deletedAt" is null)::int as allocations`);
  return numbers(res.rows[0]);
}

export async function userStats(db: Database) {
  const res = await db.execute<Record<string, number>>(sql`
    select count(*)::int as total,
           count(*) filter (where "isActive")::int as active,
           count(*) filter (where "isMigrated")::int as migrated,
           count(*) filter (where "isPterodactylAdmin" or "isSystemAdmin")::int as admins,
           count(*) filter (where "createdAt" > now() - interval '7 days')::int as recent_7_days
    from users`);
  return numbers(res.rows[0]);
}

/** Servers by status and by node name, in one statement (upstream's by-node query always failed). */
export async function serverStats(db: Database) {
  const res = await db.execute<{
    by_status: Record<string, number> | null;
    by_node: Record<string, number> | null;
  }>(sql`
    select
      (select jsonb_object_agg(status, n) from (select lower(status) as status, count(*)::int as n from servers where "deletedAt" is null group by 1) s) as by_status,
      (select jsonb_object_agg(name, n) from (
         select coalesce(nd.name, 'unassigned') as name, count(*)::int as n
         from servers sv left join nodes nd on nd.id = sv."nodeId" where sv."deletedAt" is null group by 1) b) as by_node`);
  const row = res.rows[0];
  return { by_status: row?.by_status ?? {}, by_node: row?.by_node ?? {} };
}

export async function adminStats(db: Database) {
  const res = await db.execute<Record<string, number>>(sql`
    select (select count(*) from servers where "deletedAt" is null)::int as "totalServers",
           (select count(*) from servers where "isSuspended" and "deletedAt" is null)::int as "suspendedServers",
           (select count(*) from users)::int as "totalUsers",
           (select count(*) from nodes where "deletedAt" is null)::int as "totalNodes",
           (select count(*) from allocations where "deletedAt" is null)::int as "totalAllocations",
           (select count(*) from allocations where "isAssigned" and "deletedAt" is null)::int as "usedAllocations"`);
  const n = numbers(res.rows[0]);
  const v = (k: string) => n[k] ?? 0;
  return {
    totalServers: v("totalServers"),
    suspendedServers: v("suspendedServers"),
    totalUsers: v("totalUsers"),
    totalNodes: v("totalNodes"),
    totalAllocations: v("totalAllocations"),
    usedAllocations: v("usedAllocations"),
    availableAllocations: v("totalAllocations") - v("usedAllocations"),
  };
}

/**
 * Upstream's `queues` list (it had nothing else), our queue names, the dead-job summary and the
 * job statistics from our own bookkeeping: one SQL request (a batch).
 */
export async function queueStats(db: Database, now: Date) {
  const [dead, stats] = await db.batch([
    db.execute<{
      total: number;
      by_type: Record<string, number> | null;
      last_at: string | null;
    }>(sql`
    select count(*)::int as total,
           (select jsonb_object_agg("jobType", n) from (select "jobType", count(*)::int as n from dead_jobs group by 1) t) as by_type,
           max("createdAt") as last_at
    from dead_jobs`),
    db.execute(jobStatsSql(now)),
  ]);
  const row = dead.rows[0];
  return {
    queues: ["critical", "default", "low"],
    queueNames: ["jobs-critical", "jobs-default", "jobs-low", "jobs-dlq"],
    deadJobs: {
      total: Number(row?.total ?? 0),
      byType: row?.by_type ?? {},
      lastAt: row?.last_at ? new Date(row.last_at).toISOString() : null,
    },
    jobs: jobStatsFrom(stats.rows, now),
  };
}
