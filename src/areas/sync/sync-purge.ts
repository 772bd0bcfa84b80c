// Purge of tombstones past their retention (the nightly `sync.purge` job). Children go before
// parents, and a tombstone is only removed when nothing live still hangs off it: a parent with a
// live child, or a server that rows the website owns still reference (server properties, Hytale
// sessions and logs, support tickets, databases not tombstoned), is kept, so a purge never
// cascades into data that is not a tombstone itself. Idempotent: one batch of cutoff deletes.
import { type SQL, sql } from "drizzle-orm";

export const TOMBSTONE_RETENTION_DAYS = 30;

export function purgeStatements(cutoffIso: string): SQL[] {
  const old = sql`"deletedAt" < ${cutoffIso}::timestamptz`;
  return [
    sql`delete from egg_variables where ${old}`,
    sql`delete from server_databases where ${old}`,
    sql`delete from servers s where ${old}
      and not exists (select 1 from server_properties p where p."serverId" = s.id)
      and not exists (select 1 from server_databases d where d."serverId" = s.id)
      and not exists (select 1 from hytale_game_sessions g where g.server_id = s.id)
      and not exists (select 1 from hytale_server_logs l where l."serverUuid" = s.uuid)
      and not exists (select 1 from hytale_log_sync_state h where h."serverUuid" = s.uuid)
      and not exists (select 1 from support_tickets t where t."serverId" = s.id)`,
    sql`delete from allocations where ${old}`,
    sql`delete from eggs e where ${old} and not exists (select 1 from egg_variables v where v.egg_id = e.id)`,
    sql`delete from nests n where ${old} and not exists (select 1 from eggs e where e."nestId" = n.id)`,
    sql`delete from nodes n where ${old} and not exists (select 1 from allocations a where a."nodeId" = n.id)`,
    sql`delete from locations l where ${old} and not exists (select 1 from nodes n where n."locationId" = l.id)`,
  ];
}
