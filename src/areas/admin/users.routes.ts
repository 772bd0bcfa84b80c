// /api/admin/users (list with filters) and /api/admin/users/roles (role changes, audited).
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { currentUser } from "../../access/authenticate.ts";
import { access } from "../../access/route-access.ts";
import { users } from "../../platform/db/schema/index.ts";
import { AppError } from "../../platform/errors.ts";
import {
  authErrors,
  commonErrors,
  enumOr,
  jsonBody,
  jsonRequestBody,
  notFoundError,
} from "../../platform/openapi.ts";
import { PaginationSchema, pageQuery, pagination } from "../../platform/pagination.ts";
import { createRouter } from "../../platform/router.ts";
import { auditInsert } from "../../services/audit/audit.ts";
import {
  adminUserView,
  findUser,
  listUsers,
  planRoleChange,
  ROLES,
  USER_FILTERS,
  USER_SORTS,
} from "./users.service.ts";

const AdminUserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    username: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    pterodactylId: z.number().nullable(),
    panelEmail: z
      .string()
      .nullable()
      .openapi({ description: "The panel account's e-mail (never the login)" }),
    emailDiffersFromPanel: z.boolean(),
    roles: z.array(z.string()),
    isPterodactylAdmin: z.boolean(),
    isVirtfusionAdmin: z.boolean(),
    isSystemAdmin: z.boolean(),
    isMigrated: z.boolean(),
    isActive: z.boolean(),
    emailVerified: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastLoginAt: z.string().nullable(),
    serverCount: z.number(),
  })
  .openapi("AdminUser");

const list = createRoute({
  method: "get",
  path: "/api/admin/users",
  tags: ["admin"],
  summary: "Users, searchable and filterable (one SQL request)",
  ...access.admin(),
  request: {
    query: z.object({
      search: z.string().max(200).optional(),
      filter: enumOr(USER_FILTERS, "all"),
      sort: enumOr(USER_SORTS, "created"),
      order: enumOr(["asc", "desc"] as const, "desc"),
      ...pageQuery(100, 25),
    }),
  },
  responses: {
    200: jsonBody(
      z.object({ success: z.literal(true), users: z.array(AdminUserSchema), pagination: PaginationSchema }),
    ),
    ...commonErrors,
    ...authErrors,
  },
});

const roles = createRoute({
  method: "post",
  path: "/api/admin/users/roles",
  tags: ["admin"],
  summary: "Set a user's roles (only a SUPER_ADMIN may grant or remove SUPER_ADMIN)",
  ...access.admin(),
  request: {
    body: jsonRequestBody(
      z.object({
        userId: z.string().min(1).max(200),
        roles: z.array(z.enum(ROLES)).max(ROLES.length),
        isSystemAdmin: z.boolean().optional(),
      }),
    ),
  },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        data: z.object({ userId: z.string(), roles: z.array(z.string()), isSystemAdmin: z.boolean() }),
      }),
    ),
    ...notFoundError,
    ...commonErrors,
    ...authErrors,
  },
});

export const adminUserRoutes = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const { rows, total } = await listUsers(c.var.db, q);
    return c.json(
      {
        success: true as const,
        users: rows.map((r) => adminUserView(r.user, r.serverCount)),
        pagination: pagination(q.page, q.pageSize, total),
      },
      200,
    );
  })
  .openapi(roles, async (c) => {
    const input = c.req.valid("json");
    const actor = currentUser(c);
    const target = await findUser(c.var.db, input.userId);
    if (!target) throw new AppError("NOT_FOUND", "User not found");
    const next = planRoleChange(actor, target, input.roles, input.isSystemAdmin);
    await c.var.db.batch([
      c.var.db
        .update(users)
        .set({ roles: next.roles, isSystemAdmin: next.isSystemAdmin, updatedAt: c.var.deps.now() })
        .where(eq(users.id, target.id)),
      auditInsert(c.var.db, {
        action: "user.roles_changed",
        actor: c.var.deps.actor,
        targetType: "user",
        targetId: target.id,
        details: {
          before: { roles: target.roles, isSystemAdmin: target.isSystemAdmin },
          after: next,
        },
      }),
    ]);
    return c.json({ success: true as const, data: { userId: target.id, ...next } }, 200);
  });
