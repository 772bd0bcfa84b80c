// /api/admin/rate-limits: the configured limits with their effective values, and run-time
// overrides stored in `config` (no redeploy; other isolates pick them up within 30 s).
import { createRoute, z } from "@hono/zod-openapi";
import { access } from "../../access/route-access.ts";
import { AppError } from "../../platform/errors.ts";
import { authErrors, commonErrors, jsonBody, jsonRequestBody } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import {
  effectiveLimits,
  forgetOverrides,
  LIMITS,
  type LimitName,
  overrideKey,
} from "../../services/rate-limit/limits.ts";
import { removeSettings, writeSettings } from "../../services/settings/settings.ts";

const LimitSchema = z
  .object({
    name: z.string(),
    key: z.string(),
    capacity: z.number(),
    periodSeconds: z.number(),
    enabled: z.boolean(),
    overridden: z.boolean(),
    description: z.string(),
  })
  .openapi("RateLimit");

const names = Object.keys(LIMITS) as [LimitName, ...LimitName[]];
const Answer = jsonBody(z.object({ success: z.literal(true), limits: z.array(LimitSchema) }));

const list = createRoute({
  method: "get",
  path: "/api/admin/rate-limits",
  tags: ["admin"],
  summary: "Configured rate limits and their effective values",
  ...access.admin(),
  responses: { 200: Answer, ...commonErrors, ...authErrors },
});

const put = createRoute({
  method: "put",
  path: "/api/admin/rate-limits/{name}",
  tags: ["admin"],
  summary: "Override a limit at run time (stored in config)",
  ...access.admin(),
  request: {
    params: z.object({ name: z.enum(names) }),
    body: jsonRequestBody(
      z.object({
        capacity: z.number().int().min(1).max(1_000_000_000).optional(),
        periodSeconds: z
          .number()
          .int()
          .min(1)
          .max(30 * 24 * 3600)
          .optional(),
        enabled: z.boolean().optional(),
      }),
    ),
  },
  responses: { 200: Answer, ...commonErrors, ...authErrors },
});

const remove = createRoute({
  method: "delete",
  path: "/api/admin/rate-limits/{name}",
  tags: ["admin"],
  summary: "Drop a limit's override (back to the default)",
  ...access.admin(),
  request: { params: z.object({ name: z.enum(names) }) },
  responses: { 200: Answer, ...commonErrors, ...authErrors },
});

function view(limits: Awaited<ReturnType<typeof effectiveLimits>>) {
  return limits.map(({ name, key, capacity, periodSeconds, enabled, overridden, description }) => ({
    name,
    key,
    capacity,
    periodSeconds,
    enabled,
    overridden,
    description,
  }));
}

export const rateLimitRoutes = createRouter()
  .openapi(list, async (c) =>
    c.json({ success: true as const, limits: view(await effectiveLimits(c.var.deps)) }, 200),
  )
  .openapi(put, async (c) => {
    const { name } = c.req.valid("param");
    const override = c.req.valid("json");
    if (Object.keys(override).length === 0) throw new AppError("INVALID_REQUEST", "Nothing to override");
    await writeSettings(
      c.var.deps,
      { [overrideKey(name)]: override },
      { action: "settings.rate_limit_changed", targetType: "rate_limit", targetId: name, details: override },
    );
    forgetOverrides();
    return c.json({ success: true as const, limits: view(await effectiveLimits(c.var.deps)) }, 200);
  })
  .openapi(remove, async (c) => {
    const { name } = c.req.valid("param");
    await removeSettings(c.var.deps, [overrideKey(name)], {
      action: "settings.rate_limit_reset",
      targetType: "rate_limit",
      targetId: name,
    });
    forgetOverrides();
    return c.json({ success: true as const, limits: view(await effectiveLimits(c.var.deps)) }, 200);
  });
