// One bulk statement per table per panel page: rows go in as ONE jsonb parameter expanded with
// jsonb_to_recordset, upserted with ON CONFLICT, owners and links resolved in SQL. Every row is
// stamped with the run id ("lastSeenSyncId") for mark-and-sweep at the end of the run, and an
// upsert revives a tombstone. A row re-created on the panel under a new id first tombstones the
// live row holding its natural key (short code, uuid, node+ip+port). `rows()` is the one place
// panel data becomes SQL: NUL is removed from every string (jsonb cannot hold it), nothing else.
import { type SQL, sql } from "drizzle-orm";
import type {
  PanelAllocation,
  PanelEgg,
  PanelEggVariable,
  PanelLocation,
  PanelNest,
  PanelNode,
  PanelServer,
  PanelUser,
} from "../../services/panel/panel.types.ts";

/** Panel strings as the mirror stores them: NUL removed, every other character kept. */
export const cleanText = (v: string): string => (v.includes("\u0000") ? v.replaceAll("\u0000", "") : v);

/** The single point where panel rows become SQL: one jsonb parameter, strings cleaned. */
export const rows = (items: unknown[]) =>
  sql`${JSON.stringify(items, (_k, v) => (typeof v === "string" ? cleanText(v) : v))}::jsonb`;

/** Tombstones the live rows of `table` that hold a natural key the page gives to another id. */
function freeNaturalKey(table: string, record: SQL, items: unknown[], match: SQL): SQL {
  return sql`update ${sql.identifier(table)} t set "deletedAt" = now(), "updatedAt" = now()
    from jsonb_to_recordset(${rows(items)}) as ${record}
    where ${match} and t.id <> x.id and t."deletedAt" is null`;
}

export function upsertLocations(syncId: string, items: PanelLocation[]): SQL[] {
  return [
    freeNaturalKey("locations", sql`x(id int, short text)`, items, sql`t."shortCode" = x.short`),
    sql`insert into locations (id, "shortCode", description, "lastSeenSyncId", "updatedAt")
    select x.id, x.short, x.long, ${syncId}, now() from jsonb_to_recordset(${rows(items)}) as x(id int, short text, long text)
    on conflict (id) do update set "shortCode" = excluded."shortCode", description = excluded.description,
      "lastSeenSyncId" = excluded."lastSeenSyncId", "deletedAt" = null, "updatedAt" = now()`,
  ];
}

export function upsertNodes(syncId: string, items: PanelNode[]): SQL[] {
  return [
    freeNaturalKey("nodes", sql`x(id int, uuid text)`, items, sql`t.uuid = x.uuid`),
    sql`insert into nodes (id, uuid, name, description, "locationId", fqdn, scheme, "behindProxy", "isMaintenanceMode",
      "isPublic", memory, "memoryOverallocate", disk, "diskOverallocate", "daemonListenPort", "daemonSftpPort", "daemonBase",
      "panelType", "lastSeenSyncId", "updatedAt")
    select x.id, x.uuid, x.name, x.description, x.location_id, x.fqdn, coalesce(x.scheme, 'https'), coalesce(x.behind_proxy, false),
      coalesce(x.maintenance_mode, false), coalesce(x.public, true), coalesce(x.memory, 0), coalesce(x.memory_overallocate, 0),
      coalesce(x.disk, 0), coalesce(x.disk_overallocate, 0), coalesce(x.daemon_listen, 8080), coalesce(x.daemon_sftp, 2022),
      coalesce(x.daemon_base, '/var/lib/pterodactyl/volumes'), 'pterodactyl', ${syncId}, now()
    from jsonb_to_recordset(${rows(items)}) as x(id int, uuid text, name text, description text, location_id int, fqdn text,
      scheme text, behind_proxy bool, maintenance_mode bool, public bool, memory bigint, memory_overallocate int, disk bigint,
      disk_overallocate int, daemon_listen int, daemon_sftp int, daemon_base text)
    where exists (select 1 from locations l where l.id = x.location_id and l."deletedAt" is null)
    on conflict (id) do update set uuid = excluded.uuid, name = excluded.name, description = excluded.description,
      "locationId" = excluded."locationId", fqdn = excluded.fqdn, scheme = excluded.scheme, "behindProxy" = excluded."behindProxy",
      "isMaintenanceMode" = excluded."isMaintenanceMode", "isPublic" = excluded."isPublic", memory = excluded.memory,
      "memoryOverallocate" = excluded."memoryOverallocate", disk = excluded.disk, "diskOverallocate" = excluded."diskOverallocate",
      "daemonListenPort" = excluded."daemonListenPort", "daemonSftpPort" = excluded."daemonSftpPort",
      "daemonBase" = excluded."daemonBase", "lastSeenSyncId" = excluded."lastSeenSyncId", "deletedAt" = null,
      "updatedAt" = now()`,
  ];
}

const allocationRecord = sql`x(id int, ip text, alias text, port int, notes text, assigned bool)`;
/** Two statements: tombstone local rows that hold this node's (ip, port) under another id, then upsert. */
export function upsertAllocations(syncId: string, nodeId: number, items: PanelAllocation[]): SQL[] {
  return [
    freeNaturalKey(
      "allocations",
      allocationRecord,
      items,
      sql`t."nodeId" = ${nodeId} and t.ip = x.ip and t.port = x.port`,
    ),
    sql`insert into allocations (id, ip, alias, port, notes, "isAssigned", "nodeId", "lastSeenSyncId", "updatedAt")
      select x.id, x.ip, x.alias, x.port, x.notes, coalesce(x.assigned, false), ${nodeId}, ${syncId}, now()
      from jsonb_to_recordset(${rows(items)}) as ${allocationRecord}
      on conflict (id) do update set ip = excluded.ip, alias = excluded.alias, port = excluded.port, notes = excluded.notes,
        "isAssigned" = excluded."isAssigned", "nodeId" = excluded."nodeId", "lastSeenSyncId" = excluded."lastSeenSyncId",
        "deletedAt" = null, "updatedAt" = now()`,
  ];
}

export function upsertNests(
  syncId: string,
  nests: PanelNest[],
  eggs: PanelEgg[],
  variables: PanelEggVariable[],
): SQL[] {
  return [
    freeNaturalKey("nests", sql`x(id int, uuid text)`, nests, sql`t.uuid = x.uuid`),
    sql`insert into nests (id, uuid, name, description, author, "lastSeenSyncId", "updatedAt")
      select x.id, x.uuid, x.name, x.description, x.author, ${syncId}, now()
      from jsonb_to_recordset(${rows(nests)}) as x(id int, uuid text, name text, description text, author text)
      on conflict (id) do update set uuid = excluded.uuid, name = excluded.name, description = excluded.description,
        author = excluded.author, "lastSeenSyncId" = excluded."lastSeenSyncId", "deletedAt" = null, "updatedAt" = now()`,
    freeNaturalKey("eggs", sql`x(id int, uuid text)`, eggs, sql`t.uuid = x.uuid`),
    sql`insert into eggs (id, uuid, name, description, author, "nestId", "panelType", "lastSeenSyncId", "updatedAt")
      select x.id, x.uuid, x.name, x.description, x.author, x.nest, 'pterodactyl', ${syncId}, now()
      from jsonb_to_recordset(${rows(eggs)}) as x(id int, uuid text, name text, description text, author text, nest int)
      where exists (select 1 from nests n where n.id = x.nest)
      on conflict (id) do update set uuid = excluded.uuid, name = excluded.name, description = excluded.description,
        author = excluded.author, "nestId" = excluded."nestId", "lastSeenSyncId" = excluded."lastSeenSyncId",
        "deletedAt" = null, "updatedAt" = now()`,
    sql`insert into egg_variables (id, egg_id, name, description, env_variable, default_value, user_viewable, user_editable,
        rules, "lastSeenSyncId", updated_at)
      select x.id, x.egg_id, x.name, x.description, x.env_variable, x.default_value, coalesce(x.user_viewable, false),
        coalesce(x.user_editable, false), x.rules, ${syncId}, now()
      from jsonb_to_recordset(${rows(variables)}) as x(id int, egg_id int, name text, description text, env_variable text,
        default_value text, user_viewable bool, user_editable bool, rules text)
      where exists (select 1 from eggs e where e.id = x.egg_id)
      on conflict (id) do update set egg_id = excluded.egg_id, name = excluded.name, description = excluded.description,
        env_variable = excluded.env_variable, default_value = excluded.default_value, user_viewable = excluded.user_viewable,
        user_editable = excluded.user_editable, rules = excluded.rules, "lastSeenSyncId" = excluded."lastSeenSyncId",
        "deletedAt" = null, updated_at = now()`,
  ];
}

/**
 * Users matched by panel id first, then by exact case-insensitive e-mail, but only to a local
 * account whose e-mail is verified (never the panel's substring filter); new ones inserted. The
 * panel e-mail lands in "panelEmail" and never changes the login e-mail (`email`): a new panel
 * user whose address a local account already holds gets a placeholder login address. Users are
 * never deleted.
 */
export function upsertUsers(syncId: string, items: PanelUser[]): SQL {
  return sql`with x as (
      select x.id, lower(x.email) as email, x.username, x.first_name, x.last_name, coalesce(x.root_admin, false) as root_admin
      from jsonb_to_recordset(${rows(items)}) as x(id int, username text, email text, first_name text, last_name text, root_admin bool)
    ),
    by_id as (
      update users u set "panelEmail" = x.email,
        username = coalesce(u.username, x.username), "firstName" = coalesce(u."firstName", x.first_name),
        "lastName" = coalesce(u."lastName", x.last_name), "isPterodactylAdmin" = x.root_admin,
        "lastSyncedAt" = now(), "lastSeenSyncId" = ${syncId}, "updatedAt" = now()
      from x where u."pterodactylId" = x.id
      returning x.id
    ),
    by_email as (
      update users u set "pterodactylId" = x.id, "panelEmail" = x.email, username = coalesce(u.username, x.username),
        "firstName" = coalesce(u."firstName", x.first_name), "lastName" = coalesce(u."lastName", x.last_name),
        "isPterodactylAdmin" = x.root_admin, "lastSyncedAt" = now(), "lastSeenSyncId" = ${syncId}, "updatedAt" = now()
      from x where lower(u.email) = x.email and u."pterodactylId" is null and u."emailVerified" is not null
        and x.id not in (select id from by_id)
      returning x.id
    )
    insert into users (id, email, "panelEmail", username, "firstName", "lastName", "pterodactylId", "isPterodactylAdmin",
      "isMigrated", "isActive", "lastSyncedAt", "lastSeenSyncId")
    select gen_random_uuid()::text,
      case when x.email is null or x.email = '' or exists (select 1 from users o where lower(o.email) = x.email)
        then 'panel-user-' || x.id || '@panel.invalid' else x.email end,
      x.email, x.username, x.first_name, x.last_name, x.id, x.root_admin, false, true, now(), ${syncId}
    from x where x.id not in (select id from by_id) and x.id not in (select id from by_email)
    on conflict do nothing`;
}

export interface ServerRow {
  id: number;
  external_id: string | null;
  uuid: string;
  identifier: string;
  name: string;
  description: string | null;
  status: string;
  suspended: boolean;
  memory: number;
  disk: number;
  cpu: number;
  user: number;
  node: number;
  egg: number;
  nest: number;
  allocation_ids: number[];
}
export interface SubuserRow {
  server_id: number;
  user_id: number;
  permissions: string[];
}
export interface DatabaseRow {
  id: number;
  server_id: number;
  host: string;
  port: number;
  database: string;
  username: string;
  max_connections: number;
}

/** Upstream's status rule, lowercase: the panel's status, "online" when it has none, "suspended" wins. */
export function serverStatus(s: Pick<PanelServer, "status" | "suspended">): string {
  if (s.suspended) return "suspended";
  return (s.status ?? "").trim().toLowerCase() || "online";
}

/** Servers, their allocation links, subusers (with an owner row) and databases: seven statements. */
export function upsertServers(
  syncId: string,
  servers: ServerRow[],
  subusers: SubuserRow[],
  databases: DatabaseRow[],
): SQL[] {
  const serverRecord = sql`x(id int, external_id text, uuid text, identifier text, name text, description text, status text,
    suspended bool, memory int, disk int, cpu int, "user" int, node int, egg int, nest int, allocation_ids int[])`;
  return [
    sql`insert into servers (id, "pterodactylId", "externalId", uuid, "uuidShort", name, description, status, "isSuspended",
        memory, disk, cpu, "ownerId", "nodeId", "eggId", "nestId", "panelType", "serverType", "lastSyncedAt", "lastSeenSyncId", "updatedAt")
      select gen_random_uuid()::text, x.id, x.external_id, x.uuid, x.identifier, x.name, x.description, x.status, x.suspended,
        x.memory, x.disk, x.cpu, (select u.id from users u where u."pterodactylId" = x."user"),
        (select n.id from nodes n where n.id = x.node and n."deletedAt" is null),
        (select e.id from eggs e where e.id = x.egg and e."deletedAt" is null),
        (select n.id from nests n where n.id = x.nest and n."deletedAt" is null), 'pterodactyl', 'game_server', now(), ${syncId}, now()
      from jsonb_to_recordset(${rows(servers)}) as ${serverRecord}
      on conflict ("pterodactylId") do update set "externalId" = excluded."externalId", uuid = excluded.uuid,
        "uuidShort" = excluded."uuidShort", name = excluded.name, description = excluded.description, status = excluded.status,
        "isSuspended" = excluded."isSuspended", memory = excluded.memory, disk = excluded.disk, cpu = excluded.cpu,
        "ownerId" = excluded."ownerId", "nodeId" = excluded."nodeId", "eggId" = excluded."eggId",
        "nestId" = excluded."nestId", "lastSyncedAt" = now(), "lastSeenSyncId" = excluded."lastSeenSyncId",
        "deletedAt" = null, "updatedAt" = now()`,
    // Allocation links in two steps (one server per allocation in each): clear the links these
    // servers no longer hold, then set the page's links.
    sql`update allocations a set "serverId" = null, "isAssigned" = false, "updatedAt" = now()
      from servers s
      where a."serverId" = s.id and s."pterodactylId" in (select value::int from jsonb_array_elements_text(${JSON.stringify(servers.map((x) => x.id))}::jsonb))
        and a.id not in (select value::int from jsonb_array_elements_text(${JSON.stringify(servers.flatMap((x) => x.allocation_ids))}::jsonb))`,
    sql`update allocations a set "serverId" = s.id, "isAssigned" = true, "updatedAt" = now()
      from jsonb_to_recordset(${rows(servers)}) as ${serverRecord}
      join servers s on s."pterodactylId" = x.id
      where a.id = any(x.allocation_ids)`,
    sql`insert into server_subusers (id, "serverId", "userId", permissions, "isOwner", "accessLevel", "lastSyncedAt", "lastSeenSyncId")
      select gen_random_uuid()::text, s.id, u.id, x.permissions, false, 'user', now(), ${syncId}
      from jsonb_to_recordset(${rows(subusers)}) as x(server_id int, user_id int, permissions text[])
      join servers s on s."pterodactylId" = x.server_id
      join users u on u."pterodactylId" = x.user_id
      where u.id is distinct from s."ownerId"
      on conflict ("serverId", "userId") do update set permissions = excluded.permissions, "isOwner" = false,
        "lastSyncedAt" = now(), "lastSeenSyncId" = excluded."lastSeenSyncId"`,
    // Ownership follows the panel: an owner row of a previous (or unknown) owner goes at once.
    sql`delete from server_subusers su using jsonb_to_recordset(${rows(servers)}) as ${serverRecord}
      join servers s on s."pterodactylId" = x.id
      where su."serverId" = s.id and su."isOwner" and su."userId" is distinct from s."ownerId"`,
    sql`insert into server_subusers (id, "serverId", "userId", permissions, "isOwner", "accessLevel", "lastSyncedAt", "lastSeenSyncId")
      select gen_random_uuid()::text, s.id, s."ownerId", array['*'], true, 'owner', now(), ${syncId}
      from jsonb_to_recordset(${rows(servers)}) as ${serverRecord}
      join servers s on s."pterodactylId" = x.id
      where s."ownerId" is not null
      on conflict ("serverId", "userId") do update set permissions = excluded.permissions, "isOwner" = true,
        "accessLevel" = 'owner', "lastSyncedAt" = now(), "lastSeenSyncId" = excluded."lastSeenSyncId"`,
    sql`insert into server_databases (id, "pterodactylId", "serverId", host, port, "databaseName", username, "maxConnections",
        "lastSeenSyncId", "updatedAt")
      select gen_random_uuid()::text, x.id, s.id, x.host, x.port, x.database, x.username, coalesce(x.max_connections, 0), ${syncId}, now()
      from jsonb_to_recordset(${rows(databases)}) as x(id int, server_id int, host text, port int, database text, username text,
        max_connections int)
      join servers s on s."pterodactylId" = x.server_id
      on conflict ("pterodactylId") do update set "serverId" = excluded."serverId", host = excluded.host, port = excluded.port,
        "databaseName" = excluded."databaseName", username = excluded.username, "maxConnections" = excluded."maxConnections",
        "lastSeenSyncId" = excluded."lastSeenSyncId", "deletedAt" = null, "updatedAt" = now()`,
  ];
}
