// The sync steps: for a cursor position, fetch one panel page (or a nest's eggs) and build the
// page's bulk statements. Pure of queue and run bookkeeping (see sync-engine.ts).
import { type SQL, sql } from "drizzle-orm";
import type { Deps } from "../../platform/deps.ts";
import type {
  FractalList,
  PanelAllocation,
  PanelDatabase,
  PanelEgg,
  PanelEggVariable,
  PanelLocation,
  PanelNest,
  PanelNode,
  PanelServer,
  PanelSubuser,
  PanelUser,
} from "../../services/panel/panel.types.ts";
import { type PanelDeps, panelPage, panelRequest, related } from "../../services/panel/panel-client.ts";
import {
  type DatabaseRow,
  type ServerRow,
  type SubuserRow,
  type SweepResource,
  serverStatus,
  upsertAllocations,
  upsertLocations,
  upsertNests,
  upsertNodes,
  upsertServers,
  upsertUsers,
} from "./sync-writes.ts";

export const STEPS = ["locations", "nodes", "allocations", "nests", "users", "servers"] as const;
export type StepName = (typeof STEPS)[number];

/** Overall progress when a step starts; the last step ends at 85, finalising reaches 100. */
export const MILESTONES: Record<StepName | "finalize" | "completed", number> = {
  locations: 0,
  nodes: 15,
  allocations: 30,
  nests: 45,
  users: 60,
  servers: 75,
  finalize: 85,
  completed: 100,
};

/** What each step's complete listing allows us to sweep. Users are never swept. */
export const SWEEPS: Record<StepName, SweepResource[]> = {
  locations: ["locations"],
  nodes: ["nodes"],
  allocations: ["allocations"],
  nests: ["nests", "eggs", "egg_variables"],
  users: [],
  servers: ["servers", "server_subusers", "server_databases"],
};

export interface Cursor {
  page: number;
  /** allocations: the node ids to walk and the index of the current one. */
  nodeIds?: number[];
  nodeIndex?: number;
}

export interface PageResult {
  statements: SQL[];
  processed: number;
  /** Items in the whole step listing, when known. */
  total: number;
  /** The next cursor within this step, or null when the step's listing is complete. */
  next: Cursor | null;
  message: string;
}

/** A step reads the seam's database and the panel slice, for one run. */
export interface StepContext extends Pick<Deps, "db"> {
  panel: PanelDeps;
  syncId: string;
}

const nextPage = (page: number, totalPages: number): Cursor | null =>
  page < totalPages ? { page: page + 1 } : null;

/** A plain paged listing written with one statement set per page. */
async function listingPage<T>(
  ctx: StepContext,
  path: string,
  cursor: Cursor,
  label: string,
  write: (items: T[]) => SQL[],
): Promise<PageResult> {
  const p = await panelPage<T>(ctx.panel, path, cursor.page);
  return {
    statements: write(p.items),
    processed: p.items.length,
    total: p.total,
    next: nextPage(p.page, p.totalPages),
    message: `Synced ${label} page ${p.page}/${p.totalPages}`,
  };
}

export async function runStepPage(ctx: StepContext, step: StepName, cursor: Cursor): Promise<PageResult> {
  switch (step) {
    case "locations":
      return listingPage<PanelLocation>(ctx, "/locations", cursor, "locations", (items) => [
        upsertLocations(ctx.syncId, items),
      ]);
    case "nodes":
      return listingPage<PanelNode>(ctx, "/nodes", cursor, "nodes", (items) => [
        upsertNodes(ctx.syncId, items),
      ]);
    case "allocations":
      return allocationsPage(ctx, cursor);
    case "nests": {
      const p = await panelPage<PanelNest>(ctx.panel, "/nests", cursor.page);
      const eggs: PanelEgg[] = [];
      const variables: PanelEggVariable[] = [];
      for (const nest of p.items) {
        // The panel's egg listing is not paginated.
        const { body } = await panelRequest<FractalList<PanelEgg>>(
          ctx.panel,
          "application",
          `/nests/${nest.id}/eggs`,
          {
            query: { include: "variables" },
          },
        );
        for (const egg of body?.data ?? []) {
          eggs.push({ ...egg.attributes, nest: egg.attributes.nest ?? nest.id });
          for (const v of related<PanelEggVariable>(egg.attributes, "variables"))
            variables.push({ ...v, egg_id: egg.attributes.id });
        }
      }
      return {
        statements: upsertNests(ctx.syncId, p.items, eggs, variables),
        processed: p.items.length,
        total: p.total,
        next: nextPage(p.page, p.totalPages),
        message: `Synced ${p.items.length} nests with ${eggs.length} eggs (page ${p.page}/${p.totalPages})`,
      };
    }
    case "users":
      return listingPage<PanelUser>(ctx, "/users", cursor, "users", (items) => [
        upsertUsers(ctx.syncId, items),
      ]);
    case "servers":
      return serversPage(ctx, cursor);
  }
}

async function allocationsPage(ctx: StepContext, cursor: Cursor): Promise<PageResult> {
  let nodeIds = cursor.nodeIds;
  if (!nodeIds) {
    const res = await ctx.db.execute<{ ids: number[] | null }>(
      sql`select array_agg(id order by id) as ids from nodes`,
    );
    nodeIds = (res.rows[0]?.ids ?? []).map(Number);
  }
  const index = cursor.nodeIndex ?? 0;
  const nodeId = nodeIds[index];
  if (nodeId === undefined)
    return {
      statements: [],
      processed: 0,
      total: 0,
      next: null,
      message: "No nodes to read allocations from",
    };
  const p = await panelPage<PanelAllocation>(ctx.panel, `/nodes/${nodeId}/allocations`, cursor.page);
  const next: Cursor | null =
    p.page < p.totalPages
      ? { page: p.page + 1, nodeIds, nodeIndex: index }
      : index + 1 < nodeIds.length
        ? { page: 1, nodeIds, nodeIndex: index + 1 }
        : null;
  return {
    statements: p.items.length ? upsertAllocations(ctx.syncId, nodeId, p.items) : [],
    processed: p.items.length,
    total: p.total,
    next,
    message: `Synced allocations of node ${index + 1}/${nodeIds.length} (page ${p.page}/${p.totalPages})`,
  };
}

async function serversPage(ctx: StepContext, cursor: Cursor): Promise<PageResult> {
  // Subusers and databases come with the page: no per-server requests.
  const p = await panelPage<PanelServer>(
    ctx.panel,
    "/servers",
    cursor.page,
    "allocations,subusers,databases.host",
  );
  const servers: ServerRow[] = [];
  const subusers: SubuserRow[] = [];
  const databases: DatabaseRow[] = [];
  for (const s of p.items) {
    servers.push({
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
    });
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
  return {
    statements: upsertServers(ctx.syncId, servers, subusers, databases),
    processed: p.items.length,
    total: p.total,
    next: nextPage(p.page, p.totalPages),
    message: `Synced servers page ${p.page}/${p.totalPages} (${subusers.length} subusers, ${databases.length} databases)`,
  };
}
