// The sweep: the run's last step, after every listing. A mirrored row this run did not see is only
// a candidate: it is confirmed gone by a GET by id answering 404 (within the shared panel budget)
// before it becomes a tombstone ("deletedAt"); a candidate the panel still has is kept (a delete
// during the walk shifted it past us). A circuit breaker refuses a resource's sweep when its
// candidates exceed max(25, 5 %) of its live rows (an empty or truncated listing) and reports it.
// Nothing is hard-deleted here and nothing the website owns is touched; purge.ts removes old
// tombstones. Children listed inside their parent (egg variables, server databases, subusers)
// follow at completion: they are complete lists for every parent this run saw.
import { type SQL, sql } from "drizzle-orm";
import { AppError } from "../../platform/errors.ts";
import type { FractalList } from "../../services/panel/panel.types.ts";
import { type PanelDeps, panelRequest } from "../../services/panel/panel-client.ts";
import type { Cursor, PageResult, StepContext, StepName } from "./sync-page.ts";

export const SWEEP_MIN_ROWS = 25;
export const SWEEP_MAX_FRACTION = 0.05;
/** Candidates confirmed per page, and how many panel requests run at once. */
const BATCH = 20;
const CONCURRENCY = 5;

interface Candidate {
  id: number;
  parent: number | null;
  ip: string | null;
  port: number | null;
}

interface Target {
  table: string;
  /** The panel id column. */
  key: SQL;
  /** Rows the panel does not own are never candidates. */
  scope: SQL;
  /** Parent id, ip and port where confirming needs them. */
  extra: SQL;
  /** Path of the GET that answers 404 when the row is gone (null: present, else look in the list). */
  confirm: (c: Candidate) => { path: string; query?: Record<string, string> };
  /** Statements that tombstone confirmed ids (and what goes with them). */
  tombstone: (ids: number[]) => SQL[];
}

const idList = (ids: number[]) =>
  sql`(select value::int from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;
const bury = (table: string, where: SQL) =>
  sql`update ${sql.identifier(table)} set "deletedAt" = now() where "deletedAt" is null and ${where}`;

const TARGETS: Record<string, Target> = {
  servers: {
    table: "servers",
    key: sql`"pterodactylId"`,
    scope: sql`"panelType" = 'pterodactyl' and "pterodactylId" is not null`,
    extra: sql`null::int as parent, null::text as ip, null::int as port`,
    confirm: (c) => ({ path: `/servers/${c.id}` }),
    tombstone: (ids) => [
      bury("servers", sql`"pterodactylId" in ${idList(ids)}`),
      // The panel frees a deleted server's allocations.
      sql`update allocations set "serverId" = null, "isAssigned" = false, "updatedAt" = now()
        where "serverId" in (select id from servers where "pterodactylId" in ${idList(ids)})`,
    ],
  },
  nodes: {
    table: "nodes",
    key: sql`id`,
    scope: sql`true`,
    extra: sql`null::int as parent, null::text as ip, null::int as port`,
    confirm: (c) => ({ path: `/nodes/${c.id}` }),
    tombstone: (ids) => [
      bury("nodes", sql`id in ${idList(ids)}`),
      bury("allocations", sql`"nodeId" in ${idList(ids)}`),
    ],
  },
  allocations: {
    table: "allocations",
    key: sql`id`,
    scope: sql`true`,
    extra: sql`"nodeId" as parent, ip, port`,
    // No GET by id for an allocation: the node's listing filtered to its ip and port.
    confirm: (c) => ({
      path: `/nodes/${c.parent}/allocations`,
      query: { "filter[ip]": c.ip ?? "", "filter[port]": String(c.port ?? "") },
    }),
    tombstone: (ids) => [bury("allocations", sql`id in ${idList(ids)}`)],
  },
  eggs: {
    table: "eggs",
    key: sql`id`,
    scope: sql`true`,
    extra: sql`"nestId" as parent, null::text as ip, null::int as port`,
    confirm: (c) => ({ path: `/nests/${c.parent}/eggs/${c.id}` }),
    tombstone: (ids) => [
      bury("eggs", sql`id in ${idList(ids)}`),
      bury("egg_variables", sql`egg_id in ${idList(ids)}`),
    ],
  },
  nests: {
    table: "nests",
    key: sql`id`,
    scope: sql`true`,
    extra: sql`null::int as parent, null::text as ip, null::int as port`,
    confirm: (c) => ({ path: `/nests/${c.id}` }),
    tombstone: (ids) => [bury("nests", sql`id in ${idList(ids)}`)],
  },
  locations: {
    table: "locations",
    key: sql`id`,
    scope: sql`true`,
    extra: sql`null::int as parent, null::text as ip, null::int as port`,
    confirm: (c) => ({ path: `/locations/${c.id}` }),
    tombstone: (ids) => [bury("locations", sql`id in ${idList(ids)}`)],
  },
};

/** Children before parents; which listing step makes a resource sweepable. */
const ORDER: [keyof typeof TARGETS, StepName][] = [
  ["servers", "servers"],
  ["nodes", "nodes"],
  ["allocations", "allocations"],
  ["eggs", "nests"],
  ["nests", "nests"],
  ["locations", "locations"],
];

export function sweepResources(steps: readonly StepName[]): string[] {
  return ORDER.filter(([, step]) => steps.includes(step)).map(([r]) => r);
}

/** Not seen by this run: not stamped, or (dry run) not in the run's recorded ids. */
export function unseen(syncId: string, resource: string, key: SQL, dryRun: boolean): SQL {
  return dryRun
    ? sql`${key} not in (select value::int from sync_cursors c, jsonb_array_elements_text(c.cursor) where c."syncLogId" = ${syncId} and c.step = ${`seen:${resource}`})`
    : sql`"lastSeenSyncId" is distinct from ${syncId}`;
}

export function breakerLimit(liveRows: number): number {
  return Math.max(SWEEP_MIN_ROWS, Math.floor(liveRows * SWEEP_MAX_FRACTION));
}

async function isGone(panel: PanelDeps, target: Target, c: Candidate): Promise<boolean> {
  const { path, query } = target.confirm(c);
  try {
    const { body } = await panelRequest<FractalList<{ id: number }> | null>(panel, "application", path, {
      query,
    });
    if (target.table !== "allocations") return false;
    return !(body?.data ?? []).some((d) => d.attributes.id === c.id);
  } catch (err) {
    if (err instanceof AppError && err.context.status === 404) return true;
    throw err;
  }
}

async function confirmAll(panel: PanelDeps, target: Target, candidates: Candidate[]): Promise<boolean[]> {
  const out: boolean[] = new Array(candidates.length);
  let next = 0;
  const worker = async () => {
    while (next < candidates.length) {
      const i = next++;
      const c = candidates[i];
      if (c) out[i] = await isGone(panel, target, c);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, candidates.length) }, worker));
  return out;
}

export interface SweepStats {
  candidates: number;
  tombstoned: number;
  kept: number;
  requests: number;
  firstIds: number[];
}

/** One sweep page: the next batch of the current resource's candidates, confirmed and tombstoned. */
export async function sweepPage(ctx: StepContext, cursor: Cursor): Promise<PageResult> {
  const resources = sweepResources(ctx.steps);
  const index = cursor.resourceIndex ?? 0;
  const resource = resources[index];
  const target = resource ? TARGETS[resource] : undefined;
  if (!resource || !target)
    return { statements: [], processed: 0, total: 0, next: null, message: "Nothing to sweep" };
  const afterId = cursor.afterId ?? 0;
  const notSeen = unseen(ctx.syncId, resource, target.key, ctx.dryRun);
  const res = await ctx.db.execute<{ total: number; candidates: number; rows: Candidate[] }>(sql`
    select (select count(*) from ${sql.identifier(target.table)} where ${target.scope} and "deletedAt" is null)::int as total,
      (select count(*) from ${sql.identifier(target.table)} where ${target.scope} and "deletedAt" is null and ${notSeen})::int as candidates,
      coalesce((select jsonb_agg(c order by c.id) from (
        select ${target.key} as id, ${target.extra} from ${sql.identifier(target.table)}
        where ${target.scope} and "deletedAt" is null and ${notSeen} and ${target.key} > ${afterId}
        order by ${target.key} limit ${BATCH}) c), '[]'::jsonb) as rows`);
  const row = res.rows[0] ?? { total: 0, candidates: 0, rows: [] };
  const stats: SweepStats = cursor.sweep ?? {
    candidates: Number(row.candidates),
    tombstoned: 0,
    kept: 0,
    requests: 0,
    firstIds: [],
  };
  const refused = [...(cursor.refused ?? [])];
  const nextResource = (): Cursor | null =>
    index + 1 < resources.length ? { page: 1, resourceIndex: index + 1, refused } : null;
  const done = (statements: SQL[], processed: number, message: string, next: Cursor | null): PageResult => ({
    statements,
    processed,
    total: stats.candidates,
    next,
    message,
    patch: {
      ...(next?.resourceIndex === index ? {} : { [`sweep_${resource}`]: stats }),
      ...(refused.length ? { sweep_refused: refused } : {}),
    },
  });
  if (afterId === 0 && stats.candidates > breakerLimit(Number(row.total))) {
    refused.push(resource);
    ctx.log("warn", "sync sweep refused: too many candidates", {
      syncLogId: ctx.syncId,
      resource,
      candidates: stats.candidates,
      live: Number(row.total),
      limit: breakerLimit(Number(row.total)),
    });
    return done(
      [],
      0,
      `Sweep of ${resource} refused: ${stats.candidates} of ${row.total} rows not listed`,
      nextResource(),
    );
  }
  const candidates = row.rows;
  if (candidates.length === 0) return done([], 0, `Swept ${resource}`, nextResource());
  const gone = await confirmAll(ctx.panel, target, candidates);
  const goneIds = candidates.filter((_, i) => gone[i]).map((c) => c.id);
  stats.requests += candidates.length;
  stats.tombstoned += goneIds.length;
  stats.kept += candidates.length - goneIds.length;
  stats.firstIds = [...stats.firstIds, ...goneIds].slice(0, 20);
  const last = candidates[candidates.length - 1]?.id ?? afterId;
  const more = candidates.length === BATCH;
  return done(
    goneIds.length && !ctx.dryRun ? target.tombstone(goneIds) : [],
    candidates.length,
    `Sweep of ${resource}: ${goneIds.length} gone, ${candidates.length - goneIds.length} still on the panel`,
    more
      ? { page: cursor.page + 1, resourceIndex: index, afterId: last, sweep: stats, refused }
      : nextResource(),
  );
}

/**
 * At completion: children listed inside their parent, for the parents this run saw (complete
 * lists) or buried. Subusers are access grants: a grant the panel dropped is removed at once.
 */
export function childSweeps(syncId: string, steps: readonly StepName[]): SQL[] {
  const out: SQL[] = [];
  if (steps.includes("nests"))
    out.push(sql`update egg_variables v set "deletedAt" = now() from eggs e
      where e.id = v.egg_id and v."deletedAt" is null and v."lastSeenSyncId" is distinct from ${syncId}
        and (e."lastSeenSyncId" = ${syncId} or e."deletedAt" is not null)`);
  if (steps.includes("servers")) {
    out.push(sql`update server_databases d set "deletedAt" = now() from servers s
      where s.id = d."serverId" and d."pterodactylId" is not null and d."deletedAt" is null
        and d."lastSeenSyncId" is distinct from ${syncId} and (s."lastSeenSyncId" = ${syncId} or s."deletedAt" is not null)`);
    out.push(sql`delete from server_subusers su using servers s
      where s.id = su."serverId" and s."lastSeenSyncId" = ${syncId} and su."lastSeenSyncId" is distinct from ${syncId}`);
  }
  return out;
}
