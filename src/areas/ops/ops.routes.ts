// Operations pages for admins: job statistics from our own bookkeeping, dead jobs (list, replay
// under a new attempt id, discard — both audited) and each cron's recent deliveries with the
// outcome of the jobs it enqueued. One SQL request per read.
import { createRoute, z } from "@hono/zod-openapi";
import { access } from "../../access/route-access.ts";
import type { CronSchedule } from "../../platform/jobs.types.ts";
import { authErrors, commonErrors, conflictError, jsonBody, notFoundError } from "../../platform/openapi.ts";
import { PaginationSchema, pageQuery, pagination } from "../../platform/pagination.ts";
import { createRouter } from "../../platform/router.ts";
import { jobStats } from "../../services/jobs/bookkeeping.ts";
import { cronHistory, discardDeadJob, listDeadJobs, replayDeadJob } from "../../services/jobs/dead-jobs.ts";
import { JobStatsSchema } from "../../services/jobs/stats.schema.ts";

const DeadJobSchema = z
  .object({
    id: z.string(),
    queue: z.string(),
    jobType: z.string(),
    attempts: z.number(),
    error: z.string().nullable(),
    body: z.unknown(),
    createdAt: z.string(),
    replayedAt: z.string().nullable(),
    replayJobId: z.string().nullable(),
    notReplayable: z.string().nullable(),
  })
  .openapi("DeadJob");

const CronHistorySchema = z
  .object({
    cron: z.string(),
    jobs: z.array(z.object({ type: z.string(), priority: z.string() })),
    lastScheduledAt: z.string().nullable(),
    runs: z.array(
      z.object({
        scheduledAt: z.string(),
        jobs: z.array(
          z.object({
            jobId: z.string(),
            jobType: z.string(),
            outcome: z.string(),
            attempt: z.number().nullable(),
            at: z.string().nullable(),
            error: z.string().nullable(),
          }),
        ),
      }),
    ),
  })
  .openapi("CronHistory");

const idParam = z.object({ id: z.string().min(1).max(300) });

const routes = {
  stats: createRoute({
    method: "get",
    path: "/api/admin/jobs/stats",
    tags: ["ops"],
    summary:
      "Jobs per queue and type over the last hour and day (enqueued, succeeded, retried, failed, dead-lettered, p50/p95)",
    ...access.admin(),
    responses: {
      200: jsonBody(z.object({ success: z.literal(true), stats: JobStatsSchema })),
      ...commonErrors,
      ...authErrors,
    },
  }),
  dead: createRoute({
    method: "get",
    path: "/api/admin/jobs/dead",
    tags: ["ops"],
    summary: "Dead jobs, newest first (filters: type, queue); bodies with secrets redacted",
    ...access.admin(),
    request: {
      query: z.object({
        type: z.string().max(200).optional(),
        queue: z.string().max(100).optional(),
        ...pageQuery(100, 25),
      }),
    },
    responses: {
      200: jsonBody(
        z.object({ success: z.literal(true), jobs: z.array(DeadJobSchema), pagination: PaginationSchema }),
      ),
      ...commonErrors,
      ...authErrors,
    },
  }),
  replay: createRoute({
    method: "post",
    path: "/api/admin/jobs/dead/{id}/replay",
    tags: ["ops"],
    summary: "Send a dead job again under a new attempt id (once; audited)",
    ...access.admin(),
    request: { params: idParam },
    responses: {
      202: jsonBody(
        z.object({
          success: z.literal(true),
          replay: z.object({
            id: z.string(),
            replayJobId: z.string(),
            jobType: z.string(),
            priority: z.string(),
          }),
        }),
        "Queued",
      ),
      ...notFoundError,
      ...conflictError,
      ...commonErrors,
      ...authErrors,
    },
  }),
  discard: createRoute({
    method: "delete",
    path: "/api/admin/jobs/dead/{id}",
    tags: ["ops"],
    summary: "Discard a dead job (audited)",
    ...access.admin(),
    request: { params: idParam },
    responses: {
      200: jsonBody(z.object({ success: z.literal(true) })),
      ...notFoundError,
      ...commonErrors,
      ...authErrors,
    },
  }),
  crons: createRoute({
    method: "get",
    path: "/api/admin/jobs/crons",
    tags: ["ops"],
    summary: "Each cron: its jobs, its last deliveries and the outcome of the jobs they enqueued",
    ...access.admin(),
    responses: {
      200: jsonBody(z.object({ success: z.literal(true), crons: z.array(CronHistorySchema) })),
      ...commonErrors,
      ...authErrors,
    },
  }),
};

/** The ops routes; the cron schedule comes from the composition level (src/jobs.ts). */
export function opsRoutes(schedule: CronSchedule) {
  return createRouter()
    .openapi(routes.stats, async (c) =>
      c.json({ success: true as const, stats: await jobStats(c.var.db, c.var.deps.now()) }, 200),
    )
    .openapi(routes.dead, async (c) => {
      const q = c.req.valid("query");
      const { rows, total } = await listDeadJobs(c.var.db, q);
      return c.json(
        { success: true as const, jobs: rows, pagination: pagination(q.page, q.pageSize, total) },
        200,
      );
    })
    .openapi(routes.replay, async (c) => {
      const replay = await replayDeadJob(c.var.deps, c.req.valid("param").id);
      return c.json({ success: true as const, replay }, 202);
    })
    .openapi(routes.discard, async (c) => {
      await discardDeadJob(c.var.deps, c.req.valid("param").id);
      return c.json({ success: true as const }, 200);
    })
    .openapi(routes.crons, async (c) =>
      c.json({ success: true as const, crons: await cronHistory(c.var.db, schedule) }, 200),
    );
}
