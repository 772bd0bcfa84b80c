// The servers step's page: one application listing page (in id order) with allocations,
// subusers and databases included, so no per-server requests; a server and what it carries is
// one unit (quarantine rebuilds the page without the units the database refuses).

import { inArray } from "drizzle-orm";
import { servers } from "../../platform/db/schema/index.ts";
import type { PanelDatabase, PanelServer, PanelSubuser } from "../../services/panel/panel.types.ts";
import { panelPage, related } from "../../services/panel/panel-client.ts";
import { type Cursor, nextPage, type PageResult, type StepContext, unitsOf } from "./sync-page.ts";
import {
  type DatabaseRow,
  type ServerRow,
  type SubuserRow,
  serverStatus,
  upsertServers,
} from "./sync-writes.ts";

export async function serversPage(ctx: StepContext, cursor: Cursor): Promise<PageResult> {
  // Subusers and databases come with the page: no per-server requests.
  const p = await panelPage<PanelServer>(
    ctx.panel,
    "/servers",
    cursor.page,
    "allocations,subusers,databases.host",
    "id",
  );
  const units: ServerUnit[] = [];
  for (const s of p.items) {
    const subusers: SubuserRow[] = [];
    const databases: DatabaseRow[] = [];
    const server: ServerRow = {
      id: s.id,
      external_id: s.external_id,
      uuid: s.uuid,
      identifier: s.identifier,
      name: s.name,
      description: s.description,
      status: serverStatus(s),
      suspended: Boolean(s.suspended),
      memory: s.limits?.memory ?? 0,
      disk: s.limits?.disk ?? 0,
      cpu: s.limits?.cpu ?? 0,
      user: s.user,
      node: s.node,
      egg: s.egg,
      nest: s.nest,
      allocation_ids: related<{ id: number }>(s, "allocations").map((a) => a.id),
    };
    units.push({ server, subusers, databases });
    for (const su of related<PanelSubuser>(s, "subusers")) {
      subusers.push({ server_id: s.id, user_id: su.user_id, permissions: su.permissions ?? [] });
    }
    for (const d of related<PanelDatabase>(s, "databases")) {
      const host = (d.relationships?.host as { attributes?: { host?: string; port?: number } } | undefined)
        ?.attributes;
      databases.push({
        id: d.id,
        server_id: s.id,
        host: host?.host ?? `host-${d.host}`,
        port: host?.port ?? 3306,
        database: d.database,
        username: d.username,
        max_connections: d.max_connections ?? 0,
      });
    }
  }
  const build = (us: ServerUnit[]) =>
    upsertServers(
      ctx.syncId,
      us.map((u) => u.server),
      us.flatMap((u) => u.subusers),
      us.flatMap((u) => u.databases),
    );
  // Servers whose state the panel changed since the last sync: `server.state` on `admin` and
  // `server:{uuid}` once the page commits (one read of the page's known statuses, no write).
  const ids = units.map((u) => u.server.id);
  const known = ids.length
    ? await ctx.db
        .select({ id: servers.pterodactylId, uuid: servers.uuid, status: servers.status })
        .from(servers)
        .where(inArray(servers.pterodactylId, ids))
    : [];
  const before = new Map(known.map((k) => [k.id, k]));
  const events = units.flatMap(({ server }) => {
    const was = before.get(server.id);
    if (!was || was.status === server.status) return [];
    return [
      {
        event: "server.state",
        data: { serverUuid: server.uuid, status: server.status, previous: was.status, source: "sync" },
      },
    ];
  });
  const subusers = units.reduce((n, u) => n + u.subusers.length, 0);
  const databases = units.reduce((n, u) => n + u.databases.length, 0);
  return {
    statements: build(units),
    rows: unitsOf("servers", units, (u) => u.server.id, build),
    processed: p.items.length,
    total: p.total,
    next: nextPage(p.page, p.totalPages),
    message: `Synced servers page ${p.page}/${p.totalPages} (${subusers} subusers, ${databases} databases)`,
    events,
  };
}

interface ServerUnit {
  server: ServerRow;
  subusers: SubuserRow[];
  databases: DatabaseRow[];
}
