// GET /api/admin/audit: the audit trail, filtered and paginated, newest first.
import { createRoute, z } from "@hono/zod-openapi";
import { access } from "../../access/route-access.ts";
import { authErrors, commonErrors, jsonBody } from "../../platform/openapi.ts";
import { PaginationSchema, pageQuery, pagination } from "../../platform/pagination.ts";
import { createRouter } from "../../platform/router.ts";
import { listAudit } from "../../services/audit/audit.ts";

const AuditEntrySchema = z
  .object({
    id: z.number(),
    action: z.string(),
    actorType: z.string(),
    actorId: z.string().nullable(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    details: z.unknown(),
    createdAt: z.string(),
  })
  .openapi("AuditEntry");

const route = createRoute({
  method: "get",
  path: "/api/admin/audit",
  tags: ["admin"],
  summary: "The audit trail (filters: action, actorId, targetType, targetId, since, until)",
  ...access.admin(),
  request: {
    query: z.object({
      action: z.string().max(100).optional(),
      actorId: z.string().max(200).optional(),
      targetType: z.string().max(100).optional(),
      targetId: z.string().max(200).optional(),
      since: z.iso.datetime({ offset: true }).optional(),
      until: z.iso.datetime({ offset: true }).optional(),
      ...pageQuery(200, 50),
    }),
  },
  responses: {
    200: jsonBody(
      z.object({ success: z.literal(true), logs: z.array(AuditEntrySchema), pagination: PaginationSchema }),
    ),
    ...commonErrors,
    ...authErrors,
  },
});

export const auditRoutes = createRouter().openapi(route, async (c) => {
  const q = c.req.valid("query");
  const { rows, total } = await listAudit(c.var.db, {
    ...q,
    since: q.since ? new Date(q.since) : undefined,
    until: q.until ? new Date(q.until) : undefined,
  });
  const logs = rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
  return c.json({ success: true as const, logs, pagination: pagination(q.page, q.pageSize, total) }, 200);
});
