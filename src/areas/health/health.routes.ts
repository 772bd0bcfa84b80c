// GET /health: a DB round trip with latency and the queue bindings, in upstream's field names.
import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { access } from "../../access/route-access.ts";
import { jsonBody } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import { APP_VERSION } from "../../platform/version.ts";

const HealthSchema = z
  .object({
    status: z.enum(["healthy", "unhealthy"]),
    database: z.object({
      status: z.enum(["connected", "disconnected"]),
      latencyMs: z.number().optional(),
      error: z.string().optional(),
    }),
    workers: z.object({
      status: z.enum(["running", "degraded"]),
      queues: z.record(z.string(), z.boolean()),
    }),
    service: z.string(),
    version: z.string(),
    timestamp: z.string(),
    checks: z.object({ database: z.string(), workers: z.string(), api: z.string() }),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/health",
  tags: ["public"],
  summary: "Liveness and database round trip",
  ...access.public(),
  responses: { 200: jsonBody(HealthSchema, "Healthy"), 503: jsonBody(HealthSchema, "Unhealthy") },
});

export const healthRoutes = createRouter().openapi(route, async (c) => {
  const { db, config } = c.var;
  const queues = {
    critical: typeof config.queues.critical.send === "function",
    default: typeof config.queues.default.send === "function",
    low: typeof config.queues.low.send === "function",
  };
  const queuesOk = Object.values(queues).every(Boolean);
  const started = Date.now();
  let dbError: string | undefined;
  try {
    await db.execute(sql`select 1`);
  } catch (err) {
    dbError = "database unreachable";
    c.var.log("error", "health: database check failed", { error: err });
  }
  const latencyMs = Date.now() - started;
  const healthy = !dbError && queuesOk;
  const body = {
    status: healthy ? ("healthy" as const) : ("unhealthy" as const),
    database: dbError
      ? { status: "disconnected" as const, error: dbError }
      : { status: "connected" as const, latencyMs },
    workers: { status: queuesOk ? ("running" as const) : ("degraded" as const), queues },
    service: "nodebyte-backend",
    version: APP_VERSION,
    timestamp: c.var.deps.now().toISOString(),
    checks: { database: dbError ? "error" : "ok", workers: queuesOk ? "ok" : "error", api: "ok" },
  };
  return healthy ? c.json(body, 200) : c.json(body, 503);
});
