// Admin sync API (/api/admin/sync*): top-level fields as the website reads them (mirrored in
// `data` where upstream v0.2 had them), one run at a time, cancel with an empty JSON body, logs,
// and settings in both spellings.
import { createRoute, z } from "@hono/zod-openapi";
import { access } from "../../access/route-access.ts";
import {
  authErrors,
  commonErrors,
  jsonBody,
  jsonRequestBody,
  notFoundError,
} from "../../platform/openapi.ts";
import { clampedSize } from "../../platform/pagination.ts";
import { createRouter } from "../../platform/router.ts";
import { SyncLogSchema } from "./sync.schemas.ts";
import { cancelAndAudit } from "./sync-cancel.ts";
import { listLogs, listQuarantine, syncLogView, syncOverview } from "./sync-logs.ts";
import { AVAILABLE_TARGETS, recoverStalledRun, SYNC_TYPES, startRun, syncTypeOf } from "./sync-runs.ts";
import {
  MAX_INTERVAL_SECONDS,
  MIN_INTERVAL_SECONDS,
  readAutoSync,
  settingsView,
  writeAutoSync,
} from "./sync-settings.ts";

const tags = ["sync"];
const errors = { ...commonErrors, ...authErrors, ...notFoundError };

const overview = createRoute({
  method: "get",
  path: "/api/admin/sync",
  tags,
  summary: "Last sync, whether one is running, and the mirrored object counts",
  ...access.admin(),
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        status: z.object({
          lastSync: SyncLogSchema.nullable(),
          isSyncing: z.boolean(),
          lastRunning: z.string().nullable(),
        }),
        counts: z.record(z.string(), z.number()),
        availableTargets: z.array(z.string()),
      }),
    ),
    ...errors,
  },
});

const trigger = createRoute({
  method: "post",
  path: "/api/admin/sync",
  tags,
  summary: "Start a sync (202; when one is running, 202 with the running one's id)",
  ...access.admin(),
  request: {
    body: jsonRequestBody(
      z.object({
        type: z.string().max(32).optional(),
        target: z.string().max(32).optional(),
        skip_users: z.boolean().optional(),
        dry_run: z.boolean().optional().openapi({ description: "Walk the panel and report, write nothing" }),
      }),
      false,
    ),
  },
  responses: {
    202: jsonBody(
      z.object({
        success: z.literal(true),
        sync_log_id: z.string(),
        task_id: z.string(),
        status: z.string(),
        message: z.string(),
        alreadyRunning: z.boolean(),
        data: z.object({ sync_log_id: z.string(), task_id: z.string(), status: z.string() }),
      }),
    ),
    ...errors,
  },
});

const cancel = createRoute({
  method: "post",
  path: "/api/admin/sync/cancel",
  tags,
  summary: "Cancel the running sync (an empty JSON body is fine)",
  ...access.admin(),
  request: {
    body: jsonRequestBody(z.object({ id: z.string().max(100).optional() }), false),
  },
  responses: {
    200: jsonBody(z.object({ success: z.literal(true), sync_log_id: z.string(), message: z.string() })),
    ...errors,
  },
});

const logs = createRoute({
  method: "get",
  path: "/api/admin/sync/logs",
  tags,
  summary: "Sync logs, newest first",
  ...access.admin(),
  request: {
    query: z.object({
      limit: z.coerce
        .number()
        .int()
        .catch(20)
        .transform((n) => (n > 100 ? 100 : n < 1 ? 20 : n))
        .openapi({ type: "integer" }),
      offset: z.coerce.number().int().min(0).max(1_000_000).catch(0).openapi({ type: "integer" }),
      type: z.enum(SYNC_TYPES).optional(),
    }),
  },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        logs: z.array(SyncLogSchema),
        limit: z.number(),
        offset: z.number(),
      }),
    ),
    ...errors,
  },
});

const quarantine = createRoute({
  method: "get",
  path: "/api/admin/sync/quarantine",
  tags,
  summary:
    "Panel rows a sync could not write (SQLSTATE class 22/23), newest first; the rest of their page landed",
  ...access.admin(),
  request: {
    query: z.object({
      limit: clampedSize(100, 50).catch(50).openapi({ type: "integer" }),
      offset: z.coerce.number().int().min(0).max(1_000_000).catch(0).openapi({ type: "integer" }),
      resource: z.string().max(32).optional(),
    }),
  },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        items: z.array(
          z.object({
            resource: z.string(),
            panelId: z.string(),
            sqlState: z.string(),
            message: z.string(),
            syncLogId: z.string(),
            row: z.unknown(),
            createdAt: z.string(),
            updatedAt: z.string(),
          }),
        ),
        total: z.number(),
      }),
    ),
    ...errors,
  },
});

const SettingsAnswer = jsonBody(
  z.object({
    success: z.literal(true),
    message: z.string().optional(),
    settings: z.object({ auto_sync_enabled: z.string(), sync_interval: z.number() }),
    data: z.object({ autoSyncEnabled: z.boolean(), autoSyncInterval: z.number() }),
  }),
);

const getSettings = createRoute({
  method: "get",
  path: "/api/admin/sync/settings",
  tags,
  summary: "Auto-sync settings (both spellings)",
  ...access.admin(),
  responses: { 200: SettingsAnswer, ...errors },
});

// One range for what POST accepts and what GET reports (a stored value outside it reads clamped),
// so the GET answer, posted back, is always accepted.
const interval = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^\d{1,9}$/)
      .transform(Number),
  ])
  .pipe(z.number().int().min(MIN_INTERVAL_SECONDS).max(MAX_INTERVAL_SECONDS));
const enabledFlag = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);
const settingsFields = {
  auto_sync_enabled: enabledFlag.optional(),
  autoSyncEnabled: enabledFlag.optional(),
  sync_interval: interval.optional(),
  autoSyncInterval: interval.optional(),
};
const postSettings = createRoute({
  method: "post",
  path: "/api/admin/sync/settings",
  tags,
  summary: "Update auto-sync settings (snake_case or camelCase; omitted fields unchanged)",
  ...access.admin(),
  request: {
    // The fields at the top, or GET's whole answer posted back (`settings` and/or `data`).
    body: jsonRequestBody(
      z.object({
        ...settingsFields,
        settings: z.object(settingsFields).optional(),
        data: z.object(settingsFields).optional(),
      }),
    ),
  },
  responses: { 200: SettingsAnswer, ...errors },
});

export const adminSyncRoutes = createRouter()
  .openapi(overview, async (c) => {
    let o = await syncOverview(c.var.db);
    // A status read re-drives a chain that stopped advancing.
    if (o.runningId && (await recoverStalledRun(c.var.deps, o.runningId))) o = await syncOverview(c.var.db);
    return c.json(
      {
        success: true as const,
        status: { lastSync: o.lastSync, isSyncing: o.runningId !== null, lastRunning: o.runningId },
        counts: o.counts,
        availableTargets: AVAILABLE_TARGETS,
      },
      200,
    );
  })
  .openapi(trigger, async (c) => {
    const body = c.req.valid("json");
    const run = await startRun(c.var.deps, {
      type: syncTypeOf(body),
      requestedBy: "admin",
      skipUsers: body.skip_users,
      dryRun: body.dry_run,
    });
    const data = { sync_log_id: run.log.id, task_id: run.log.id, status: run.log.status };
    return c.json(
      {
        success: true as const,
        ...data,
        message: run.alreadyRunning ? "A sync is already running" : "Sync has been queued",
        alreadyRunning: run.alreadyRunning,
        data,
      },
      202,
    );
  })
  .openapi(cancel, async (c) => {
    const log = await cancelAndAudit(c.var.deps, c.req.valid("json").id);
    return c.json({ success: true as const, sync_log_id: log.id, message: "Sync cancelled" }, 200);
  })
  .openapi(logs, async (c) => {
    const q = c.req.valid("query");
    const rows = await listLogs(c.var.db, q);
    return c.json(
      { success: true as const, logs: rows.map(syncLogView), limit: q.limit, offset: q.offset },
      200,
    );
  })
  .openapi(quarantine, async (c) => {
    const q = c.req.valid("query");
    const page = await listQuarantine(c.var.db, q);
    return c.json({ success: true as const, ...page }, 200);
  })
  .openapi(getSettings, async (c) =>
    c.json({ success: true as const, ...settingsView(await readAutoSync(c.var.deps)) }, 200),
  )
  .openapi(postSettings, async (c) => {
    const body = c.req.valid("json");
    const b = { ...body.data, ...body.settings, ...body };
    const enabled = b.auto_sync_enabled ?? b.autoSyncEnabled;
    const intervalSeconds = b.sync_interval ?? b.autoSyncInterval;
    await writeAutoSync(c.var.deps, { enabled, intervalSeconds });
    return c.json(
      {
        success: true as const,
        message: "Settings updated successfully",
        ...settingsView(await readAutoSync(c.var.deps)),
      },
      200,
    );
  });
