// /api/v1/dashboard/*: any signed-in member (upstream made these admin-only by accident), with
// the exact fields of website-client §4.5: lowercase statuses, numbers never null.
import { createRoute, z } from "@hono/zod-openapi";
import { currentUser, principalOf } from "../../access/authenticate.ts";
import { access } from "../../access/route-access.ts";
import { looseFlag } from "../../platform/flags.ts";
import {
  authErrors,
  commonErrors,
  conflictError,
  enumOr,
  jsonBody,
  jsonRequestBody,
} from "../../platform/openapi.ts";
import { clampedSize } from "../../platform/pagination.ts";
import { createRouter } from "../../platform/router.ts";
import { DASHBOARD_STATUS_FILTERS } from "../../services/servers/servers.ts";
import {
  accountView,
  changePassword,
  requestEmailChange,
  resendVerification,
  updateProfile,
} from "./account.service.ts";
import { dashboardServers, dashboardStats } from "./dashboard.service.ts";

const base = "/api/v1/dashboard";
const tags = ["dashboard"];
const errors = { ...commonErrors, ...authErrors, ...conflictError };

const Resources = z.object({ used: z.number(), limit: z.number() });
const DashboardServer = z
  .object({
    id: z.string(),
    uuid: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    status: z.string(),
    isSuspended: z.boolean(),
    game: z.string(),
    node: z.string(),
    ip: z.string().nullable(),
    port: z.number().nullable(),
    owner: z.object({ id: z.string(), username: z.string(), email: z.string() }).optional(),
    resources: z.object({ memory: Resources, cpu: Resources, disk: Resources }),
    createdAt: z.string(),
    liveAt: z
      .string()
      .nullable()
      .describe(
        "When status and resources.*.used were read from the panel (≤ 20 s cached); null: the mirror's status and 0",
      ),
  })
  .openapi("DashboardServer");
const LiveSummary = z
  .object({
    servers: z.number().describe("servers answered with live state"),
    fromMirror: z.number().describe("servers answered with the mirror's values"),
    reason: z
      .enum(["not_configured", "budget", "timeout", "panel"])
      .nullable()
      .describe(
        "why some are the mirror's: no client key, the interactive budget is short, the panel was slow, the panel refused",
      ),
  })
  .openapi("DashboardLiveState");
const Account = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    phoneNumber: z.string().nullable(),
    companyName: z.string().nullable(),
    billingEmail: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    accountBalance: z.number(),
    createdAt: z.string(),
    emailVerified: z.boolean(),
    lastLoginAt: z.string().nullable(),
    roles: z.array(z.string()),
  })
  .openapi("Account");
const Message = z.object({ success: z.literal(true), message: z.string() });

const routes = {
  stats: createRoute({
    method: "get",
    path: `${base}/stats`,
    tags,
    summary: "Counts and recent servers of the signed-in member",
    ...access.member(),
    responses: {
      200: jsonBody(
        z.object({
          success: z.literal(true),
          data: z.object({
            servers: z.object({
              total: z.number(),
              online: z.number(),
              offline: z.number(),
              suspended: z.number(),
            }),
            recentServers: z.array(DashboardServer),
            accountBalance: z.number(),
            openTickets: z.number(),
            live: LiveSummary,
          }),
        }),
      ),
      ...errors,
    },
  }),
  servers: createRoute({
    method: "get",
    path: `${base}/servers`,
    tags,
    summary: "The member's servers (admins: view_all=true for every server)",
    ...access.member(),
    request: {
      query: z.object({
        page: z.coerce.number().int().min(1).max(1_000_000).default(1),
        per_page: clampedSize(50, 12),
        search: z.string().max(200).optional(),
        status: enumOr(DASHBOARD_STATUS_FILTERS, "all"),
        view_all: looseFlag,
      }),
    },
    responses: {
      200: jsonBody(
        z.object({
          success: z.literal(true),
          data: z.array(DashboardServer),
          meta: z.object({
            live: LiveSummary,
            total: z.number(),
            page: z.number(),
            perPage: z.number(),
            totalPages: z.number(),
          }),
        }),
      ),
      ...errors,
    },
  }),
  account: createRoute({
    method: "get",
    path: `${base}/account`,
    tags,
    summary: "The member's account",
    ...access.member(),
    responses: { 200: jsonBody(z.object({ success: z.literal(true), data: Account })), ...errors },
  }),
  updateAccount: createRoute({
    method: "put",
    path: `${base}/account`,
    tags,
    summary: "Edit profile fields (the e-mail changes through change-email)",
    ...access.member(),
    request: {
      body: jsonRequestBody(
        z.object({
          username: z.string().max(64).optional(),
          email: z.string().max(320).optional(),
          firstName: z.string().max(100).nullable().optional(),
          lastName: z.string().max(100).nullable().optional(),
          phoneNumber: z.string().max(50).nullable().optional(),
          companyName: z.string().max(200).nullable().optional(),
          billingEmail: z.string().max(320).nullable().optional(),
        }),
      ),
    },
    responses: { 200: jsonBody(Message.extend({ data: Account })), ...errors },
  }),
  password: createRoute({
    method: "put",
    path: `${base}/account/password`,
    tags,
    summary: "Change password (signs out every other session)",
    ...access.member(["account.password.user"]),
    request: {
      body: jsonRequestBody(
        z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().min(1).max(1024) }),
      ),
    },
    responses: { 200: jsonBody(Message), ...errors },
  }),
  resend: createRoute({
    method: "post",
    path: `${base}/account/resend-verification`,
    tags,
    summary: "Send the verification e-mail again",
    ...access.member(),
    responses: { 200: jsonBody(Message), ...errors },
  }),
  changeEmail: createRoute({
    method: "post",
    path: `${base}/account/change-email`,
    tags,
    summary: "Ask to change the e-mail: the new address must confirm before it is used",
    ...access.member(["account.email.user"]),
    request: {
      body: jsonRequestBody(
        z.object({ newEmail: z.string().min(1).max(320), currentPassword: z.string().min(1).max(1024) }),
      ),
    },
    responses: { 200: jsonBody(Message), ...errors },
  }),
};

export const dashboardRoutes = createRouter()
  .openapi(routes.stats, async (c) => {
    return c.json({ success: true as const, data: await dashboardStats(c.var.deps, currentUser(c).id) }, 200);
  })
  .openapi(routes.servers, async (c) => {
    const q = c.req.valid("query");
    const p = principalOf(c);
    const result = await dashboardServers(c.var.deps, {
      userId: currentUser(c).id,
      viewAll: q.view_all && p.kind === "user" && p.isAdmin,
      page: q.page,
      perPage: q.per_page,
      search: q.search,
      status: q.status,
    });
    return c.json({ success: true as const, ...result }, 200);
  })
  .openapi(routes.account, async (c) =>
    c.json({ success: true as const, data: accountView(currentUser(c)) }, 200),
  )
  .openapi(routes.updateAccount, async (c) => {
    const user = await updateProfile(c.var.deps, currentUser(c), c.req.valid("json"));
    return c.json(
      { success: true as const, message: "Account updated successfully", data: accountView(user) },
      200,
    );
  })
  .openapi(routes.password, async (c) => {
    await changePassword(c.var.deps, currentUser(c), c.req.valid("json"));
    return c.json({ success: true as const, message: "Password changed successfully" }, 200);
  })
  .openapi(routes.resend, async (c) => {
    await resendVerification(c.var.deps, currentUser(c));
    return c.json({ success: true as const, message: "Verification email sent" }, 200);
  })
  .openapi(routes.changeEmail, async (c) => {
    await requestEmailChange(c.var.deps, currentUser(c), c.req.valid("json"));
    return c.json(
      { success: true as const, message: "Check your new email address to confirm the change." },
      200,
    );
  });
