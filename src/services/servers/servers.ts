// Game servers as the website and the admin pages see them: who may see and act on a server
// (owner, subuser with the panel's permission strings, admin), the status filters both lists
// offer, and ONE projection (select + views) that the dashboard and admin lists read from.
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import type { Deps } from "../../platform/deps.ts";
import { isAdminUser, type Principal } from "../../platform/principal.ts";
import { connectionFrom, PANEL_SETTING_KEYS, type PanelConnection } from "../panel/connection.ts";
import { settingsFromRows, settingsQuery } from "../settings/settings.ts";
import type { LiveEntry } from "./live-state.ts";

/** Servers a user can see: live (not a sync tombstone), and owned or shared with them as a subuser. */
export function visibleTo(userId: string): SQL {
  return sql`(s."deletedAt" is null and (s."ownerId" = ${userId} or exists (select 1 from server_subusers su where su."serverId" = s.id and su."userId" = ${userId})))`;
}

export type ServerRole = "owner" | "subuser" | "admin";

export interface ServerAccess {
  serverId: string;
  role: ServerRole;
  /** The panel's uuid (null for a server the panel never had). */
  uuid: string | null;
  /** The panel's permission strings (`control.start`, `file.read-content`, …); "*" for owners and admins. */
  permissions: readonly string[];
}

/** Whether an access grants a panel permission ("*" grants all). */
export function may(access: ServerAccess, permission: string): boolean {
  return access.permissions.includes("*") || access.permissions.includes(permission);
}

interface AccessRow extends Record<string, unknown> {
  id: string;
  uuid: string | null;
  ownerId: string | null;
  permissions: string[] | null;
}

/** The one query behind an access decision (a batch item: see serverDoor). */
function accessQuery(db: Database, userId: string, server: string) {
  return db.execute<AccessRow>(sql`
    select s.id, s.uuid, s."ownerId", su.permissions
    from servers s
    left join server_subusers su on su."serverId" = s.id and su."userId" = ${userId}
    where (s.id = ${server} or s.uuid = ${server} or s."uuidShort" = ${server}) and s."deletedAt" is null
    limit 1`);
}

function accessOf(userId: string, isAdmin: boolean, row: AccessRow | undefined): ServerAccess | undefined {
  if (!row) return undefined;
  const base = { serverId: row.id, uuid: row.uuid };
  if (row.ownerId === userId) return { ...base, role: "owner", permissions: ["*"] };
  if (isAdmin) return { ...base, role: "admin", permissions: ["*"] };
  if (row.permissions) return { ...base, role: "subuser", permissions: row.permissions };
  return undefined;
}

/**
 * What this caller may do on a server (by our id, panel uuid or short identifier), or undefined
 * when the server does not exist or the caller has no relation to it. One SQL request.
 */
export async function serverAccess(
  db: Database,
  principal: Principal,
  server: string,
): Promise<ServerAccess | undefined> {
  if (principal.kind !== "user") return undefined;
  const res = await accessQuery(db, principal.user.id, server);
  return accessOf(principal.user.id, principal.isAdmin, res.rows[0]);
}

/**
 * Several users' access to one server (by our id) in ONE query: the users who may still act there
 * (active, and owner, admin or subuser of a live server). Those missing from the map may not.
 * For long-lived connections that re-check their viewers (the console relay).
 */
export async function accessesTo(
  db: Database,
  serverId: string,
  userIds: readonly string[],
): Promise<Map<string, ServerAccess>> {
  const out = new Map<string, ServerAccess>();
  if (userIds.length === 0) return out;
  const res = await db.execute<
    AccessRow & { userId: string; isActive: boolean; isSystemAdmin: boolean; roles: string[] | null }
  >(sql`
    select s.id, s.uuid, s."ownerId", su.permissions,
           u.id as "userId", u."isActive", u."isSystemAdmin", u.roles
    from users u
    join servers s on s.id = ${serverId} and s."deletedAt" is null
    left join server_subusers su on su."serverId" = s.id and su."userId" = u.id
    where u.id in (${sql.join(
      userIds.map((id) => sql`${id}`),
      sql`, `,
    )})`);
  for (const row of res.rows) {
    if (!row.isActive) continue;
    const isAdmin = isAdminUser({ isSystemAdmin: row.isSystemAdmin, roles: row.roles ?? [] });
    const access = accessOf(row.userId, isAdmin, row);
    if (access) out.set(row.userId, access);
  }
  return out;
}

/** How long an isolate reuses a door decision (see docs/servers.md "What it costs"). */
export const DOOR_CACHE_MS = 5_000;
const DOOR_CACHE_SIZE = 1_000;
interface Door {
  access: ServerAccess | undefined;
  conn: PanelConnection | undefined;
}
/** Per configuration (one per deployment; tests run several envs in one isolate). */
let doors = new WeakMap<object, Map<string, { at: number; door: Door; once?: boolean }>>();

function doorCache(deps: Pick<Deps, "config">) {
  let cache = doors.get(deps.config);
  if (!cache) {
    cache = new Map();
    doors.set(deps.config, cache);
  }
  return cache;
}

const doorKey = (userId: string, isAdmin: boolean, server: string) =>
  `${userId}|${isAdmin ? 1 : 0}|${server}`;

function fresh(entry: { at: number } | undefined, now: number): boolean {
  return entry !== undefined && now - entry.at >= 0 && now - entry.at < DOOR_CACHE_MS;
}

/** The door's two reads (access, panel settings): one batch, or sent along with the user row. */
function doorReads(db: Database, userId: string, server: string) {
  return [accessQuery(db, userId, server), settingsQuery(db, PANEL_SETTING_KEYS)] as const;
}

async function doorOf(
  deps: Pick<Deps, "config">,
  principal: Principal & { kind: "user" },
  [res, rows]: readonly [Awaited<ReturnType<typeof accessQuery>>, Awaited<ReturnType<typeof settingsQuery>>],
): Promise<Door> {
  return {
    access: accessOf(principal.user.id, principal.isAdmin, res.rows[0]),
    conn: connectionFrom(deps, await settingsFromRows(deps, rows)),
  };
}

function remember(
  deps: Pick<Deps, "config">,
  key: string,
  at: number,
  door: Door,
  opts: { once?: boolean } = {},
): void {
  const cache = doorCache(deps);
  const granted = Boolean(door.access && door.conn);
  if (!granted && !opts.once) return;
  if (cache.size >= DOOR_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(key, { at, door, once: !granted });
}

/**
 * The caller's access to a server and the panel connection, in ONE round trip (the access query
 * and the connection's settings in one batch, or sent along with the user row: see doorPrefetch),
 * reused by this isolate for DOOR_CACHE_MS per user, admin flag and server. A grant the sync
 * revokes (a subuser removed on the panel) is seen here within those seconds; it took the sync
 * minutes to learn of it. Refusals are not cached (one read with the user row serves its request).
 * `fresh`: read it now (a re-check that exists to catch a change, e.g. the console's upgrade).
 */
export async function serverDoor(
  deps: Pick<Deps, "db" | "config" | "now">,
  principal: Principal,
  server: string,
  opts: { fresh?: boolean } = {},
): Promise<Door> {
  if (principal.kind !== "user") return { access: undefined, conn: undefined };
  const key = doorKey(principal.user.id, principal.isAdmin, server);
  const now = deps.now().getTime();
  const cache = doorCache(deps);
  const hit = cache.get(key);
  if (hit?.once) cache.delete(key);
  if (hit && !opts.fresh && fresh(hit, now)) return hit.door;
  const door = await doorOf(
    deps,
    principal,
    await deps.db.batch(doorReads(deps.db, principal.user.id, server)),
  );
  remember(deps, key, now, door);
  return door;
}

/**
 * The door's reads for the user named by a verified token, to send in the same round trip as the
 * user row (access/authenticate's `alongside`): [] when this isolate already holds the answer.
 * `accept` files the answer where serverDoor finds it; a refusal is kept for this one request.
 */
export const doorPrefetch = {
  queries(deps: Pick<Deps, "db" | "config" | "now">, userId: string, server: string | undefined) {
    if (!server || server.length > 64) return [];
    const cache = doorCache(deps);
    const now = deps.now().getTime();
    if (fresh(cache.get(doorKey(userId, false, server)), now)) return [];
    if (fresh(cache.get(doorKey(userId, true, server)), now)) return [];
    return [...doorReads(deps.db, userId, server)];
  },
  async accept(
    deps: Pick<Deps, "config" | "now">,
    principal: Principal,
    server: string | undefined,
    results: unknown[],
  ): Promise<void> {
    if (principal.kind !== "user" || !server || results.length !== 2) return;
    const door = await doorOf(deps, principal, results as unknown as Parameters<typeof doorOf>[2]);
    remember(deps, doorKey(principal.user.id, principal.isAdmin, server), deps.now().getTime(), door, {
      once: true,
    });
  },
};

/** Forget this isolate's door decisions (tests, and a settings change made in this isolate). */
export function forgetDoors(): void {
  doors = new WeakMap();
}

/** Every status filter either list offers: one definition each. */
const STATUS_FILTER = {
  all: undefined,
  online: sql`(not s."isSuspended" and lower(s.status) in ('online', 'running'))`,
  running: sql`(not s."isSuspended" and lower(s.status) in ('online', 'running'))`,
  offline: sql`(not s."isSuspended" and lower(s.status) = 'offline')`,
  starting: sql`lower(s.status) = 'starting'`,
  stopping: sql`lower(s.status) = 'stopping'`,
  suspended: sql`(s."isSuspended" or lower(s.status) = 'suspended')`,
  installing: sql`lower(s.status) in ('installing', 'install_failed', 'restoring_backup')`,
} as const satisfies Record<string, SQL | undefined>;
export type ServerStatusFilter = keyof typeof STATUS_FILTER;

/** The admin list's filters (upstream's) and the member dashboard's. */
export const ADMIN_STATUS_FILTERS = [
  "all",
  "online",
  "running",
  "offline",
  "suspended",
  "installing",
] as const satisfies readonly ServerStatusFilter[];
export const DASHBOARD_STATUS_FILTERS = [
  "all",
  "running",
  "online",
  "offline",
  "starting",
  "stopping",
  "suspended",
  "installing",
] as const satisfies readonly ServerStatusFilter[];

export function statusFilter(name: ServerStatusFilter): SQL | undefined {
  return STATUS_FILTER[name];
}

/** The projection: servers `s` with owner, node, egg (and its nest), the server's nest and first allocation. */
export const serverSelect = sql`
  select s.id, s."serverType", s."pterodactylId", s.uuid, s.name, s.description,
         lower(coalesce(s.status, 'unknown')) as status, s."isSuspended", s."panelType",
         s.memory, s.disk, s.cpu, s."createdAt", s."updatedAt",
         s."ownerId", o.username as "ownerUsername", o.email as "ownerEmail",
         n.id as "nodeId", n.name as "nodeName", n.fqdn as "nodeFqdn",
         e.id as "eggId", e.name as "eggName", en.name as "eggNestName", sn.name as "nestName",
         a.ip, a.port
  from servers s
  left join users o on o.id = s."ownerId"
  left join nodes n on n.id = s."nodeId"
  left join eggs e on e.id = s."eggId"
  left join nests en on en.id = e."nestId"
  left join nests sn on sn.id = s."nestId"
  left join lateral (select ip, port from allocations where "serverId" = s.id and "deletedAt" is null order by id limit 1) a on true`;

export interface ServerRow extends Record<string, unknown> {
  id: string;
  serverType: string;
  pterodactylId: number | null;
  uuid: string | null;
  name: string;
  description: string | null;
  status: string;
  isSuspended: boolean;
  panelType: string;
  memory: number;
  disk: number;
  cpu: number;
  createdAt: string;
  updatedAt: string;
  ownerId: string | null;
  ownerUsername: string | null;
  ownerEmail: string | null;
  nodeId: number | null;
  nodeName: string | null;
  nodeFqdn: string | null;
  eggId: number | null;
  eggName: string | null;
  eggNestName: string | null;
  nestName: string | null;
  ip: string | null;
  port: number | null;
}

const iso = (v: unknown) => (v ? new Date(String(v)).toISOString() : null);

/** Statuses the panel answers 409 to /resources for: their live state is not asked. */
const NOT_LIVE = new Set([
  "suspended",
  "installing",
  "install_failed",
  "restoring_backup",
  "reinstall_failed",
]);

/** Whether the dashboard asks the panel for this server's live state (on the panel, not suspended or installing). */
export function hasLiveState(r: ServerRow): r is ServerRow & { uuid: string } {
  return Boolean(r.uuid) && !r.isSuspended && !NOT_LIVE.has(r.status);
}

const MIB = 1024 * 1024;

/**
 * The member dashboard's server (website-client §4.5): lowercase status, numbers never null.
 * With `live` (the panel's /resources, ≤ 20 s old) the status is Wings' power state and `used`
 * is filled in the limits' units (memory and disk MiB, CPU percent); without it they are the
 * mirror's status and 0. `liveAt` says which: the reading's time, or null.
 */
export function dashboardServerView(r: ServerRow, withOwner: boolean, live?: LiveEntry) {
  const state = live && live.view.state !== "unknown" ? live.view.state : undefined;
  const used = live
    ? {
        memory: Math.round(live.view.memoryBytes / MIB),
        cpu: Math.round(live.view.cpuAbsolute * 100) / 100,
        disk: Math.round(live.view.diskBytes / MIB),
      }
    : { memory: 0, cpu: 0, disk: 0 };
  return {
    id: r.id,
    uuid: r.uuid ?? "",
    name: r.name,
    description: r.description,
    status: r.isSuspended ? "suspended" : (state ?? r.status),
    isSuspended: r.isSuspended,
    game: r.eggName ?? r.nestName ?? "Unknown",
    node: r.nodeName ?? "Unknown",
    ip: r.ip,
    port: r.port === null ? null : Number(r.port),
    ...(withOwner && r.ownerId
      ? { owner: { id: r.ownerId, username: r.ownerUsername ?? "", email: r.ownerEmail ?? "" } }
      : {}),
    resources: {
      memory: { used: used.memory, limit: Number(r.memory ?? 0) },
      cpu: { used: used.cpu, limit: Number(r.cpu ?? 0) },
      disk: { used: used.disk, limit: Number(r.disk ?? 0) },
    },
    createdAt: new Date(r.createdAt).toISOString(),
    liveAt: live ? new Date(live.fetchedAt).toISOString() : null,
  };
}

/** The admin servers page's server (upstream's fields). */
export function adminServerView(r: ServerRow) {
  return {
    id: String(r.id),
    serverType: String(r.serverType),
    pterodactylId: r.pterodactylId === null ? null : Number(r.pterodactylId),
    uuid: r.uuid ?? null,
    name: String(r.name),
    description: r.description ?? null,
    status: r.status,
    isSuspended: Boolean(r.isSuspended),
    panelType: String(r.panelType),
    owner: r.ownerId
      ? {
          id: String(r.ownerId),
          email: String(r.ownerEmail),
          username: String(r.ownerUsername ?? String(r.ownerEmail).split("@")[0]),
        }
      : null,
    node: r.nodeId ? { id: Number(r.nodeId), name: String(r.nodeName), fqdn: String(r.nodeFqdn) } : null,
    egg: r.eggId ? { id: Number(r.eggId), name: String(r.eggName), nest: r.eggNestName ?? null } : null,
    memory: Number(r.memory ?? 0),
    disk: Number(r.disk ?? 0),
    cpu: Number(r.cpu ?? 0),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}
