// The member dashboard's data: own (and shared) servers, counts and the account. Every read is
// one HTTP request to the database (a single statement or a batch).
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";

/** Servers a user can see: owned, or shared with them as a subuser. */
const visibleTo = (userId: string) =>
  sql`(s."ownerId" = ${userId} or exists (select 1 from server_subusers su where su."serverId" = s.id and su."userId" = ${userId}))`;

interface ServerRow extends Record<string, unknown> {
  id: string;
  uuid: string | null;
  name: string;
  description: string | null;
  status: string;
  isSuspended: boolean;
  memory: number;
  disk: number;
  cpu: number;
  createdAt: string;
  game: string | null;
  node: string | null;
  ip: string | null;
  port: number | null;
  ownerId: string | null;
  ownerUsername: string | null;
  ownerEmail: string | null;
}

const serverSelect = sql`
  select s.id, s.uuid, s.name, s.description, lower(coalesce(s.status, 'unknown')) as status, s."isSuspended",
         s.memory, s.disk, s.cpu, s."createdAt", coalesce(e.name, n2.name) as game, n.name as node,
         a.ip, a.port, s."ownerId", o.username as "ownerUsername", o.email as "ownerEmail"
  from servers s
  left join eggs e on e.id = s."eggId"
  left join nests n2 on n2.id = s."nestId"
  left join nodes n on n.id = s."nodeId"
  left join users o on o.id = s."ownerId"
  left join lateral (select ip, port from allocations where "serverId" = s.id order by id limit 1) a on true`;

export function serverView(r: ServerRow, withOwner: boolean) {
  const status = r.isSuspended ? "suspended" : r.status;
  return {
    id: r.id,
    uuid: r.uuid ?? "",
    name: r.name,
    description: r.description,
    status,
    isSuspended: r.isSuspended,
    game: r.game ?? "Unknown",
    node: r.node ?? "Unknown",
    ip: r.ip,
    port: r.port === null ? null : Number(r.port),
    ...(withOwner && r.ownerId
      ? { owner: { id: r.ownerId, username: r.ownerUsername ?? "", email: r.ownerEmail ?? "" } }
      : {}),
    resources: {
      memory: { used: 0, limit: Number(r.memory ?? 0) },
      cpu: { used: 0, limit: Number(r.cpu ?? 0) },
      disk: { used: 0, limit: Number(r.disk ?? 0) },
    },
    createdAt: new Date(r.createdAt).toISOString(),
  };
}

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
             count(*) filter (where not s."isSuspended" and lower(s.status) in ('online', 'running'))::int as online,
             count(*) filter (where not s."isSuspended" and lower(s.status) = 'offline')::int as offline,
             count(*) filter (where s."isSuspended" or lower(s.status) = 'suspended')::int as suspended,
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
    recentServers: recent.rows.map((r) => serverView(r, false)),
    accountBalance: Number(c?.balance ?? 0),
    openTickets: Number(c?.tickets ?? 0),
  };
}

export const DASHBOARD_STATUS_FILTERS = [
  "all",
  "running",
  "online",
  "offline",
  "starting",
  "stopping",
  "suspended",
  "installing",
] as const;

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
  const where: SQL[] = [opts.viewAll ? sql`true` : visibleTo(opts.userId)];
  if (opts.search) where.push(sql`(s.name ilike ${`%${opts.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`})`);
  const status: Record<string, SQL | undefined> = {
    all: undefined,
    running: sql`(not s."isSuspended" and lower(s.status) in ('online', 'running'))`,
    online: sql`(not s."isSuspended" and lower(s.status) in ('online', 'running'))`,
    offline: sql`(not s."isSuspended" and lower(s.status) = 'offline')`,
    starting: sql`lower(s.status) = 'starting'`,
    stopping: sql`lower(s.status) = 'stopping'`,
    suspended: sql`(s."isSuspended" or lower(s.status) = 'suspended')`,
    installing: sql`lower(s.status) in ('installing', 'install_failed', 'restoring_backup')`,
  };
  const s = status[opts.status];
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
    data: rows.rows.map((r) => serverView(r, opts.viewAll)),
    meta: {
      total: n,
      page: opts.page,
      perPage: opts.perPage,
      totalPages: Math.max(1, Math.ceil(n / opts.perPage)),
    },
  };
}
