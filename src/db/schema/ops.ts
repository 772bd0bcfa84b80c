// Operations: the settings key/value store, sync runs and their cursors, Discord webhooks,
// dead jobs, and the support-ticket table the dashboard counts.
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { createdAt, tstz, updatedAt } from "./columns.ts";

/** Settings; `id` now has a default (upstream's insert without one always failed). Secrets are encrypted. */
export const config = pgTable(
  "config",
  {
    id: text("id").primaryKey().default(sql`gen_random_uuid()::text`),
    key: text("key").notNull(),
    value: text("value").notNull(),
    description: text("description"),
    isPublic: boolean("isPublic").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("config_key_key").on(t.key)],
);

export const SYNC_STATUSES = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;

export const syncLogs = pgTable(
  "sync_logs",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    status: text("status").notNull().default("PENDING"),
    itemsTotal: integer("itemsTotal").notNull().default(0),
    itemsSynced: integer("itemsSynced").notNull().default(0),
    itemsFailed: integer("itemsFailed").notNull().default(0),
    startedAt: tstz("startedAt").notNull().defaultNow(),
    completedAt: tstz("completedAt"),
    cancelledAt: tstz("cancelledAt"),
    durationSeconds: integer("durationSeconds"),
    error: text("error"),
    metadata: jsonb("metadata").notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("sync_logs_type_idx").on(t.type),
    index("sync_logs_status_idx").on(t.status),
    index("sync_logs_createdAt_idx").on(t.createdAt),
    index("sync_logs_startedAt_idx").on(t.startedAt),
    // One sync at a time, enforced by the database rather than a read-then-write race.
    uniqueIndex("sync_logs_one_active_key").on(sql`(true)`).where(sql`status in ('PENDING', 'RUNNING')`),
  ],
);

/** Where a chained sync step resumes (new): one row per (run, step). */
export const syncCursors = pgTable(
  "sync_cursors",
  {
    syncLogId: text("syncLogId")
      .notNull()
      .references(() => syncLogs.id, { onDelete: "cascade" }),
    step: text("step").notNull(),
    cursor: jsonb("cursor").notNull().default({}),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.syncLogId, t.step] })],
);

export const discordWebhooks = pgTable(
  "discord_webhooks",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    webhookUrl: text("webhookUrl").notNull(),
    type: text("type").notNull().default("SYSTEM"),
    scope: text("scope").notNull().default("ADMIN"),
    description: text("description"),
    enabled: boolean("enabled").notNull().default(true),
    testSuccessAt: tstz("testSuccessAt"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("discord_webhooks_type_idx").on(t.type),
    index("discord_webhooks_scope_idx").on(t.scope),
    index("discord_webhooks_enabled_idx").on(t.enabled),
  ],
);

/** Jobs that exhausted their retries or can never succeed (new); id = the job's idempotency key. */
export const deadJobs = pgTable(
  "dead_jobs",
  {
    id: text("id").primaryKey(),
    queue: text("queue").notNull(),
    jobType: text("jobType").notNull(),
    body: jsonb("body"),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    createdAt: createdAt(),
  },
  (t) => [index("dead_jobs_createdAt_idx").on(t.createdAt), index("dead_jobs_jobType_idx").on(t.jobType)],
);

/** Owned by the website; read here only for the dashboard's open-ticket count. */
export const supportTickets = pgTable(
  "support_tickets",
  {
    id: text("id").primaryKey(),
    userId: text("userId").references(() => users.id, { onDelete: "cascade" }),
    subject: text("subject"),
    status: text("status").notNull().default("open"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("support_tickets_userId_status_idx").on(t.userId, t.status)],
);

export type SyncLog = typeof syncLogs.$inferSelect;
export type ConfigRow = typeof config.$inferSelect;
