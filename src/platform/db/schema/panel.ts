// The panel mirror: locations, nodes, allocations, nests, eggs, egg variables, servers and their
// databases, properties and subusers. Ids are Pterodactyl's where upstream used them; every
// mirrored table has `lastSeenSyncId` for mark-and-sweep, and rows the panel no longer has become
// tombstones (`deletedAt`, hidden everywhere) instead of being deleted; natural keys (short code,
// uuid, node+ip+port) are unique among live rows only, so a re-created row never collides.
import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { createdAt, deletedAt, lastSeenSyncId, tstz, updatedAt } from "./columns.ts";

/** Our own text ids (servers, databases, properties, subusers) default in SQL so bulk upserts may omit them. */
const generatedId = () => text("id").primaryKey().default(sql`gen_random_uuid()::text`);

export const locations = pgTable(
  "locations",
  {
    id: integer("id").primaryKey(),
    shortCode: text("shortCode").notNull(),
    description: text("description"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastSeenSyncId: lastSeenSyncId(),
    deletedAt: deletedAt(),
  },
  (t) => [uniqueIndex("locations_shortCode_key").on(t.shortCode).where(sql`"deletedAt" is null`)],
);

export const nodes = pgTable(
  "nodes",
  {
    id: integer("id").primaryKey(),
    uuid: text("uuid").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    fqdn: text("fqdn").notNull(),
    scheme: text("scheme").notNull().default("https"),
    behindProxy: boolean("behindProxy").notNull().default(false),
    panelType: text("panelType").notNull().default("pterodactyl"),
    memory: bigint("memory", { mode: "number" }).notNull().default(0),
    memoryOverallocate: integer("memoryOverallocate").notNull().default(0),
    disk: bigint("disk", { mode: "number" }).notNull().default(0),
    diskOverallocate: integer("diskOverallocate").notNull().default(0),
    isPublic: boolean("isPublic").notNull().default(true),
    isMaintenanceMode: boolean("isMaintenanceMode").notNull().default(false),
    daemonListenPort: integer("daemonListenPort").notNull().default(8080),
    daemonSftpPort: integer("daemonSftpPort").notNull().default(2022),
    daemonBase: text("daemonBase").notNull().default("/var/lib/pterodactyl/volumes"),
    locationId: integer("locationId")
      .notNull()
      .references(() => locations.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastSeenSyncId: lastSeenSyncId(),
    deletedAt: deletedAt(),
  },
  (t) => [
    uniqueIndex("nodes_uuid_key").on(t.uuid).where(sql`"deletedAt" is null`),
    index("nodes_panelType_idx").on(t.panelType),
    index("nodes_locationId_idx").on(t.locationId),
  ],
);

export const nests = pgTable(
  "nests",
  {
    id: integer("id").primaryKey(),
    uuid: text("uuid").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    author: text("author"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastSeenSyncId: lastSeenSyncId(),
    deletedAt: deletedAt(),
  },
  (t) => [uniqueIndex("nests_uuid_key").on(t.uuid).where(sql`"deletedAt" is null`)],
);

export const eggs = pgTable(
  "eggs",
  {
    id: integer("id").primaryKey(),
    uuid: text("uuid").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    author: text("author"),
    panelType: text("panelType").notNull().default("pterodactyl"),
    nestId: integer("nestId")
      .notNull()
      .references(() => nests.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastSeenSyncId: lastSeenSyncId(),
    deletedAt: deletedAt(),
  },
  (t) => [
    uniqueIndex("eggs_uuid_key").on(t.uuid).where(sql`"deletedAt" is null`),
    index("eggs_nestId_idx").on(t.nestId),
    index("eggs_panelType_idx").on(t.panelType),
  ],
);

/** snake_case columns, as upstream's schema has them (its sync wrote camelCase and always failed). */
export const eggVariables = pgTable(
  "egg_variables",
  {
    id: integer("id").primaryKey(),
    eggId: integer("egg_id")
      .notNull()
      .references(() => eggs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    envVariable: text("env_variable").notNull(),
    defaultValue: text("default_value"),
    userViewable: boolean("user_viewable").notNull().default(true),
    userEditable: boolean("user_editable").notNull().default(true),
    rules: text("rules"),
    createdAt: tstz("created_at").notNull().defaultNow(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
    lastSeenSyncId: lastSeenSyncId(),
    deletedAt: deletedAt(),
  },
  (t) => [index("egg_variables_egg_id_idx").on(t.eggId)],
);

export const servers = pgTable(
  "servers",
  {
    id: generatedId(),
    serverType: text("serverType").notNull().default("game_server"),
    pterodactylId: integer("pterodactylId"),
    virtfusionId: integer("virtfusionId"),
    /** A constraint (not just an index): Hytale server logs reference it. */
    uuid: text("uuid").unique("servers_uuid_key"),
    uuidShort: text("uuidShort"),
    externalId: text("externalId"),
    panelType: text("panelType").notNull().default("pterodactyl"),
    eggId: integer("eggId").references(() => eggs.id, { onDelete: "set null" }),
    nestId: integer("nestId").references(() => nests.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    description: text("description"),
    /** lowercase: online, offline, installing, install_failed, restoring_backup, suspended, … */
    status: text("status").notNull().default("installing"),
    isSuspended: boolean("isSuspended").notNull().default(false),
    memory: integer("memory").notNull().default(0),
    disk: integer("disk").notNull().default(0),
    cpu: integer("cpu").notNull().default(0),
    /** The website's products table is not ours to migrate, so no FK here. */
    productId: text("productId"),
    /** SET NULL, not upstream's CASCADE: deleting a user must never erase servers (nullable: owner may sync later). */
    ownerId: text("ownerId").references(() => users.id, { onDelete: "set null" }),
    nodeId: integer("nodeId").references(() => nodes.id, { onDelete: "set null" }),
    config: jsonb("config").notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    installedAt: tstz("installedAt"),
    lastSyncedAt: tstz("lastSyncedAt"),
    lastSeenSyncId: lastSeenSyncId(),
    deletedAt: deletedAt(),
  },
  (t) => [
    uniqueIndex("servers_pterodactylId_key").on(t.pterodactylId),
    uniqueIndex("servers_virtfusionId_key").on(t.virtfusionId),
    index("servers_serverType_idx").on(t.serverType),
    index("servers_panelType_idx").on(t.panelType),
    index("servers_ownerId_idx").on(t.ownerId),
    index("servers_nodeId_idx").on(t.nodeId),
    index("servers_productId_idx").on(t.productId),
    index("servers_status_idx").on(t.status),
    index("servers_ownerId_serverType_idx").on(t.ownerId, t.serverType),
  ],
);

/** Pterodactyl's uniqueness is per node, so (nodeId, ip, port) — not upstream's global (ip, port). */
export const allocations = pgTable(
  "allocations",
  {
    id: integer("id").primaryKey(),
    ip: text("ip").notNull(),
    port: integer("port").notNull(),
    alias: text("alias"),
    notes: text("notes"),
    isAssigned: boolean("isAssigned").notNull().default(false),
    nodeId: integer("nodeId")
      .notNull()
      .references(() => nodes.id, { onDelete: "cascade" }),
    serverId: text("serverId").references(() => servers.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastSeenSyncId: lastSeenSyncId(),
    deletedAt: deletedAt(),
  },
  (t) => [
    uniqueIndex("allocations_nodeId_ip_port_key").on(t.nodeId, t.ip, t.port).where(sql`"deletedAt" is null`),
    index("allocations_serverId_idx").on(t.serverId),
  ],
);

export const serverDatabases = pgTable(
  "server_databases",
  {
    id: generatedId(),
    /** Added: upstream's sync upserted on this column, which its schema never had. */
    pterodactylId: integer("pterodactylId"),
    serverId: text("serverId")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    host: text("host").notNull(),
    port: integer("port").notNull().default(3306),
    databaseName: text("databaseName").notNull(),
    username: text("username").notNull(),
    /** Nullable (upstream NOT NULL): the panel's listing never includes the password. */
    password: text("password"),
    maxConnections: integer("maxConnections").notNull().default(100),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastSeenSyncId: lastSeenSyncId(),
    deletedAt: deletedAt(),
  },
  (t) => [
    uniqueIndex("server_databases_pterodactylId_key").on(t.pterodactylId),
    index("server_databases_serverId_idx").on(t.serverId),
  ],
);

/** Key/value limits read by the dashboard (memory/cpu/disk); upstream's sync never filled it. */
export const serverProperties = pgTable(
  "server_properties",
  {
    id: generatedId(),
    serverId: text("serverId")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("server_properties_serverId_key_key").on(t.serverId, t.key)],
);

export const serverSubusers = pgTable(
  "server_subusers",
  {
    id: generatedId(),
    serverId: text("serverId")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    userId: text("userId")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    permissions: text("permissions").array().notNull().default(sql`'{}'::text[]`),
    /** owner | admin | user | viewer | billing_only */
    accessLevel: text("accessLevel").notNull().default("user"),
    accessConfig: jsonb("accessConfig").notNull().default({}),
    isOwner: boolean("isOwner").notNull().default(false),
    addedAt: tstz("addedAt").notNull().defaultNow(),
    lastSyncedAt: tstz("lastSyncedAt"),
    lastSeenSyncId: lastSeenSyncId(),
  },
  (t) => [
    uniqueIndex("server_subusers_serverId_userId_key").on(t.serverId, t.userId),
    index("server_subusers_userId_idx").on(t.userId),
    // Upstream indexed "isOwner" itself; keyed by server it also answers "who owns server X".
    index("server_subusers_owner_idx").on(t.serverId).where(sql`"isOwner" = true`),
    index("server_subusers_accessLevel_idx").on(t.accessLevel),
  ],
);

export type Location = typeof locations.$inferSelect;
export type Node = typeof nodes.$inferSelect;
export type Allocation = typeof allocations.$inferSelect;
export type Nest = typeof nests.$inferSelect;
export type Egg = typeof eggs.$inferSelect;
export type EggVariable = typeof eggVariables.$inferSelect;
export type Server = typeof servers.$inferSelect;
export type NewServer = typeof servers.$inferInsert;
export type ServerDatabase = typeof serverDatabases.$inferSelect;
export type ServerProperty = typeof serverProperties.$inferSelect;
export type ServerSubuser = typeof serverSubusers.$inferSelect;
