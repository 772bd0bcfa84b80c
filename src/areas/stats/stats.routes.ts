// Public stats: GET /api/stats and GET /api/panel/counts (upstream's `{success, data, message}`).
// Unknown query parameters (the website's hooks send `staleTime`, `gcTime`) are ignored.
import { createRoute, z } from "@hono/zod-openapi";
import { access } from "../../access/route-access.ts";
import { envelope } from "../../platform/envelope.ts";
import { commonErrors, jsonBody } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import { panelCounts, publicStats } from "./stats.service.ts";

const count = z.number().int().nonnegative();

const PublicStatsSchema = z
  .object({
    success: z.literal(true),
    data: z.object({ totalServers: count, totalUsers: count, activeUsers: count, totalAllocations: count }),
    message: z.string(),
  })
  .openapi("PublicStats");

const PanelCountsSchema = z
  .object({
    success: z.literal(true),
    data: z.object({ nodes: count, servers: count, users: count, allocations: count, nests: count }),
    message: z.string(),
  })
  .openapi("PanelCounts");

const statsRoute = createRoute({
  method: "get",
  path: "/api/stats",
  tags: ["public"],
  summary: "Public totals (one SQL request)",
  ...access.public(["public.stats"]),
  responses: { 200: jsonBody(PublicStatsSchema), ...commonErrors },
});

const countsRoute = createRoute({
  method: "get",
  path: "/api/panel/counts",
  tags: ["public"],
  summary: "Panel object counts; allocations counts assigned ones only (one SQL request)",
  ...access.public(["public.stats"]),
  responses: { 200: jsonBody(PanelCountsSchema), ...commonErrors },
});

export const statsRoutes = createRouter()
  .openapi(statsRoute, async (c) => c.json(envelope(await publicStats(c.var.db)), 200))
  .openapi(countsRoute, async (c) => c.json(envelope(await panelCounts(c.var.db)), 200));
