// The member dashboard's data: own (and shared) servers and counts, through the servers
// service's visibility rule and projection. Every read is one SQL request (a statement or a batch,
// with the panel connection's settings beside it); the servers on the page then get their live
// state from the shared resources cache or the panel (services/servers/live-state.ts), bounded
// in time and budget, else the mirror's values, marked.
import { type SQL, sql } from "drizzle-orm";
import type { Deps } from "../../platform/deps.ts";
import { containsPattern } from "../../platform/sql.ts";
import { panelConnection } from "../../services/panel/connection.ts";
import { type LiveBatch, liveStateOf } from "../../services/servers/live-state.ts";
import {
  type DASHBOARD_STATUS_FILTERS,
  dashboardServerView,
  hasLiveState,
  type ServerRow,
  serverSelect,
  statusFilter,
  visibleTo,
} from "../../services/servers/servers.ts";

type DashboardDeps = Pick<Deps, "db" | "config" | "fetch" | "stubs" | "now" | "log" | "waitUntil">;

/** What the answer says about its live state: how many servers have it, how many are the mirror's and why. */
export function liveSummary(batch: LiveBatch) {
  return { servers: batch.entries.size, fromMirror: batch.fromMirror, reason: batch.reason };
}

/** The rows as dashboard servers, live where the panel (or the cache) had it. */
async function withLiveState(
  deps: DashboardDeps,
  conn: Awaited<ReturnType<typeof panelConnection>>,
  rows: ServerRow[],
  withOwner: boolean,
) {
  const live = await liveStateOf(
    deps,
    conn,
    rows.filter(hasLiveState).map((r) => ({ id: r.id, uuid: r.uuid })),
  );
  return {
    servers: rows.map((r) => dashboardServerView(r, withOwner, live.entries.get(r.id))),
    live: liveSummary(live),
  };
}

/** The panel connection, or undefined when it cannot be read (the lists still answer). */
const connectionOf = (deps: DashboardDeps) =>
  panelConnection(deps).catch((err: unknown) => {
    deps.log("warn", "dashboard: panel connection unreadable", { error: err });
    return undefined;
  });

export async function dashboardStats(deps: DashboardDeps, userId: string) {
  const { db } = deps;
  const conn = connectionOf(deps);
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
  const recentServers = await withLiveState(deps, await conn, recent.rows, false);
  return {
    servers: {
      total: Number(c?.total ?? 0),
      online: Number(c?.online ?? 0),
      offline: Number(c?.offline ?? 0),
      suspended: Number(c?.suspended ?? 0),
    },
    recentServers: recentServers.servers,
    accountBalance: Number(c?.balance ?? 0),
    openTickets: Number(c?.tickets ?? 0),
    live: recentServers.live,
  };
}

export async function dashboardServers(
  deps: DashboardDeps,
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
  const { db } = deps;
  const conn = connectionOf(deps);
  const [rows, total] = await db.batch([
    db.execute<ServerRow>(
      sql`${serverSelect} where ${filter} order by s."createdAt" desc, s.id limit ${opts.perPage} offset ${(opts.page - 1) * opts.perPage}`,
    ),
    db.execute<{ n: number }>(sql`select count(*)::int as n from servers s where ${filter}`),
  ]);
  const n = Number(total.rows[0]?.n ?? 0);
  const page = await withLiveState(deps, await conn, rows.rows, opts.viewAll);
  return {
    data: page.servers,
    meta: {
      live: page.live,
      total: n,
      page: opts.page,
      perPage: opts.perPage,
      totalPages: Math.max(1, Math.ceil(n / opts.perPage)),
    },
  };
}
