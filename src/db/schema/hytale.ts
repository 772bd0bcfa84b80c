// Hytale: OAuth tokens per account, game sessions, the audit trail and ingested server logs.
// Token, session and identity columns hold AES-256-GCM ciphertext ("keyId:iv:ciphertext").
import { sql } from "drizzle-orm";
import { bigint, check, index, pgTable, serial, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { tstz } from "./columns.ts";
import { servers } from "./panel.ts";

export const hytaleOauthTokens = pgTable("hytale_oauth_tokens", {
  id: uuid("id").primaryKey().defaultRandom(),
  accountId: text("account_id").notNull().unique(),
  accessToken: text("access_token").notNull(),
  refreshToken: text("refresh_token").notNull(),
  accessTokenExpiry: tstz("access_token_expiry").notNull(),
  profileUuid: uuid("profile_uuid"),
  scope: text("scope").notNull().default("openid offline auth:server"),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
  lastRefreshedAt: tstz("last_refreshed_at"),
});

/** Only `server_id` (upstream also had an unused "serverId" twin); `expires_at` is the real expiry. */
export const hytaleGameSessions = pgTable(
  "hytale_game_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    accountId: text("account_id").notNull(),
    profileUuid: uuid("profile_uuid").notNull(),
    serverId: text("server_id").references(() => servers.id, { onDelete: "cascade" }),
    sessionToken: text("session_token").notNull(),
    identityToken: text("identity_token").notNull(),
    expiresAt: tstz("expires_at").notNull(),
    createdAt: tstz("created_at").notNull().defaultNow(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("hytale_game_sessions_account_profile_key").on(t.accountId, t.profileUuid),
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

/** Creatable at last: upstream's FK named a column that did not exist. No FK: events outlive tokens. */
export const hytaleAuditLogs = pgTable(
  "hytale_audit_logs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    accountId: text("accountId").notNull(),
    profileId: uuid("profileId"),
    eventType: text("eventType").notNull(),
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
    accountId: text("accountId"),
    logLine: text("logLine").notNull(),
    logTimestamp: tstz("logTimestamp").notNull(),
    createdAt: tstz("createdAt").notNull().defaultNow(),
  },
  (t) => [
    index("hytale_server_logs_serverUuid_idx").on(t.serverUuid),
    index("hytale_server_logs_createdAt_idx").on(t.createdAt.desc()),
    index("hytale_server_logs_serverUuid_createdAt_idx").on(t.serverUuid, t.createdAt.desc()),
    index("hytale_server_logs_accountId_idx").on(t.accountId),
  ],
);

export const hytaleLogSyncState = pgTable("hytale_log_sync_state", {
  id: serial("id").primaryKey(),
  serverUuid: text("serverUuid")
    .notNull()
    .unique()
    .references(() => servers.uuid, { onDelete: "cascade" }),
  lastSyncTime: tstz("lastSyncTime"),
  lastLineId: bigint("lastLineId", { mode: "number" }),
  syncStatus: text("syncStatus").notNull().default("pending"),
  errorMessage: text("errorMessage"),
  updatedAt: tstz("updatedAt").notNull().defaultNow(),
});
