// The member dashboard's data: own (and shared) servers and counts, through the servers
// service's visibility rule and projection. Every read is one SQL request (a statement or a batch).
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { containsPattern } from "../../platform/sql.ts";
import {
  type DASHBOARD_STATUS_FILTERS,
  dashboardServerView,
  type ServerRow,
  serverSelect,
  statusFilter,
  visibleTo,
} from "../../services/servers/servers.ts";

export async function dashboardStats(db: Database, userId: string) {
  const [counts, recent] = await db.batch([
    db.execute<{
      total: number;
      online: number;
      offline: number;
      suspended: number;
      balance: string;
      tickets: number;
    }>(sql`
      select count(*)::int as total,
             count(*) filter (where ${statusFilter("online")})::int as online,
             count(*) filter (where ${statusFilter("offline")})::int as offline,
             count(*) filter (where ${statusFilter("suspended")})::int as suspended,
             (select coalesce("accountBalance", 0) from users where id = ${userId}) as balance,
             (select count(*) from support_tickets t where t."userId" = ${userId}
                and t.status in ('open', 'pending', 'in_progress'))::int as tickets
      from servers s where ${visibleTo(userId)}`),
    db.execute<ServerRow>(
      sql`${serverSelect} where ${visibleTo(userId)} order by s."createdAt" desc, s.id limit 6`,
    ),
  ]);
  const c = counts.rows[0];
  return {
    servers: {
      total: Number(c?.total ?? 0),
      online: Number(c?.online ?? 0),
      offline: Number(c?.offline ?? 0),
      suspended: Number(c?.suspended ?? 0),
    },
    recentServers: recent.rows.map((r) => dashboardServerView(r, false)),
    accountBalance: Number(c?.balance ?? 0),
    openTickets: Number(c?.tickets ?? 0),
  };
}

export async function dashboardServers(
  db: Database,
  opts: {
    userId: string;
    viewAll: boolean;
    page: number;
    perPage: number;
    search?: string;
    status: (typeof DASHBOARD_STATUS_FILTERS)[number];
  },
) {
  const where: SQL[] = [opts.viewAll ? sql`s."deletedAt" is null` : visibleTo(opts.userId)];
  if (opts.search) where.push(sql`(s.name ilike ${containsPattern(opts.search)})`);
  const s = statusFilter(opts.status);
  if (s) where.push(s);
  const filter = sql.join(where, sql` and `);
  const [rows, total] = await db.batch([
    db.execute<ServerRow>(
      sql`${serverSelect} where ${filter} order by s."createdAt" desc, s.id limit ${opts.perPage} offset ${(opts.page - 1) * opts.perPage}`,
    ),
    db.execute<{ n: number }>(sql`select count(*)::int as n from servers s where ${filter}`),
  ]);
  const n = Number(total.rows[0]?.n ?? 0);
  return {
    data: rows.rows.map((r) => dashboardServerView(r, opts.viewAll)),
    meta: {
      total: n,
      page: opts.page,
      perPage: opts.perPage,
      totalPages: Math.max(1, Math.ceil(n / opts.perPage)),
    },
  };
}
