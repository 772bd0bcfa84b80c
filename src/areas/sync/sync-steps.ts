// The sync steps: for a cursor position, fetch one panel page (or a nest's eggs) and build the
// page's bulk statements from its units (a panel row with what it carries), so a page the
// database refuses can be rebuilt for any subset of its units (quarantine, sync-quarantine.ts).
// Listings are read in id order where the panel allows a sort. Pure of queue and run bookkeeping.
import { type SQL, sql } from "drizzle-orm";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
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
import { type SweepStats, sweepPage } from "./sync-sweep.ts";
import {
  type DatabaseRow,
  type ServerRow,
  type SubuserRow,
  serverStatus,
  upsertAllocations,
  upsertLocations,
  upsertNests,
  upsertNodes,
  upsertServers,
  upsertUsers,
} from "./sync-writes.ts";

/** The listing steps of a full run; every run that lists something ends with the "sweep" step. */
export const STEPS = ["locations", "nodes", "allocations", "nests", "users", "servers"] as const;
export type StepName = (typeof STEPS)[number] | "sweep";

/** Overall progress when a step starts; the last listing step ends at 85, finalising reaches 100. */
export const MILESTONES: Record<StepName | "finalize" | "completed", number> = {
  locations: 0,
  nodes: 15,
  allocations: 30,
  nests: 45,
  users: 60,
  servers: 75,
  sweep: 85,
  finalize: 85,
  completed: 100,
};

export interface Cursor {
  page: number;
  /** allocations: the node ids to walk and the index of the current one. */
  nodeIds?: number[];
  nodeIndex?: number;
  /** sweep: the resource being swept, the last candidate id handled, its counts, refused resources. */
  resourceIndex?: number;
  afterId?: number;
  sweep?: SweepStats;
  refused?: string[];
}

/** A page's rows as units, so its statements can be rebuilt for any subset of them. */
export interface PageUnits<U = unknown> {
  resource: string;
  units: U[];
  id: (u: U) => number;
  build: (units: U[]) => SQL[];
  /** Panel ids this page lists per resource (dry runs record them). */
  seen: (units: U[]) => Record<string, number[]>;
}

export interface PageResult {
  statements: SQL[];
  processed: number;
  /** Items in the whole step listing, when known. */
  total: number;
  /** The next cursor within this step, or null when the step's listing is complete. */
  next: Cursor | null;
  message: string;
  /** Present for listing pages (absent for the sweep). */
  rows?: PageUnits;
  /** Merged into the run's metadata with the page. */
  patch?: Record<string, unknown>;
}

/** A step reads the seam's database and the panel slice, for one run. */
export interface StepContext extends Pick<Deps, "db" | "log"> {
  panel: PanelDeps;
  syncId: string;
  /** The run's steps (which listings are complete when the sweep runs). */
  steps: readonly StepName[];
  dryRun: boolean;
}

function unitsOf<U>(
  resource: string,
  units: U[],
  id: (u: U) => number,
  build: (units: U[]) => SQL[],
  seen?: (units: U[]) => Record<string, number[]>,
): PageUnits {
  const out: PageUnits<U> = {
    resource,
    units,
    id,
    build,
    seen: seen ?? ((us) => ({ [resource]: us.map(id) })),
  };
  return out as unknown as PageUnits;
}

const nextPage = (page: number, totalPages: number): Cursor | null =>
  page < totalPages ? { page: page + 1 } : null;

/** A plain paged listing (in id order) written with one statement set per page. */
async function listingPage<T extends { id: number }>(
  ctx: StepContext,
  path: string,
  cursor: Cursor,
  label: string,
  write: (items: T[]) => SQL[],
): Promise<PageResult> {
  const p = await panelPage<T>(ctx.panel, path, cursor.page, undefined, "id");
  return {
    statements: write(p.items),
    rows: unitsOf(label, p.items, (i) => i.id, write),
    processed: p.items.length,
    total: p.total,
    next: nextPage(p.page, p.totalPages),
    message: `Synced ${label} page ${p.page}/${p.totalPages}`,
  };
}

export async function runStepPage(ctx: StepContext, step: StepName, cursor: Cursor): Promise<PageResult> {
  switch (step) {
    case "locations":
      return listingPage<PanelLocation>(ctx, "/locations", cursor, "locations", (items) =>
        upsertLocations(ctx.syncId, items),
      );
    case "nodes":
      return listingPage<PanelNode>(ctx, "/nodes", cursor, "nodes", (items) =>
        upsertNodes(ctx.syncId, items),
      );
    case "allocations":
      return allocationsPage(ctx, cursor);
    case "nests": {
      // The panel offers no sort on nests (nor on a node's allocations): the sweep confirms.
      const p = await panelPage<PanelNest>(ctx.panel, "/nests", cursor.page);
      const units: NestUnit[] = [];
      for (const nest of p.items) {
        const unit: NestUnit = { nest, eggs: [], variables: [] };
        units.push(unit);
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
          unit.eggs.push({ ...egg.attributes, nest: egg.attributes.nest ?? nest.id });
          for (const v of related<PanelEggVariable>(egg.attributes, "variables"))
            unit.variables.push({ ...v, egg_id: egg.attributes.id });
        }
      }
      const build = (us: NestUnit[]) =>
        upsertNests(
          ctx.syncId,
          us.map((u) => u.nest),
          us.flatMap((u) => u.eggs),
          us.flatMap((u) => u.variables),
        );
      const eggs = units.flatMap((u) => u.eggs);
      return {
        statements: build(units),
        rows: unitsOf(
          "nests",
          units,
          (u) => u.nest.id,
          build,
          (us) => ({
            nests: us.map((u) => u.nest.id),
            eggs: us.flatMap((u) => u.eggs.map((e) => e.id)),
          }),
        ),
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
    case "sweep":
      return sweepPage(ctx, cursor);
  }
}

interface NestUnit {
  nest: PanelNest;
  eggs: PanelEgg[];
  variables: PanelEggVariable[];
}

/** The nodes to read allocations from: the ones this run listed (else every live node). */
async function nodesToWalk(ctx: StepContext): Promise<number[]> {
  const listed = ctx.steps.includes("nodes");
  const res = await ctx.db.execute<{ ids: number[] | null }>(
    listed && !ctx.dryRun
      ? sql`select array_agg(id order by id) as ids from nodes where "lastSeenSyncId" = ${ctx.syncId}`
      : listed
        ? sql`select array_agg(value::int order by value::int) as ids from sync_cursors c, jsonb_array_elements_text(c.cursor)
            where c."syncLogId" = ${ctx.syncId} and c.step = 'seen:nodes'`
        : sql`select array_agg(id order by id) as ids from nodes where "deletedAt" is null`,
  );
  return (res.rows[0]?.ids ?? []).map(Number);
}

async function allocationsPage(ctx: StepContext, cursor: Cursor): Promise<PageResult> {
  const nodeIds = cursor.nodeIds ?? (await nodesToWalk(ctx));
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
  const nextNode: Cursor | null =
    index + 1 < nodeIds.length ? { page: 1, nodeIds, nodeIndex: index + 1 } : null;
  let p: Awaited<ReturnType<typeof panelPage<PanelAllocation>>>;
  try {
    p = await panelPage<PanelAllocation>(ctx.panel, `/nodes/${nodeId}/allocations`, cursor.page);
  } catch (err) {
    // The node was deleted on the panel after it was listed: nothing to read, the sweep buries it.
    if (!(err instanceof AppError && err.context.status === 404)) throw err;
    return {
      statements: [],
      processed: 0,
      total: 0,
      next: nextNode,
      message: `Node ${nodeId} is gone from the panel`,
    };
  }
  const build = (items: PanelAllocation[]) =>
    items.length ? upsertAllocations(ctx.syncId, nodeId, items) : [];
  const next: Cursor | null =
    p.page < p.totalPages ? { page: p.page + 1, nodeIds, nodeIndex: index } : nextNode;
  return {
    statements: build(p.items),
    rows: unitsOf("allocations", p.items, (a) => a.id, build),
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
  const subusers = units.reduce((n, u) => n + u.subusers.length, 0);
  const databases = units.reduce((n, u) => n + u.databases.length, 0);
  return {
    statements: build(units),
    rows: unitsOf("servers", units, (u) => u.server.id, build),
    processed: p.items.length,
    total: p.total,
    next: nextPage(p.page, p.totalPages),
    message: `Synced servers page ${p.page}/${p.totalPages} (${subusers} subusers, ${databases} databases)`,
  };
}

interface ServerUnit {
  server: ServerRow;
  subusers: SubuserRow[];
  databases: DatabaseRow[];
}
