// Accounts: users (upstream's Prisma-era table), sessions and verification tokens, plus the new
// refresh-token families, managed API keys and the append-only audit log.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { createdAt, tstz, updatedAt } from "./columns.ts";

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** Stored lower-cased; lookups lower-case their input. */
    email: text("email").notNull(),
    password: text("password"),
    username: text("username"),
    firstName: text("firstName"),
    lastName: text("lastName"),
    roles: text("roles").array().notNull().default(sql`'{MEMBER}'::text[]`),
    isPterodactylAdmin: boolean("isPterodactylAdmin").notNull().default(false),
    isVirtfusionAdmin: boolean("isVirtfusionAdmin").notNull().default(false),
    isSystemAdmin: boolean("isSystemAdmin").notNull().default(false),
    pterodactylId: integer("pterodactylId"),
    virtfusionId: integer("virtfusionId"),
    isMigrated: boolean("isMigrated").notNull().default(false),
    emailVerified: tstz("emailVerified"),
    isActive: boolean("isActive").notNull().default(true),
    avatarUrl: text("avatarUrl"),
    companyName: text("companyName"),
    phoneNumber: text("phoneNumber"),
    billingEmail: text("billingEmail"),
    accountBalance: numeric("accountBalance", { precision: 10, scale: 2 }).notNull().default("0"),
    accountStatus: text("accountStatus").notNull().default("active"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastLoginAt: tstz("lastLoginAt"),
    lastSyncedAt: tstz("lastSyncedAt"),
    /** Mark-and-sweep marker (users are never deleted by sync, but the marker shows staleness). */
    lastSeenSyncId: text("lastSeenSyncId"),
  },
  (t) => [
    uniqueIndex("users_email_key").on(t.email),
    // Upstream had no uniqueness here, so a changed panel e-mail created a second user.
    uniqueIndex("users_pterodactylId_key").on(t.pterodactylId),
    index("users_virtfusionId_idx").on(t.virtfusionId),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    sessionToken: text("sessionToken").notNull(),
    userId: text("userId")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expires: tstz("expires").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("sessions_sessionToken_key").on(t.sessionToken),
    index("sessions_userId_idx").on(t.userId),
    index("sessions_expires_idx").on(t.expires),
  ],
);

export const verificationTokens = pgTable(
  "verification_tokens",
  {
    identifier: text("identifier").notNull(),
    /** SHA-256 hex of the token sent by e-mail; single use. */
    token: text("token").notNull(),
    expires: tstz("expires").notNull(),
    type: text("type").notNull().default("email"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("verification_tokens_token_key").on(t.token),
    primaryKey({ columns: [t.identifier, t.token] }),
    index("verification_tokens_expires_idx").on(t.expires),
  ],
);

/** Rotating refresh tokens (new): SHA-256 only; reuse of a rotated token revokes its family. */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("userId")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    familyId: text("familyId").notNull(),
    tokenHash: text("tokenHash").notNull(),
    expiresAt: tstz("expiresAt").notNull(),
    rotatedAt: tstz("rotatedAt"),
    revokedAt: tstz("revokedAt"),
    createdAt: createdAt(),
    userAgent: text("userAgent"),
    ip: text("ip"),
  },
  (t) => [
    uniqueIndex("refresh_tokens_tokenHash_key").on(t.tokenHash),
    index("refresh_tokens_userId_idx").on(t.userId),
    index("refresh_tokens_familyId_idx").on(t.familyId),
    index("refresh_tokens_expiresAt_idx").on(t.expiresAt),
  ],
);

/** Managed service keys (new): `nb_<prefix>_<secret>`, stored as prefix + SHA-256 of the whole key. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    keyHash: text("keyHash").notNull(),
    scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
    createdBy: text("createdBy").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    lastUsedAt: tstz("lastUsedAt"),
    revokedAt: tstz("revokedAt"),
    expiresAt: tstz("expiresAt"),
  },
  (t) => [uniqueIndex("api_keys_prefix_key").on(t.prefix)],
);

/** Append-only audit trail (new) of every sensitive mutation. */
export const auditLogs = pgTable(
  "audit_logs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    action: text("action").notNull(),
    actorType: text("actorType").notNull(),
    actorId: text("actorId"),
    targetType: text("targetType"),
    targetId: text("targetId"),
    ip: text("ip"),
    userAgent: text("userAgent"),
    details: jsonb("details").notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index("audit_logs_createdAt_idx").on(t.createdAt.desc()),
    index("audit_logs_action_idx").on(t.action),
    index("audit_logs_actorId_idx").on(t.actorId),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type RefreshToken = typeof refreshTokens.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type AuditLog = typeof auditLogs.$inferSelect;
