// Accounts: users (upstream's Prisma-era table), sessions, verification and password-reset tokens,
// plus the new refresh-token families, managed API keys and the append-only audit log.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { createdAt, lastSeenSyncId, tstz, updatedAt } from "./columns.ts";

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** Stored lower-cased (writers lower-case it; lookups lower-case their input), so UNIQUE is case-blind. */
    email: text("email").notNull(),
    /** bcrypt ($2a$/$2b$); null for panel-synced users who never set one. */
    password: text("password"),
    username: text("username"),
    firstName: text("firstName"),
    lastName: text("lastName"),
    /** MEMBER, PARTNER, SPONSOR, TECH_TEAM, SUPPORT_TEAM, ADMINISTRATOR, SUPER_ADMIN (app-level). */
    roles: text("roles").array().notNull().default(sql`'{MEMBER}'::text[]`),
    isPterodactylAdmin: boolean("isPterodactylAdmin").notNull().default(false),
    isVirtfusionAdmin: boolean("isVirtfusionAdmin").notNull().default(false),
    isSystemAdmin: boolean("isSystemAdmin").notNull().default(false),
    pterodactylId: integer("pterodactylId"),
    /** The panel account's e-mail as the panel last reported it; never copied into `email` (the login). */
    panelEmail: text("panelEmail"),
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
    /** Last sync run that saw this user on the panel; users are never swept, the marker only shows staleness. */
    lastSeenSyncId: lastSeenSyncId(),
  },
  (t) => [
    uniqueIndex("users_email_key").on(t.email),
    // Lookups are case-insensitive; this also stops case-variant duplicates.
    uniqueIndex("users_email_lower_key").on(sql`lower(${t.email})`),
    // Departs from upstream (plain index): sync matches users by panel id, so it must be unique.
    // NULLs are distinct, so website-only users (no panel account) never collide.
    uniqueIndex("users_pterodactylId_key").on(t.pterodactylId),
    index("users_virtfusionId_idx").on(t.virtfusionId),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    /** Upstream's raw refresh token (website sessions); our own refresh tokens live in refresh_tokens. */
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
    /** email_verification | password_reset | magic_link (upstream default 'email' kept). */
    type: text("type").notNull().default("email"),
    /** New: what the token confirms beyond the user (e.g. the new address of an e-mail change). */
    data: jsonb("data"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("verification_tokens_token_key").on(t.token),
    // Upstream's UNIQUE(identifier, token), as the primary key (the table has no id column).
    primaryKey({ columns: [t.identifier, t.token] }),
    index("verification_tokens_expires_idx").on(t.expires),
    index("verification_tokens_identifier_type_idx").on(t.identifier, t.type),
  ],
);

/** Upstream table, kept for the website (resets here go through verification_tokens); one per user. */
export const passwordResetTokens = pgTable(
  "password_reset_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("userId")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    token: text("token").notNull(),
    expiresAt: tstz("expiresAt").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("password_reset_tokens_userId_key").on(t.userId),
    uniqueIndex("password_reset_tokens_token_key").on(t.token),
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
    /** Every rotation of one login shares the family; reuse of a rotated token revokes them all. */
    familyId: text("familyId").notNull(),
    /** SHA-256 hex of the raw token; the raw token is never stored. */
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
    /** The 8-character public prefix from the key itself, used to find the row. */
    prefix: text("prefix").notNull(),
    /** SHA-256 hex of the whole key; the key is shown once and never stored. */
    keyHash: text("keyHash").notNull(),
    /** sync | stats | email | webhook | hytale | server-logs */
    scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
    createdBy: text("createdBy").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    lastUsedAt: tstz("lastUsedAt"),
    revokedAt: tstz("revokedAt"),
    expiresAt: tstz("expiresAt"),
  },
  (t) => [uniqueIndex("api_keys_prefix_key").on(t.prefix)],
);

export const AUDIT_ACTOR_TYPES = ["user", "api_key", "system", "anonymous"] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

/** Append-only audit trail (new) of every sensitive mutation. */
export const auditLogs = pgTable(
  "audit_logs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    action: text("action").notNull(),
    actorType: text("actorType").$type<AuditActorType>().notNull(),
    /** users.id or api_keys.id; no FK so the trail outlives what it names. */
    actorId: text("actorId"),
    targetType: text("targetType"),
    targetId: text("targetId"),
    ip: text("ip"),
    userAgent: text("userAgent"),
    details: jsonb("details").notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    check(
      "audit_logs_actorType_check",
      sql.raw(`"actorType" IN (${AUDIT_ACTOR_TYPES.map((a) => `'${a}'`).join(", ")})`),
    ),
    index("audit_logs_createdAt_idx").on(t.createdAt.desc()),
    index("audit_logs_action_idx").on(t.action),
    index("audit_logs_actorId_idx").on(t.actorId),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type Session = typeof sessions.$inferSelect;
export type VerificationToken = typeof verificationTokens.$inferSelect;
export type PasswordResetToken = typeof passwordResetTokens.$inferSelect;
export type RefreshToken = typeof refreshTokens.$inferSelect;
export type NewRefreshToken = typeof refreshTokens.$inferInsert;
export type ApiKey = typeof apiKeys.$inferSelect;
export type NewApiKey = typeof apiKeys.$inferInsert;
export type AuditLog = typeof auditLogs.$inferSelect;
export type NewAuditLog = typeof auditLogs.$inferInsert;
