// Operations: the settings key/value store, sync runs and their cursors, Discord webhooks,
// dead jobs, and the support tickets the dashboard counts.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { createdAt, tstz, updatedAt } from "./columns.ts";
import { servers } from "./panel.ts";

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

/** The only statuses we write (upstream mixed in pending/in_progress/cancelling); not a CHECK, old rows vary. */
export const SYNC_STATUSES = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

/** One row per run; cancelledAt, error, completedAt, durationSeconds are written now (upstream never did). */
export const syncLogs = pgTable(
  "sync_logs",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    status: text("status").$type<SyncStatus>().notNull().default("PENDING"),
    itemsTotal: integer("itemsTotal").notNull().default(0),
    itemsSynced: integer("itemsSynced").notNull().default(0),
    itemsFailed: integer("itemsFailed").notNull().default(0),
    startedAt: tstz("startedAt").notNull().defaultNow(),
    completedAt: tstz("completedAt"),
    cancelledAt: tstz("cancelledAt"),
    durationSeconds: integer("durationSeconds"),
    error: text("error"),
    /** {step, progress, lastMessage, itemsTotal, itemsProcessed, lastUpdated, failed_step?}, merged. */
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("sync_logs_type_idx").on(t.type),
    index("sync_logs_status_idx").on(t.status),
    index("sync_logs_createdAt_idx").on(t.createdAt),
    index("sync_logs_startedAt_idx").on(t.startedAt),
    // One sync at a time, enforced by the database rather than a read-then-write race
    // (a run stuck in PENDING/RUNNING must be failed by the app before another can start).
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

/**
 * Panel rows a sync could not write (a deterministic data or constraint error, SQLSTATE class 22
 * or 23): kept here with the run, the error and the row as the panel sent it; the rest of the
 * page landed. One row per (resource, panel id), refreshed by every run that meets it again.
 */
export const syncQuarantine = pgTable(
  "sync_quarantine",
  {
    resource: text("resource").notNull(),
    panelId: text("panelId").notNull(),
    sqlState: text("sqlState").notNull(),
    message: text("message").notNull(),
    syncLogId: text("syncLogId").notNull(),
    row: jsonb("row").notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.resource, t.panelId] }),
    index("sync_quarantine_updatedAt_idx").on(t.updatedAt),
  ],
);
export type SyncQuarantine = typeof syncQuarantine.$inferSelect;

export const discordWebhooks = pgTable(
  "discord_webhooks",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    /** upstream's worker read `url`; the column is and stays "webhookUrl". */
    webhookUrl: text("webhookUrl").notNull(),
    /** GAME_SERVER | VPS | SYSTEM | BILLING | SECURITY | SUPPORT | CUSTOM */
    type: text("type").notNull().default("SYSTEM"),
    /** ADMIN | USER | PUBLIC */
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

/**
 * One outbound notification delivery (new): id = the job id that makes it, so a redelivered job
 * finds its delivery already done and does not post twice.
 */
export const notificationDeliveries = pgTable(
  "notification_deliveries",
  {
    id: text("id").primaryKey(),
    /** discord */
    channel: text("channel").notNull(),
    targetId: text("targetId").notNull(),
    event: text("event").notNull(),
    /** pending | sending | delivered | failed */
    status: text("status").notNull().default("pending"),
    /** When the current attempt claimed it: a `sending` claim older than a minute may be taken over. */
    claimedAt: tstz("claimedAt"),
    attempts: integer("attempts").notNull().default(0),
    lastStatus: integer("lastStatus"),
    error: text("error"),
    createdAt: createdAt(),
    deliveredAt: tstz("deliveredAt"),
  },
  (t) => [index("notification_deliveries_target_idx").on(t.channel, t.targetId, t.createdAt)],
);

/** Jobs that exhausted their retries or can never succeed (new); id = the queue message id. */
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
    /** Set once, when an operator replays it (POST /api/admin/jobs/dead/{id}/replay). */
    replayedAt: tstz("replayedAt"),
    /** The id of the job the replay enqueued (a new attempt id). */
    replayJobId: text("replayJobId"),
  },
  (t) => [
    index("dead_jobs_createdAt_idx").on(t.createdAt),
    index("dead_jobs_jobType_idx").on(t.jobType),
    index("dead_jobs_queue_idx").on(t.queue),
  ],
);

/** What job_runs.outcome holds: one row per delivery that ended, or per dead-lettered arrival. */
export const JOB_OUTCOMES = ["succeeded", "retried", "failed", "dead_lettered"] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/**
 * The queue consumer's own bookkeeping (new): one row per delivery of a job that ended
 * (succeeded, retried, failed permanently) and one per message dead-lettered by the queue,
 * written in one multi-row insert per queue batch. `attempt` 1 counts as the job's enqueueing
 * (by its `enqueuedAt`); kept 8 days (the maintenance cron).
 */
export const jobRuns = pgTable(
  "job_runs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    jobId: text("jobId").notNull(),
    queue: text("queue").notNull(),
    jobType: text("jobType").notNull(),
    outcome: text("outcome").$type<JobOutcome>().notNull(),
    attempt: integer("attempt").notNull(),
    /** Handler run time; null for a message that never ran (dead-lettered, malformed, unknown type). */
    durationMs: integer("durationMs"),
    enqueuedAt: tstz("enqueuedAt"),
    error: text("error"),
    at: tstz("at").notNull().defaultNow(),
  },
  (t) => [index("job_runs_at_idx").on(t.at), index("job_runs_jobId_idx").on(t.jobId)],
);
export type JobRun = typeof jobRuns.$inferSelect;

/** One row per cron delivery (new): when it was scheduled and the job ids it enqueued. */
export const cronRuns = pgTable(
  "cron_runs",
  {
    cron: text("cron").notNull(),
    scheduledAt: tstz("scheduledAt").notNull(),
    jobIds: jsonb("jobIds").$type<string[]>().notNull().default([]),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.cron, t.scheduledAt] }),
    index("cron_runs_scheduledAt_idx").on(t.scheduledAt),
  ],
);

/** Upstream's table, written by the website; read here only for the dashboard's open-ticket count. */
export const supportTickets = pgTable(
  "support_tickets",
  {
    id: text("id").primaryKey(),
    ticketNumber: text("ticketNumber").notNull(),
    userId: text("userId")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    serverId: text("serverId").references(() => servers.id, { onDelete: "set null" }),
    title: text("title").notNull(),
    description: text("description").notNull(),
    /** open | pending | in_progress count as open; anything else is closed. */
    status: text("status").notNull().default("open"),
    priority: text("priority").notNull().default("medium"),
    category: text("category"),
    assignedToId: text("assignedToId").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    closedAt: tstz("closedAt"),
  },
  (t) => [
    uniqueIndex("support_tickets_ticketNumber_key").on(t.ticketNumber),
    index("support_tickets_userId_status_idx").on(t.userId, t.status),
    index("support_tickets_serverId_idx").on(t.serverId),
    index("support_tickets_assignedToId_idx").on(t.assignedToId),
    index("support_tickets_status_idx").on(t.status),
    index("support_tickets_createdAt_idx").on(t.createdAt),
  ],
);

export type ConfigRow = typeof config.$inferSelect;
export type SyncLog = typeof syncLogs.$inferSelect;
export type NewSyncLog = typeof syncLogs.$inferInsert;
export type SyncCursor = typeof syncCursors.$inferSelect;
export type DiscordWebhook = typeof discordWebhooks.$inferSelect;
export type DeadJob = typeof deadJobs.$inferSelect;
export type SupportTicket = typeof supportTickets.$inferSelect;

/**
 * A signed outbound event endpoint (new; Standard Webhooks): an HTTPS receiver subscribed to event
 * types (`sync.completed`, `hytale.account.*`, `*`). Its `whsec_` secret is encrypted and bound to
 * the row; during a rotation the previous one keeps signing (a second signature) until it expires.
 */
export const eventEndpoints = pgTable(
  "event_endpoints",
  {
    id: text("id").primaryKey(),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    eventTypes: jsonb("eventTypes").$type<string[]>().notNull().default([]),
    enabled: boolean("enabled").notNull().default(true),
    disabledReason: text("disabledReason"),
    /** encrypted `whsec_…` */
    secret: text("secret").notNull(),
    /** encrypted `whsec_…`, still signing until previousSecretExpiresAt */
    previousSecret: text("previousSecret"),
    previousSecretExpiresAt: tstz("previousSecretExpiresAt"),
    lastSuccessAt: tstz("lastSuccessAt"),
    lastFailureAt: tstz("lastFailureAt"),
    createdBy: text("createdBy"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("event_endpoints_enabled_idx").on(t.enabled)],
);
export type EventEndpoint = typeof eventEndpoints.$inferSelect;

/**
 * One message to one endpoint; id = the `webhook-id` the receiver sees (the same on every attempt
 * and replay, so receivers deduplicate). `body` is the exact bytes signed and sent.
 */
export const eventDeliveries = pgTable(
  "event_deliveries",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpointId")
      .notNull()
      .references(() => eventEndpoints.id, { onDelete: "cascade" }),
    eventType: text("eventType").notNull(),
    body: text("body").notNull(),
    /** pending | sending | retrying | delivered | failed */
    status: text("status").notNull().default("pending"),
    /** Attempts made so far (the next one is attempt + 1). */
    attempt: integer("attempt").notNull().default(0),
    claimedAt: tstz("claimedAt"),
    nextAttemptAt: tstz("nextAttemptAt"),
    lastStatus: integer("lastStatus"),
    error: text("error"),
    createdAt: createdAt(),
    deliveredAt: tstz("deliveredAt"),
  },
  (t) => [index("event_deliveries_endpoint_idx").on(t.endpointId, t.createdAt)],
);
export type EventDelivery = typeof eventDeliveries.$inferSelect;

/** The delivery log: one row per attempt (status, latency, a response excerpt). */
export const eventDeliveryAttempts = pgTable(
  "event_delivery_attempts",
  {
    deliveryId: text("deliveryId")
      .notNull()
      .references(() => eventDeliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    /** replay | retry | first | test */
    trigger: text("trigger").notNull(),
    status: integer("status"),
    latencyMs: integer("latencyMs").notNull(),
    responseExcerpt: text("responseExcerpt").notNull().default(""),
    error: text("error"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.attempt] })],
);
export type EventDeliveryAttempt = typeof eventDeliveryAttempts.$inferSelect;
