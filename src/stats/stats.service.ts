// Public counters. Each function is ONE SQL request (scalar sub-selects), not a COUNT per figure.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";

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
    select (select count(*) from servers)::int as "totalServers",
           (select count(*) from users)::int as "totalUsers",
           (select count(*) from users where "lastLoginAt" is not null)::int as "activeUsers",
           (select count(*) from allocations)::int as "totalAllocations"`);
  return numbers(res.rows[0]) as unknown as PublicStats;
}

export async function panelCounts(db: Database): Promise<PanelCounts> {
  const res = await db.execute<PanelCounts>(sql`
    select (select count(*) from nodes)::int as nodes,
           (select count(*) from servers)::int as servers,
           (select count(*) from users)::int as users,
           (select count(*) from allocations where "isAssigned")::int as allocations,
           (select count(*) from nests)::int as nests`);
  return numbers(res.rows[0]) as unknown as PanelCounts;
}

/** Every value as a number, never null (an empty table counts 0). */
function numbers(row: object | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(row ?? {})) out[k] = Number(v ?? 0);
  return out;
}
