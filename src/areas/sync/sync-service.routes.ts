// Service sync API (/api/v1/sync/*, X-API-Key with scope "sync" alone — upstream accidentally
// also required an admin token): upstream's `{success, data, message}` envelope.
import { createRoute, z } from "@hono/zod-openapi";
import { access } from "../../access/route-access.ts";
import { envelope, envelopeBody } from "../../platform/envelope.ts";
import { AppError } from "../../platform/errors.ts";
import { authErrors, commonErrors, jsonRequestBody, notFoundError } from "../../platform/openapi.ts";
import { clampedSize } from "../../platform/pagination.ts";
import { createRouter } from "../../platform/router.ts";
import { SyncLogSchema } from "./sync.schemas.ts";
import { cancelAndAudit } from "./sync-cancel.ts";
import { getLog, latestPerType, listLogs, syncLogView } from "./sync-logs.ts";
import { recoverStalledRun, SYNC_TYPES, type SyncType, startRun } from "./sync-runs.ts";

const tags = ["sync"];
const errors = { ...commonErrors, ...authErrors, ...notFoundError };
const Queued = envelopeBody(z.object({ sync_log_id: z.string(), task_id: z.string(), status: z.string() }));

const trigger = (type: SyncType) =>
  createRoute({
    method: "post",
    path: `/api/v1/sync/${type}`,
    tags,
    summary: `Queue a ${type} sync (202; when one is running, 202 with its id)`,
    ...access.service("sync"),
    request: {
      body: jsonRequestBody(
        z.object({
          requested_by: z.string().max(100).optional(),
          skip_users: z.boolean().optional(),
          ...(type === "full"
            ? {
                dry_run: z
                  .boolean()
                  .optional()
                  .openapi({ description: "Walk the panel and report, write nothing" }),
              }
            : {}),
        }),
        false,
      ),
    },
    responses: { 202: Queued, ...errors },
  });

const idParam = z.object({ id: z.string().min(1).max(100) });

const routes = {
  cancel: createRoute({
    method: "post",
    path: "/api/v1/sync/cancel/{id}",
    tags,
    summary: "Cancel a running sync",
    ...access.service("sync"),
    request: { params: idParam },
    responses: { 200: envelopeBody(z.null()), ...errors },
  }),
  status: createRoute({
    method: "get",
    path: "/api/v1/sync/status/{id}",
    tags,
    summary: "One sync log",
    ...access.service("sync"),
    request: { params: idParam },
    responses: { 200: envelopeBody(SyncLogSchema), ...errors },
  }),
  logs: createRoute({
    method: "get",
    path: "/api/v1/sync/logs",
    tags,
    summary: "Sync logs, newest first",
    ...access.service("sync"),
    request: {
      query: z.object({
        limit: clampedSize(100, 20),
        offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
        type: z.enum(SYNC_TYPES).optional(),
      }),
    },
    responses: {
      200: envelopeBody(z.object({ logs: z.array(SyncLogSchema), limit: z.number(), offset: z.number() })),
      ...errors,
    },
  }),
  latest: createRoute({
    method: "get",
    path: "/api/v1/sync/latest",
    tags,
    summary: "The latest log of each sync type",
    ...access.service("sync"),
    responses: { 200: envelopeBody(z.record(z.string(), SyncLogSchema)), ...errors },
  }),
};

let router = createRouter();
for (const type of ["full", "locations", "nodes", "servers", "users"] as const) {
  router = router.openapi(trigger(type), async (c) => {
    const body = c.req.valid("json");
    const run = await startRun(c.var.deps, {
      type,
      requestedBy: body.requested_by ?? "api",
      skipUsers: type === "full" ? body.skip_users : undefined,
      dryRun: type === "full" ? (body as { dry_run?: boolean }).dry_run : undefined,
    });
    const data = { sync_log_id: run.log.id, task_id: run.log.id, status: run.log.status };
    const message = run.alreadyRunning
      ? "A sync is already running"
      : `${type === "full" ? "Full" : type} sync has been queued`;
    return c.json(envelope(data, message), 202);
  });
}

export const serviceSyncRoutes = router
  .openapi(routes.cancel, async (c) => {
    await cancelAndAudit(c.var.deps, c.req.valid("param").id);
    return c.json(envelope(null, "Sync cancelled"), 200);
  })
  .openapi(routes.status, async (c) => {
    const id = c.req.valid("param").id;
    let log = await getLog(c.var.db, id);
    if (!log) throw new AppError("NOT_FOUND", "Sync log not found");
    // A status read re-drives a chain that stopped advancing.
    if ((log.status === "PENDING" || log.status === "RUNNING") && (await recoverStalledRun(c.var.deps, id)))
      log = (await getLog(c.var.db, id)) ?? log;
    return c.json(envelope(syncLogView(log)), 200);
  })
  .openapi(routes.logs, async (c) => {
    const q = c.req.valid("query");
    const rows = await listLogs(c.var.db, q);
    return c.json(envelope({ logs: rows.map(syncLogView), limit: q.limit, offset: q.offset }), 200);
  })
  .openapi(routes.latest, async (c) => {
    const rows = await latestPerType(c.var.db);
    return c.json(envelope(Object.fromEntries(rows.map((r) => [r.type, syncLogView(r)]))), 200);
  });
