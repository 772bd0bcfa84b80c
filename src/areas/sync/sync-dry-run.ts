// Dry runs: the run walks the panel like any other, but a page writes only what the run records
// about itself: the panel ids it listed per resource (and the ids the database would refuse) as
// `seen:<resource>` / `quarantine:<resource>` rows of sync_cursors, set unions so a duplicate
// message changes nothing. At completion they become `metadata.dry_run`: per resource what the
// run would create, update, tombstone (the sweep's confirmed candidates) and quarantine.
import { type SQL, sql } from "drizzle-orm";

/** Adds the page's ids to the run's recorded sets (idempotent). */
export function recordIds(syncId: string, kind: "seen" | "quarantine", ids: Record<string, number[]>): SQL {
  return sql`insert into sync_cursors ("syncLogId", step, cursor)
    select ${syncId}, ${kind} || ':' || e.key, e.value from jsonb_each(${JSON.stringify(ids)}::jsonb) as e
    on conflict ("syncLogId", step) do update set "updatedAt" = now(),
      cursor = (select coalesce(jsonb_agg(distinct v), '[]'::jsonb) from jsonb_array_elements(sync_cursors.cursor || excluded.cursor) v)`;
}

/** Resource → table and panel-id column, for create/update counts. */
const TABLES: Record<string, { table: string; key: string; live: boolean }> = {
  locations: { table: "locations", key: "id", live: true },
  nodes: { table: "nodes", key: "id", live: true },
  allocations: { table: "allocations", key: "id", live: true },
  nests: { table: "nests", key: "id", live: true },
  eggs: { table: "eggs", key: "id", live: true },
  users: { table: "users", key: "pterodactylId", live: false },
  servers: { table: "servers", key: "pterodactylId", live: true },
};
const FIRST = 10;

function resourceSummary(
  syncId: string,
  resource: string,
  t: { table: string; key: string; live: boolean },
): SQL {
  const ids = (kind: string) =>
    sql`(select value::int as id from sync_cursors c, jsonb_array_elements_text(c.cursor) where c."syncLogId" = ${syncId} and c.step = ${`${kind}:${resource}`})`;
  const live = t.live ? sql`and t."deletedAt" is null` : sql``;
  return sql`(select jsonb_build_object(
      'create', count(*) filter (where t.${sql.identifier(t.key)} is null),
      'update', count(*) filter (where t.${sql.identifier(t.key)} is not null),
      'createIds', coalesce((array_agg(s.id order by s.id) filter (where t.${sql.identifier(t.key)} is null))[1:${FIRST}], '{}'),
      'updateIds', coalesce((array_agg(s.id order by s.id) filter (where t.${sql.identifier(t.key)} is not null))[1:${FIRST}], '{}'),
      'tombstone', coalesce((metadata->${`sweep_${resource}`}->>'tombstoned')::int, 0),
      'tombstoneIds', coalesce(metadata->${`sweep_${resource}`}->'firstIds', '[]'::jsonb),
      'quarantine', (select count(*) from ${ids("quarantine")} q),
      'quarantineIds', coalesce((select jsonb_agg(q.id order by q.id) from (select id from ${ids("quarantine")} q order by id limit ${FIRST}) q), '[]'::jsonb))
    from ${ids("seen")} s left join ${sql.identifier(t.table)} t on t.${sql.identifier(t.key)} = s.id ${live})`;
}

/** The `dry_run` object the completion merges into metadata (evaluated against the log row). */
export function dryRunSummary(syncId: string, resources: string[]): SQL {
  const parts = resources
    .filter((r) => TABLES[r])
    .map((r) => sql`${r}::text, ${resourceSummary(syncId, r, TABLES[r] as (typeof TABLES)[string])}`);
  return parts.length ? sql`jsonb_build_object(${sql.join(parts, sql`, `)})` : sql`'{}'::jsonb`;
}
