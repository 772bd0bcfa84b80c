// Hytale: OAuth tokens per account, game sessions, the audit trail and ingested server logs.
// Token, session and identity columns hold AES-256-GCM ciphertext ("keyId:iv:ciphertext"), never plaintext.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  serial,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { tstz } from "./columns.ts";
import { servers } from "./panel.ts";

export const hytaleOauthTokens = pgTable(
  "hytale_oauth_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** TEXT, not upstream's UUID: a member's account id is their users.id. No FK: admins may name any. */
    accountId: text("account_id").notNull().unique("hytale_oauth_tokens_account_id_key"),
    /** encrypted: keyId:iv:ciphertext */
    accessToken: text("access_token").notNull(),
    /** encrypted: keyId:iv:ciphertext */
    refreshToken: text("refresh_token").notNull(),
    accessTokenExpiry: tstz("access_token_expiry").notNull(),
    profileUuid: uuid("profile_uuid"),
    scope: text("scope").notNull().default("openid offline auth:server"),
    createdAt: tstz("created_at").notNull().defaultNow(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
    lastRefreshedAt: tstz("last_refreshed_at"),
    /** SHA-256 of the refresh token: the documented `{refresh_token}` client is found by it. */
    refreshTokenHash: text("refresh_token_hash"),
    /** When the device flow completed: the refresh grant's lifetime (about 30 days) counts from here. */
    grantCreatedAt: tstz("grant_created_at"),
    /** Bumped by the grant's Durable Object on every write; the mirror only moves forward. */
    grantVersion: bigint("grant_version", { mode: "number" }).notNull().default(0),
    /** The grant is gone (invalid_grant or a 401): refreshes stop until the account links again. */
    needsRelink: boolean("needs_relink").notNull().default(false),
    relinkReason: text("relink_reason"),
    /** When the "grant near the end of its lifetime" notice went out (once per grant). */
    grantNoticeSentAt: tstz("grant_notice_sent_at"),
    /**
     * The row may have been written by the per-account grant object of the layout before sharding
     * (which may hold a newer copy): its shard asks that object once. True by default, so a row
     * that code writes is flagged; the shards write false.
     */
    legacyGrantObject: boolean("legacy_grant_object").notNull().default(true),
  },
  (t) => [
    index("hytale_oauth_tokens_access_token_expiry_idx").on(t.accessTokenExpiry),
    uniqueIndex("hytale_oauth_tokens_refresh_token_hash_key").on(t.refreshTokenHash),
  ],
);

/**
 * Device codes handed out by `POST /oauth/device-code`, bound to the caller and account that asked
 * (only the SHA-256 of the code is kept). `next_poll_at` coalesces polls: a poll reaches the OAuth
 * server only when it is due, so the peer sees at most one per interval per code.
 */
export const hytaleDeviceCodes = pgTable(
  "hytale_device_codes",
  {
    deviceCodeHash: text("device_code_hash").primaryKey(),
    accountId: text("account_id").notNull(),
    /** `user:<id>` or `key:<id>`: only this caller may poll the code. */
    requestedBy: text("requested_by").notNull(),
    intervalSeconds: integer("interval_seconds").notNull(),
    expiresAt: tstz("expires_at").notNull(),
    nextPollAt: tstz("next_poll_at").notNull(),
    /** pending | linked */
    status: text("status").notNull().default("pending"),
    createdAt: tstz("created_at").notNull().defaultNow(),
  },
  (t) => [index("hytale_device_codes_expires_at_idx").on(t.expiresAt)],
);

/**
 * Only `server_id` (upstream's unused "serverId" twin is gone); `expires_at` is the peer's real expiry.
 * Deleting a server cascades to its sessions, so whoever removes a server deletes them upstream first
 * (left alone they are no longer refreshed and lapse within the hour).
 */
export const hytaleGameSessions = pgTable(
  "hytale_game_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    accountId: text("account_id").notNull(),
    profileUuid: uuid("profile_uuid").notNull(),
    serverId: text("server_id").references(() => servers.id, { onDelete: "cascade" }),
    /** encrypted: keyId:iv:ciphertext */
    sessionToken: text("session_token").notNull(),
    /** encrypted: keyId:iv:ciphertext */
    identityToken: text("identity_token").notNull(),
    expiresAt: tstz("expires_at").notNull(),
    createdAt: tstz("created_at").notNull().defaultNow(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
    lastRefreshedAt: tstz("last_refreshed_at"),
    /** none (no server) | pending | delivered | refused (egg variables not hidden) | failed (retrying) */
    deliveryStatus: text("delivery_status").notNull().default("none"),
    /** Why the last delivery was refused or failed (never a token). */
    deliveryError: text("delivery_error"),
    deliveredAt: tstz("delivered_at"),
    /** Set when the session is ended here; the row stays until the peer's DELETE answers 2xx/404. */
    endedAt: tstz("ended_at"),
    endReason: text("end_reason"),
    deleteAttempts: integer("delete_attempts").notNull().default(0),
  },
  (t) => [
    // One live session per server, and per (account, profile) among sessions of no server.
    uniqueIndex("hytale_game_sessions_server_live_key")
      .on(t.serverId)
      .where(sql`server_id is not null and ended_at is null`),
    uniqueIndex("hytale_game_sessions_account_profile_key")
      .on(t.accountId, t.profileUuid)
      .where(sql`server_id is null and ended_at is null`),
    index("hytale_game_sessions_account_id_idx").on(t.accountId),
    index("hytale_game_sessions_expires_at_idx").on(t.expiresAt),
    index("hytale_game_sessions_server_id_idx").on(t.serverId),
  ],
);

export const HYTALE_AUDIT_EVENTS = [
  "TOKEN_CREATED",
  "TOKEN_REFRESHED",
  "TOKEN_DELETED",
  "AUTH_FAILED",
  "SESSION_CREATED",
  "SESSION_REFRESHED",
  "SESSION_DELETED",
  "PROFILE_SELECTED",
] as const;

export type HytaleAuditEvent = (typeof HYTALE_AUDIT_EVENTS)[number];

/**
 * Creatable at last: upstream's FK named a column that did not exist; now no FK, so events outlive
 * the tokens they describe. accountId TEXT (see hytale_oauth_tokens); ipAddress TEXT, not INET.
 */
export const hytaleAuditLogs = pgTable(
  "hytale_audit_logs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    accountId: text("accountId").notNull(),
    profileId: uuid("profileId"),
    eventType: text("eventType").$type<HytaleAuditEvent>().notNull(),
    details: text("details"),
    ipAddress: text("ipAddress"),
    userAgent: text("userAgent"),
    createdAt: tstz("createdAt").notNull().defaultNow(),
  },
  (t) => [
    check(
      "hytale_audit_logs_eventType_check",
      sql.raw(`"eventType" IN (${HYTALE_AUDIT_EVENTS.map((e) => `'${e}'`).join(", ")})`),
    ),
    index("hytale_audit_logs_accountId_idx").on(t.accountId),
    index("hytale_audit_logs_eventType_idx").on(t.eventType),
    index("hytale_audit_logs_createdAt_idx").on(t.createdAt.desc()),
    index("hytale_audit_logs_accountId_createdAt_idx").on(t.accountId, t.createdAt.desc()),
  ],
);

export const hytaleServerLogs = pgTable(
  "hytale_server_logs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    serverUuid: text("serverUuid")
      .notNull()
      .references(() => servers.uuid, { onDelete: "cascade" }),
    accountId: text("accountId").notNull(),
    logLine: text("logLine").notNull(),
    logTimestamp: tstz("logTimestamp").notNull().defaultNow(),
    createdAt: tstz("createdAt").notNull().defaultNow(),
  },
  (t) => [
    index("hytale_server_logs_serverUuid_idx").on(t.serverUuid),
    index("hytale_server_logs_createdAt_idx").on(t.createdAt.desc()),
    index("hytale_server_logs_serverUuid_createdAt_idx").on(t.serverUuid, t.createdAt.desc()),
    index("hytale_server_logs_accountId_idx").on(t.accountId),
  ],
);

/** Upstream table (never used there); kept so the schema stays whole. */
export const hytaleLogSyncState = pgTable(
  "hytale_log_sync_state",
  {
    id: serial("id").primaryKey(),
    serverUuid: text("serverUuid")
      .notNull()
      .unique("hytale_log_sync_state_serverUuid_key")
      .references(() => servers.uuid, { onDelete: "cascade" }),
    lastSyncTime: tstz("lastSyncTime").defaultNow(),
    lastLineId: bigint("lastLineId", { mode: "number" }).notNull().default(0),
    /** pending | syncing | success | failed */
    syncStatus: text("syncStatus").notNull().default("pending"),
    errorMessage: text("errorMessage"),
    updatedAt: tstz("updatedAt").notNull().defaultNow(),
  },
  (t) => [index("hytale_log_sync_state_syncStatus_idx").on(t.syncStatus)],
);

export type HytaleOauthToken = typeof hytaleOauthTokens.$inferSelect;
export type HytaleDeviceCode = typeof hytaleDeviceCodes.$inferSelect;
export type HytaleGameSession = typeof hytaleGameSessions.$inferSelect;
export type NewHytaleGameSession = typeof hytaleGameSessions.$inferInsert;
export type HytaleAuditLog = typeof hytaleAuditLogs.$inferSelect;
export type NewHytaleAuditLog = typeof hytaleAuditLogs.$inferInsert;
export type HytaleServerLog = typeof hytaleServerLogs.$inferSelect;
export type HytaleLogSyncState = typeof hytaleLogSyncState.$inferSelect;
