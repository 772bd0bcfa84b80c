// /api/v1/auth/*: upstream's paths, bodies and answer fields; errors keep upstream's snake_case
// `error` values. check-email and users/:id need a caller (no anonymous account oracle).
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { authenticateUser, principalOf } from "../../access/authenticate.ts";
import { access } from "../../access/route-access.ts";
import { users } from "../../platform/db/schema/index.ts";
import { isValidEmail, normalizeEmail } from "../../platform/email-address.ts";
import { AppError } from "../../platform/errors.ts";
import {
  authErrors,
  commonErrors,
  conflictError,
  jsonBody,
  jsonRequestBody,
  notFoundError,
} from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import type { AppEnv } from "../../platform/types.ts";
import {
  forgotPassword,
  register,
  requestMagicLink,
  resetPassword,
  verifyEmail,
} from "../../services/accounts/email-flows.ts";
import {
  login,
  logout,
  refresh,
  validateCredentials,
  verifyMagicLink,
} from "../../services/accounts/sessions.ts";
import { authError, findUserByEmail, userData } from "../../services/accounts/users.ts";
import type { LimitName } from "../../services/rate-limit/limits.ts";
import * as schemas from "./auth.schemas.ts";

const post = <T extends z.ZodType>(
  path: string,
  summary: string,
  schema: T,
  ok: object,
  limits: LimitName[] = [],
) =>
  createRoute({
    method: "post",
    path: `/api/v1/auth${path}`,
    tags: ["auth"],
    summary,
    ...access.public(limits),
    request: { body: jsonRequestBody(schema) },
    responses: { 200: ok, ...commonErrors, ...authErrors, ...conflictError },
  });

const ok = (description: string) => jsonBody(schemas.MessageSchema, description);

const routes = {
  login: post(
    "/login",
    "Sign in with e-mail and password",
    schemas.CredentialsBody,
    jsonBody(schemas.TokenAnswerSchema),
    ["auth.login.ip", "auth.login.email"],
  ),
  register: createRoute({
    method: "post",
    path: "/api/v1/auth/register",
    tags: ["auth"],
    summary: "Create an account (honours the registration_enabled setting)",
    ...access.public(["auth.register.ip"]),
    request: { body: jsonRequestBody(schemas.RegisterBody) },
    responses: {
      201: ok("Registered; a verification e-mail is queued"),
      ...commonErrors,
      ...authErrors,
      ...conflictError,
    },
  }),
  validate: post(
    "/validate",
    "Check credentials (NextAuth credentials provider)",
    schemas.CredentialsBody,
    jsonBody(schemas.UserAnswerSchema),
    ["auth.login.ip", "auth.login.email"],
  ),
  verifyEmail: post(
    "/verify-email",
    "Confirm an e-mail address (or an e-mail change)",
    schemas.TokenIdBody,
    ok("Verified"),
  ),
  forgotPassword: post(
    "/forgot-password",
    "E-mail a password reset link (same answer for unknown e-mails)",
    schemas.EmailBody,
    ok("Queued"),
    ["auth.forgot.ip", "auth.forgot.email"],
  ),
  resetPassword: post(
    "/reset-password",
    "Set a new password with a reset token",
    schemas.ResetBody,
    ok("Password reset"),
  ),
  magicLink: post(
    "/magic-link",
    "E-mail a sign-in link (same answer for unknown e-mails)",
    schemas.EmailBody,
    ok("Queued"),
    ["auth.magic.ip", "auth.magic.email"],
  ),
  magicLinkVerify: post(
    "/magic-link/verify",
    "Sign in with a magic-link token",
    schemas.TokenBody,
    jsonBody(schemas.TokenAnswerSchema),
  ),
  refresh: post(
    "/refresh",
    "Rotate a refresh token for a new token pair",
    schemas.RefreshBody,
    jsonBody(schemas.TokenAnswerSchema),
  ),
  logout: post(
    "/logout",
    "Revoke refresh tokens (all of them with a valid access token)",
    schemas.RefreshBody,
    ok("Logged out"),
  ),
  me: createRoute({
    method: "get",
    path: "/api/v1/auth/me",
    tags: ["auth"],
    summary: "The signed-in user",
    // Not access.member(): /me answers upstream's snake_case errors from its own check.
    security: [{ bearerAuth: [] as string[] }],
    "x-access": "member",
    responses: { 200: jsonBody(schemas.UserAnswerSchema), ...commonErrors, ...authErrors },
  }),
  checkEmail: createRoute({
    method: "get",
    path: "/api/v1/auth/check-email",
    tags: ["auth"],
    summary: "Whether an account exists (admins and service keys only: not an anonymous oracle)",
    ...access.memberOrService("stats", ["auth.check-email"]),
    request: { query: z.object({ email: z.string().max(320).optional() }) },
    responses: {
      200: jsonBody(z.object({ success: z.literal(true), exists: z.boolean() })),
      ...commonErrors,
      ...authErrors,
    },
  }),
  userById: createRoute({
    method: "get",
    path: "/api/v1/auth/users/{id}",
    tags: ["auth"],
    summary: "A user by id (the user themself, admins, or service keys)",
    ...access.memberOrService("stats"),
    request: { params: z.object({ id: z.string().min(1).max(200) }) },
    responses: {
      200: jsonBody(schemas.UserAnswerSchema),
      ...commonErrors,
      ...authErrors,
      ...notFoundError,
    },
  }),
};

/** Admins and service keys may look anyone up; a member only themself. */
function mayReadOthers(c: Context<AppEnv>): boolean {
  const p = principalOf(c);
  return p.kind === "service" || p.isAdmin;
}

export const authRoutes = createRouter({ publicError: "invalid_request" })
  .openapi(routes.login, async (c) => {
    const result = await login(c.var.deps, c.req.valid("json"));
    return c.json({ success: true as const, message: "Login successful", ...result }, 200);
  })
  .openapi(routes.register, async (c) => {
    await register(c.var.deps, c.req.valid("json"));
    return c.json(
      { success: true as const, message: "Registration successful. Please verify your email." },
      201,
    );
  })
  .openapi(routes.validate, async (c) => {
    const user = await validateCredentials(c.var.deps, c.req.valid("json"));
    return c.json({ success: true as const, user }, 200);
  })
  .openapi(routes.verifyEmail, async (c) => {
    await verifyEmail(c.var.deps, c.req.valid("json"));
    return c.json({ success: true as const, message: "Email verified successfully" }, 200);
  })
  .openapi(routes.forgotPassword, async (c) => {
    await forgotPassword(c.var.deps, c.req.valid("json"));
    return c.json(
      {
        success: true as const,
        message: "If an account exists with that email, you will receive a password reset link",
      },
      200,
    );
  })
  .openapi(routes.resetPassword, async (c) => {
    await resetPassword(c.var.deps, c.req.valid("json"));
    return c.json({ success: true as const, message: "Password reset successfully" }, 200);
  })
  .openapi(routes.magicLink, async (c) => {
    await requestMagicLink(c.var.deps, c.req.valid("json"));
    return c.json(
      { success: true as const, message: "If an account exists with that email, a magic link will be sent" },
      200,
    );
  })
  .openapi(routes.magicLinkVerify, async (c) => {
    const result = await verifyMagicLink(c.var.deps, c.req.valid("json"));
    return c.json({ success: true as const, message: "Magic link verified", ...result }, 200);
  })
  .openapi(routes.refresh, async (c) => {
    const result = await refresh(c.var.deps, c.req.valid("json"));
    return c.json({ success: true as const, message: "Token refreshed", ...result }, 200);
  })
  .openapi(routes.logout, async (c) => {
    let userId: string | undefined;
    if (c.req.header("authorization")) {
      userId = await authenticateUser(c).then(
        (u) => u.id,
        () => undefined,
      );
    }
    await logout(c.var.deps, c.req.valid("json"), userId);
    return c.json({ success: true as const, message: "Logged out successfully" }, 200);
  })
  .openapi(routes.me, async (c) => {
    const user = await authenticateUser(c);
    return c.json({ success: true as const, user: userData(user) }, 200);
  })
  .openapi(routes.checkEmail, async (c) => {
    if (!mayReadOthers(c)) throw new AppError("FORBIDDEN", "Admin access required");
    const email = c.req.valid("query").email;
    if (!email) throw authError("INVALID_REQUEST", "missing_email");
    if (!isValidEmail(normalizeEmail(email))) throw authError("INVALID_REQUEST", "invalid_email");
    return c.json({ success: true as const, exists: Boolean(await findUserByEmail(c.var.db, email)) }, 200);
  })
  .openapi(routes.userById, async (c) => {
    const { id } = c.req.valid("param");
    const p = principalOf(c);
    if (!mayReadOthers(c) && !(p.kind === "user" && p.user.id === id)) {
      throw new AppError("FORBIDDEN", "You may only read your own account");
    }
    const [user] = await c.var.db.select().from(users).where(eq(users.id, id));
    if (!user) throw new AppError("NOT_FOUND", "User not found", { publicError: "user_not_found" });
    return c.json({ success: true as const, user: userData(user) }, 200);
  });
