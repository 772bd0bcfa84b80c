// /api/v1/hytale/oauth/*: device-code, token, refresh, profiles, select-profile. A member acts on
// their own account, admins and `hytale` service keys on any. Answers are upstream's top-level
// snake_case fields; a refresh token is never returned to anyone.
import { createRoute } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import { principalOf } from "../../access/authenticate.ts";
import { access } from "../../access/route-access.ts";
import { hytaleOauthTokens } from "../../platform/db/schema/index.ts";
import { AppError } from "../../platform/errors.ts";
import {
  authErrors,
  commonErrors,
  jsonBody,
  jsonRequestBody,
  notFoundError,
} from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import type { AppEnv } from "../../platform/types.ts";
import { grantError, grantStub } from "../../services/hytale/grant-client.ts";
import { refreshTokenHash } from "../../services/hytale/grant-record.ts";
import { hytaleAuditInserts } from "../../services/hytale/hytale-audit.ts";
import { pollDeviceFlow, startDeviceFlow } from "./device-flow.ts";
import {
  AccountBody,
  DeviceCodeAnswer,
  DeviceCodeBody,
  OAuthErrorAnswer,
  ProfilesAnswer,
  RefreshBody,
  SelectProfileAnswer,
  SelectProfileBody,
  TokenAnswerSchema,
  TokenBody,
} from "./hytale.schemas.ts";
import { callerKey, hytaleCaller, resolveAccount } from "./hytale-account.ts";

const tags = ["hytale"];
const peerErrors = {
  409: jsonBody(OAuthErrorAnswer, "The account must be linked again"),
  502: jsonBody(OAuthErrorAnswer, "The Hytale peer failed"),
  504: jsonBody(OAuthErrorAnswer, "The Hytale peer did not answer in time"),
};

const deviceCode = createRoute({
  method: "post",
  path: "/api/v1/hytale/oauth/device-code",
  tags,
  summary: "Start linking a Hytale account (RFC 8628 device authorization); the body may be empty",
  ...access.memberOrService("hytale", ["hytale.device-code"]),
  request: { body: jsonRequestBody(DeviceCodeBody, false) },
  responses: { 200: jsonBody(DeviceCodeAnswer), ...commonErrors, ...authErrors, ...peerErrors },
});

const token = createRoute({
  method: "post",
  path: "/api/v1/hytale/oauth/token",
  tags,
  summary: "Poll a device code at its interval: 202 while pending, the access token once approved",
  ...access.memberOrService("hytale"),
  request: { body: jsonRequestBody(TokenBody) },
  responses: {
    200: jsonBody(TokenAnswerSchema),
    202: jsonBody(OAuthErrorAnswer, "authorization_pending (keep polling at `interval`)"),
    ...commonErrors,
    400: jsonBody(
      OAuthErrorAnswer,
      "expired_token, access_denied, invalid_grant (start again), or a bad body",
    ),
    ...authErrors,
    ...peerErrors,
  },
});

const refresh = createRoute({
  method: "post",
  path: "/api/v1/hytale/oauth/refresh",
  tags,
  summary: "A fresh access token for the account (its refresh token never leaves the server)",
  ...access.memberOrService("hytale", ["hytale.refresh"]),
  request: { body: jsonRequestBody(RefreshBody, false) },
  responses: {
    200: jsonBody(TokenAnswerSchema),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
    ...peerErrors,
  },
});

const profiles = createRoute({
  method: "post",
  path: "/api/v1/hytale/oauth/profiles",
  tags,
  summary: "The linked account's game profiles (cached for a minute)",
  ...access.memberOrService("hytale", ["hytale.session"]),
  request: { body: jsonRequestBody(AccountBody, false) },
  responses: {
    200: jsonBody(ProfilesAnswer),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
    ...peerErrors,
  },
});

const selectProfile = createRoute({
  method: "post",
  path: "/api/v1/hytale/oauth/select-profile",
  tags,
  summary: "Select one of the account's own profiles",
  ...access.memberOrService("hytale", ["hytale.session"]),
  request: { body: jsonRequestBody(SelectProfileBody) },
  responses: {
    200: jsonBody(SelectProfileAnswer),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
    ...peerErrors,
  },
});

/** The account a refresh acts on: named, or found by the refresh token the documented client sends. */
async function refreshAccount(c: Context<AppEnv>, body: { account_id?: string; refresh_token?: string }) {
  if (body.refresh_token === undefined) return hytaleCaller(c, body.account_id).accountId;
  const [row] = await c.var.db
    .select({ accountId: hytaleOauthTokens.accountId })
    .from(hytaleOauthTokens)
    .where(eq(hytaleOauthTokens.refreshTokenHash, await refreshTokenHash(body.refresh_token)));
  if (!row || (body.account_id !== undefined && body.account_id !== row.accountId)) {
    throw new AppError("INVALID_REQUEST", "Unknown or outdated refresh token", {
      publicError: "invalid_grant",
    });
  }
  return resolveAccount(principalOf(c), row.accountId).accountId;
}

export const hytaleOauthRoutes = createRouter()
  .openapi(deviceCode, async (c) => {
    const body = c.req.valid("json") ?? {};
    const auth = await startDeviceFlow(c.var.deps, hytaleCaller(c, body.account_id));
    return c.json({ success: true as const, ...auth }, 200);
  })
  .openapi(token, async (c) => {
    const body = c.req.valid("json");
    const p = principalOf(c);
    // A member's own account is implied; a different account_id is refused by the binding.
    if (p.kind === "user" && !p.isAdmin) resolveAccount(p, body.account_id);
    const outcome = await pollDeviceFlow(c.var.deps, callerKey(p), body.account_id, body.device_code);
    if (outcome.kind === "pending") {
      const pending = {
        success: false as const,
        error: "authorization_pending",
        error_description: "User has not yet authorized the device",
        interval: outcome.interval,
      };
      return c.json(pending, 202);
    }
    if (outcome.kind === "error") {
      const body = {
        success: false as const,
        error: outcome.error,
        error_description: outcome.description,
        code: "INVALID_REQUEST",
        requestId: c.get("requestId"),
      };
      return c.json(body, 400);
    }
    const { kind: _, ...tokens } = outcome;
    return c.json({ success: true as const, ...tokens }, 200);
  })
  .openapi(refresh, async (c) => {
    const accountId = await refreshAccount(c, c.req.valid("json") ?? {});
    const result = await grantStub(c.var.deps, accountId).access({
      accountId,
      actor: c.var.deps.actor,
      withToken: true,
      force: true,
    });
    if (!result.ok) throw grantError(result);
    const expiresIn = Math.max(
      0,
      Math.floor((result.accessTokenExpiresAt - c.var.deps.now().getTime()) / 1000),
    );
    return c.json(
      {
        success: true as const,
        access_token: result.accessToken ?? "",
        expires_in: expiresIn,
        token_type: result.tokenType,
        scope: result.scope,
      },
      200,
    );
  })
  .openapi(profiles, async (c) => {
    const { accountId } = hytaleCaller(c, c.req.valid("json")?.account_id);
    const result = await grantStub(c.var.deps, accountId).profiles({ accountId, actor: c.var.deps.actor });
    if (!result.ok) throw grantError(result);
    return c.json(
      { success: true as const, owner: result.value.owner, profiles: result.value.profiles },
      200,
    );
  })
  .openapi(selectProfile, async (c) => {
    const body = c.req.valid("json");
    const { accountId } = hytaleCaller(c, body.account_id);
    const wanted = body.profile_uuid.toLowerCase();
    const result = await grantStub(c.var.deps, accountId).profiles({ accountId, actor: c.var.deps.actor });
    if (!result.ok) throw grantError(result);
    if (!result.value.profiles.some((p) => p.uuid === wanted)) {
      throw new AppError("INVALID_REQUEST", "profile_uuid is not one of this account's profiles");
    }
    const db = c.var.db;
    await db.batch([
      db
        .update(hytaleOauthTokens)
        .set({ profileUuid: wanted, updatedAt: c.var.deps.now() })
        .where(and(eq(hytaleOauthTokens.accountId, accountId))),
      ...hytaleAuditInserts(db, {
        accountId,
        event: "PROFILE_SELECTED",
        actor: c.var.deps.actor,
        profileId: wanted,
      }),
    ]);
    return c.json(
      { success: true as const, message: `Profile ${wanted} selected`, profile_uuid: wanted },
      200,
    );
  });
