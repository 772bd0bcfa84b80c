// The sync steps: for a cursor position, fetch one panel page (or a nest's eggs) and build the
// page's bulk statements from its units (a panel row with what it carries), so a page the
// database refuses can be rebuilt for any subset of its units (quarantine, sync-quarantine.ts).
// Listings are read in id order where the panel allows a sort (servers: sync-servers-page.ts;
// the sweep: sync-sweep.ts; the page types: sync-page.ts). Pure of queue and run bookkeeping.
import { type SQL, sql } from "drizzle-orm";
import { AppError } from "../../platform/errors.ts";
import type {
  FractalList,
  PanelAllocation,
  PanelEgg,
  PanelEggVariable,
  PanelLocation,
  PanelNest,
  PanelNode,
  PanelUser,
} from "../../services/panel/panel.types.ts";
import { panelPage, panelRequest, related } from "../../services/panel/panel-client.ts";
import {
  type Cursor,
  nextPage,
  type PageResult,
  type StepContext,
  type StepName,
  unitsOf,
} from "./sync-page.ts";
import { serversPage } from "./sync-servers-page.ts";
import { sweepPage } from "./sync-sweep.ts";
import { upsertAllocations, upsertLocations, upsertNests, upsertNodes, upsertUsers } from "./sync-writes.ts";

export {
  type Cursor,
  MILESTONES,
  type PageResult,
  type PageUnits,
  STEPS,
  type StepContext,
  type StepName,
} from "./sync-page.ts";

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
