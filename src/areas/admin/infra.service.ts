// Admin views of the panel mirror (servers, nodes, allocations, locations, nests, eggs) with
// upstream's filters and fields. Every list is ONE SQL request: page and total in one batch,
// counts joined from grouped sub-selects (no correlated COUNT per row).

import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { parseFlag } from "../../platform/flags.ts";
import { containsPattern } from "../../platform/sql.ts";
import {
  adminServerView,
  type ServerRow,
  type ServerStatusFilter,
  serverSelect,
  statusFilter,
} from "../../services/servers/servers.ts";

export interface Page {
  page: number;
  pageSize: number;
}

const like = containsPattern;
const where = (parts: (SQL | undefined)[]) => {
  const list = parts.filter((p): p is SQL => p !== undefined);
  return list.length ? sql`where ${sql.join(list, sql` and `)}` : sql``;
};
/** yes/no (upstream) and true/false (the website) both work; anything else means "all". */
/** A yes/no filter in any spelling the clients send (yes/no, true/false, 1/0); else no filter. */
export function yesNo(v: string | undefined): boolean | undefined {
  return parseFlag(v);
}

async function paged<T>(db: Database, rows: SQL, count: SQL, p: Page) {
  const [list, total] = await db.batch([
    db.execute<T & Record<string, unknown>>(
      sql`${rows} limit ${p.pageSize} offset ${(p.page - 1) * p.pageSize}`,
    ),
    db.execute<{ n: number }>(count),
  ]);
  return { rows: list.rows as T[], total: Number(total.rows[0]?.n ?? 0) };
}

const iso = (v: unknown) => (v ? new Date(String(v)).toISOString() : null);

export const SERVER_SORTS = ["created", "name", "status"] as const;

export async function listServers(
  db: Database,
  q: Page & {
    search?: string;
    status: ServerStatusFilter;
    serverType?: string;
    sort: string;
    order: "asc" | "desc";
  },
) {
  const w = where([
    sql`s."deletedAt" is null`,
    q.search ? sql`(s.name ilike ${like(q.search)} or s.description ilike ${like(q.search)})` : undefined,
    statusFilter(q.status),
    q.serverType ? sql`s."serverType" = ${q.serverType}` : undefined,
  ]);
  const dir = q.order === "asc" ? sql`asc` : sql`desc`;
  const order =
    { created: sql`s."createdAt"`, name: sql`s.name`, status: sql`s.status` }[q.sort as "created"] ??
    sql`s."createdAt"`;
  const { rows, total } = await paged<ServerRow>(
    db,
    sql`${serverSelect} ${w} order by ${order} ${dir}, s.id`,
    sql`select count(*)::int as n from servers s ${w}`,
    q,
  );
  return { servers: rows.map(adminServerView), total };
}

export async function listNodes(db: Database, q: Page & { search?: string; maintenance?: boolean }) {
  const w = where([
    sql`n."deletedAt" is null`,
    q.search ? sql`(n.name ilike ${like(q.search)} or n.fqdn ilike ${like(q.search)})` : undefined,
    q.maintenance === undefined ? undefined : sql`n."isMaintenanceMode" = ${q.maintenance}`,
  ]);
  const { rows, total } = await paged<Record<string, unknown>>(
    db,
    sql`select n.*, l."shortCode" as "locationCode", coalesce(sc.n, 0)::int as "serverCount", coalesce(ac.n, 0)::int as "allocationCount"
        from nodes n left join locations l on l.id = n."locationId"
        left join (select "nodeId", count(*) as n from servers where "deletedAt" is null group by 1) sc on sc."nodeId" = n.id
        left join (select "nodeId", count(*) as n from allocations where "deletedAt" is null group by 1) ac on ac."nodeId" = n.id
        ${w} order by n.name, n.id`,
    sql`select count(*)::int as n from nodes n ${w}`,
    q,
  );
  const nodes = rows.map((r) => ({
    id: Number(r.id),
    uuid: String(r.uuid),
    name: String(r.name),
    description: (r.description as string | null) ?? null,
    fqdn: String(r.fqdn),
    scheme: String(r.scheme),
    behindProxy: Boolean(r.behindProxy),
    isPublic: Boolean(r.isPublic),
    isMaintenanceMode: Boolean(r.isMaintenanceMode),
    memory: Number(r.memory ?? 0),
    memoryOverallocate: Number(r.memoryOverallocate ?? 0),
    disk: Number(r.disk ?? 0),
    diskOverallocate: Number(r.diskOverallocate ?? 0),
    daemonListenPort: Number(r.daemonListenPort),
    daemonSftpPort: Number(r.daemonSftpPort),
    locationId: Number(r.locationId),
    locationCode: (r.locationCode as string | null) ?? null,
    serverCount: Number(r.serverCount),
    allocationCount: Number(r.allocationCount),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  }));
  return { nodes, total };
}

export async function listAllocations(
  db: Database,
  q: Page & { nodeId?: number; assigned?: boolean; search?: string },
) {
  const w = where([
    sql`a."deletedAt" is null`,
    q.nodeId === undefined ? undefined : sql`a."nodeId" = ${q.nodeId}`,
    q.assigned === undefined ? undefined : sql`a."isAssigned" = ${q.assigned}`,
    q.search
      ? sql`(a.ip ilike ${like(q.search)} or a.alias ilike ${like(q.search)} or a.port::text ilike ${like(q.search)})`
      : undefined,
  ]);
  const { rows, total } = await paged<Record<string, unknown>>(
    db,
    sql`select a.id, a.ip, a.port, a.alias, a."isAssigned", a."nodeId", n.name as "nodeName", n.fqdn as "nodeFqdn",
          a."serverId", s."pterodactylId" as "serverPterodactylId", s.name as "serverName"
        from allocations a left join nodes n on n.id = a."nodeId" left join servers s on s.id = a."serverId"
        ${w} order by a.ip, a.port, a.id`,
    sql`select count(*)::int as n from allocations a ${w}`,
    q,
  );
  const allocations = rows.map((r) => ({
    id: Number(r.id),
    ip: String(r.ip),
    port: Number(r.port),
    alias: (r.alias as string | null) ?? null,
    isAssigned: Boolean(r.isAssigned),
    nodeId: Number(r.nodeId),
    nodeName: (r.nodeName as string | null) ?? null,
    nodeFqdn: (r.nodeFqdn as string | null) ?? null,
    serverId: (r.serverId as string | null) ?? null,
    serverPterodactylId: r.serverPterodactylId === null ? null : Number(r.serverPterodactylId),
    serverName: (r.serverName as string | null) ?? null,
  }));
  return { allocations, total };
}

export async function listLocations(db: Database) {
  const res = await db.execute<{
    id: number;
    shortCode: string;
    /** Never null: upstream's Go struct answered "" (the website renders it as is). */
    description: string;
    nodeCount: number;
  }>(sql`
    select l.id, l."shortCode", coalesce(l.description, '') as description, count(n.id)::int as "nodeCount"
    from locations l left join nodes n on n."locationId" = l.id and n."deletedAt" is null
    where l."deletedAt" is null group by l.id order by l."shortCode"`);
  return res.rows.map((r) => ({ ...r, id: Number(r.id), nodeCount: Number(r.nodeCount) }));
}

export async function listNests(db: Database, q: Page & { search?: string }) {
  const w = where([
    sql`n."deletedAt" is null`,
    q.search ? sql`(n.name ilike ${like(q.search)} or n.description ilike ${like(q.search)})` : undefined,
  ]);
  const { rows, total } = await paged<Record<string, unknown>>(
    db,
    sql`select n.*, coalesce(ec.n, 0)::int as "eggCount", coalesce(sc.n, 0)::int as "serverCount"
        from nests n
        left join (select "nestId", count(*) as n from eggs where "deletedAt" is null group by 1) ec on ec."nestId" = n.id
        left join (select e."nestId", count(*) as n from servers s join eggs e on e.id = s."eggId" where s."deletedAt" is null group by 1) sc on sc."nestId" = n.id
        ${w} order by n.name, n.id`,
    sql`select count(*)::int as n from nests n ${w}`,
    q,
  );
  const nests = rows.map((r) => ({
    id: Number(r.id),
    uuid: String(r.uuid),
    name: String(r.name),
    description: (r.description as string | null) ?? null,
    author: (r.author as string | null) ?? null,
    eggCount: Number(r.eggCount),
    serverCount: Number(r.serverCount),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  }));
  return { nests, total };
}

export async function listEggs(db: Database, q: Page & { search?: string; nestId?: number }) {
  const w = where([
    sql`e."deletedAt" is null`,
    q.search ? sql`(e.name ilike ${like(q.search)} or e.description ilike ${like(q.search)})` : undefined,
    q.nestId === undefined ? undefined : sql`e."nestId" = ${q.nestId}`,
  ]);
  const { rows, total } = await paged<Record<string, unknown>>(
    db,
    sql`select e.*, n.name as "nestName", coalesce(sc.n, 0)::int as "serverCount"
        from eggs e left join nests n on n.id = e."nestId"
        left join (select "eggId", count(*) as n from servers where "deletedAt" is null group by 1) sc on sc."eggId" = e.id
        ${w} order by e.name, e.id`,
    sql`select count(*)::int as n from eggs e ${w}`,
    q,
  );
  const eggs = rows.map((r) => ({
    id: Number(r.id),
    uuid: String(r.uuid),
    name: String(r.name),
    description: (r.description as string | null) ?? null,
    author: (r.author as string | null) ?? null,
    nestId: Number(r.nestId),
    nestName: (r.nestName as string | null) ?? null,
    serverCount: Number(r.serverCount),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  }));
  return { eggs, total };
}

/** Flips a node's maintenance flag locally (as upstream); the next node sync takes the panel's value. */
export async function toggleMaintenance(db: Database, nodeId: number): Promise<boolean | undefined> {
  const res = await db.execute<{ m: boolean }>(sql`
    update nodes set "isMaintenanceMode" = not "isMaintenanceMode", "updatedAt" = now() where id = ${nodeId}
    returning "isMaintenanceMode" as m`);
  return res.rows[0]?.m;
}
