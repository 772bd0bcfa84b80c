// Service and admin stats: /api/v1/stats/{overview,servers,users,admin}, /api/v1/queues/stats
// (service key, upstream's `{success, data, message}`), and /api/admin/stats. One SQL request each.
import { createRoute, z } from "@hono/zod-openapi";
import { access } from "../../access/route-access.ts";
import { envelope, envelopeBody } from "../../platform/envelope.ts";
import { authErrors, commonErrors } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import { JobStatsSchema } from "../../services/jobs/stats.schema.ts";
import { adminStats, overviewStats, queueStats, serverStats, userStats } from "./stats.service.ts";

const counts = z.record(z.string(), z.number());
const AdminStats = z
  .object({
    totalServers: z.number(),
    suspendedServers: z.number(),
    totalUsers: z.number(),
    totalNodes: z.number(),
    totalAllocations: z.number(),
    usedAllocations: z.number(),
    availableAllocations: z.number(),
  })
  .openapi("AdminStats");

const get = <T extends z.ZodType>(
  path: string,
  summary: string,
  data: T,
  access_: ReturnType<typeof access.admin> | ReturnType<typeof access.service>,
) =>
  createRoute({
    method: "get",
    path,
    tags: ["stats"],
    summary,
    ...access_,
    responses: { 200: envelopeBody(data), ...commonErrors, ...authErrors },
  });

const routes = {
  overview: get("/api/v1/stats/overview", "Totals of every mirrored object", counts, access.service("stats")),
  servers: get(
    "/api/v1/stats/servers",
    "Servers by status and by node",
    z.object({ by_status: counts, by_node: counts }),
    access.service("stats"),
  ),
  users: get("/api/v1/stats/users", "User totals", counts, access.service("stats")),
  admin: get("/api/v1/stats/admin", "Admin totals", AdminStats, access.service("stats")),
  adminBearer: get("/api/admin/stats", "Admin totals", AdminStats, access.admin()),
  queues: get(
    "/api/v1/queues/stats",
    "Queues, dead jobs and job statistics (last hour and day)",
    z.object({
      queues: z.array(z.string()),
      queueNames: z.array(z.string()),
      deadJobs: z.object({ total: z.number(), byType: counts, lastAt: z.string().nullable() }),
      jobs: JobStatsSchema,
    }),
    access.service("stats"),
  ),
};

export const serviceStatsRoutes = createRouter()
  .openapi(routes.overview, async (c) => c.json(envelope(await overviewStats(c.var.db)), 200))
  .openapi(routes.servers, async (c) => c.json(envelope(await serverStats(c.var.db)), 200))
  .openapi(routes.users, async (c) => c.json(envelope(await userStats(c.var.db)), 200))
  .openapi(routes.admin, async (c) => c.json(envelope(await adminStats(c.var.db)), 200))
  .openapi(routes.adminBearer, async (c) => c.json(envelope(await adminStats(c.var.db)), 200))
  .openapi(routes.queues, async (c) => c.json(envelope(await queueStats(c.var.db, c.var.deps.now())), 200));
