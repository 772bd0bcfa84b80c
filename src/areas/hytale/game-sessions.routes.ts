// POST /api/v1/hytale/oauth/game-session/{new,refresh,delete} and GET
// /api/v1/hytale/servers/{server_id}/game-session. A member acts on their own account and on
// servers they own or may manage (startup.update); admins and `hytale` service keys on any.
// Answers are top-level snake_case. The tokens go to the server's hidden variables; they are
// returned only to a service key asking for a session of no server (the host's own tooling).
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Context } from "hono";
import { principalOf } from "../../access/authenticate.ts";
import { access } from "../../access/route-access.ts";
import {
  type HytaleGameSession,
  hytaleGameSessions,
  hytaleOauthTokens,
} from "../../platform/db/schema/index.ts";
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
import {
  createUpstreamSession,
  noticeIfNearCap,
  sealSession,
  sessionGauge,
} from "../../services/hytale/game-sessions.ts";
import { grantError, grantStub } from "../../services/hytale/grant-client.ts";
import { hytaleAuditInserts } from "../../services/hytale/hytale-audit.ts";
import { may, serverAccess } from "../../services/servers/servers.ts";
import { deliverSession, endSession, refreshSession } from "./game-session-life.ts";
import { AccountId } from "./hytale.schemas.ts";
import { hytaleCaller } from "./hytale-account.ts";

const tags = ["hytale"];
const ServerRef = z
  .string()
  .min(1)
  .max(64)
  .openapi({ description: "Our server id, its panel uuid or short id" });
const SessionBody = z.object({
  account_id: AccountId.optional(),
  profile_uuid: z.uuid().optional(),
  server_id: ServerRef.optional(),
});
const SessionAnswer = z
  .object({
    success: z.literal(true),
    session_id: z.string(),
    account_id: z.string(),
    profile_uuid: z.string(),
    server_id: z.string().nullable(),
    expires_at: z.string(),
    delivery_status: z.string(),
    delivery_error: z.string().nullable(),
    message: z.string().optional(),
    session_token: z.string().optional(),
    identity_token: z.string().optional(),
  })
  .openapi("HytaleGameSession");
const DeleteAnswer = z.object({
  success: z.literal(true),
  message: z.string(),
  session_id: z.string(),
  upstream_deleted: z.boolean(),
});
const ServerSessionAnswer = z.object({
  success: z.literal(true),
  server_id: z.string(),
  session: z
    .object({
      session_id: z.string(),
      account_id: z.string(),
      profile_uuid: z.string(),
      expires_at: z.string(),
      last_refreshed_at: z.string().nullable(),
      delivery_status: z.string(),
      delivery_error: z.string().nullable(),
      delivered_at: z.string().nullable(),
    })
    .nullable(),
});
const peerErrors = {
  502: jsonBody(z.object({ error: z.string() }).passthrough(), "The Hytale peer or the panel failed"),
  504: jsonBody(z.object({ error: z.string() }).passthrough(), "The Hytale peer did not answer in time"),
};
const route = (path: string, summary: string, answer: z.ZodType) =>
  createRoute({
    method: "post",
    path: `/api/v1/hytale/oauth/game-session/${path}`,
    tags,
    summary,
    ...access.memberOrService("hytale", ["hytale.session"]),
    request: { body: jsonRequestBody(SessionBody, false) },
    responses: { 200: jsonBody(answer), ...commonErrors, ...authErrors, ...notFoundError, ...peerErrors },
  });

const create = route(
  "new",
  "Start a game session (for a server: its tokens go to its hidden variables)",
  SessionAnswer,
);
const refresh = route("refresh", "Refresh a game session now (its tokens are never returned)", SessionAnswer);
const remove = route("delete", "End a game session upstream and here", DeleteAnswer);
const serverSession = createRoute({
  method: "get",
  path: "/api/v1/hytale/servers/{server_id}/game-session",
  tags,
  summary: "The server's game session: expiry and delivery status (never its tokens)",
  ...access.memberOrService("hytale"),
  request: { params: z.object({ server_id: ServerRef }) },
  responses: { 200: jsonBody(ServerSessionAnswer), ...commonErrors, ...authErrors, ...notFoundError },
});

/** The server a caller names: a member must own it or hold startup.update on it. */
async function resolveServer(c: Context<AppEnv>, ref: string): Promise<string> {
  const p = principalOf(c);
  if (p.kind === "user") {
    const a = await serverAccess(c.var.db, p, ref);
    if (!a) throw new AppError("NOT_FOUND", "Server not found");
    if (!may(a, "startup.update"))
      throw new AppError("FORBIDDEN", "You may not manage this server's startup");
    return a.serverId;
  }
  const r = await c.var.db.execute<{ id: string }>(
    sql`select id from servers where (id = ${ref} or uuid = ${ref} or "uuidShort" = ${ref}) and "deletedAt" is null limit 1`,
  );
  const id = r.rows[0]?.id;
  if (!id) throw new AppError("NOT_FOUND", "Server not found");
  return id;
}

async function selectedProfile(c: Context<AppEnv>, accountId: string, given?: string): Promise<string> {
  if (given) return given.toLowerCase();
  const [row] = await c.var.db
    .select({ profileUuid: hytaleOauthTokens.profileUuid })
    .from(hytaleOauthTokens)
    .where(eq(hytaleOauthTokens.accountId, accountId));
  if (!row)
    throw new AppError("NOT_FOUND", "No Hytale account is linked for this account", {
      publicError: "No token found for account",
    });
  if (!row.profileUuid)
    throw new AppError("INVALID_REQUEST", "profile_uuid is required or must be selected first");
  return row.profileUuid;
}

/** The live session a refresh/delete names: by server, else the newest of the profile. */
async function findSession(c: Context<AppEnv>, body: z.infer<typeof SessionBody>) {
  const { accountId } = hytaleCaller(c, body.account_id);
  const serverId = body.server_id ? await resolveServer(c, body.server_id) : undefined;
  const profile =
    serverId || body.profile_uuid ? body.profile_uuid?.toLowerCase() : await selectedProfile(c, accountId);
  const t = hytaleGameSessions;
  const [row] = await c.var.db
    .select()
    .from(t)
    .where(
      and(
        eq(t.accountId, accountId),
        isNull(t.endedAt),
        serverId ? eq(t.serverId, serverId) : undefined,
        profile ? eq(t.profileUuid, profile) : undefined,
      ),
    )
    .orderBy(desc(t.createdAt))
    .limit(1);
  if (!row)
    throw new AppError("NOT_FOUND", "No game session found", { publicError: "Game session not found" });
  return row;
}

function answer(row: HytaleGameSession, extra: Record<string, string> = {}) {
  return {
    success: true as const,
    session_id: row.id,
    account_id: row.accountId,
    profile_uuid: row.profileUuid,
    server_id: row.serverId,
    expires_at: row.expiresAt.toISOString(),
    delivery_status: row.deliveryStatus,
    delivery_error: row.deliveryError,
    ...extra,
  };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const gameSessionRoutes = createRouter()
  .openapi(create, async (c) => {
    const body = c.req.valid("json") ?? {};
    const { accountId } = hytaleCaller(c, body.account_id);
    const deps = c.var.deps;
    const serverId = body.server_id ? await resolveServer(c, body.server_id) : null;
    const profile = await selectedProfile(c, accountId, body.profile_uuid);
    const access = await grantStub(deps, accountId).access({
      accountId,
      actor: deps.actor,
      withToken: true,
      minValidMs: 60_000,
    });
    if (!access.ok) throw grantError(access);
    const tokens = await createUpstreamSession(deps, access.accessToken ?? "", profile).catch(
      async (err: unknown) => {
        if (err instanceof AppError && err.code === "SESSION_LIMIT")
          await noticeIfNearCap(deps, accountId, await sessionGauge(deps, accountId), true);
        throw err;
      },
    );
    const db = c.var.db;
    const t = hytaleGameSessions;
    // The session this one replaces (the server's, or the profile's serverless one).
    const [previous] = await db
      .select()
      .from(t)
      .where(
        and(
          isNull(t.endedAt),
          serverId
            ? eq(t.serverId, serverId)
            : and(isNull(t.serverId), eq(t.accountId, accountId), eq(t.profileUuid, profile)),
        ),
      );
    const now = deps.now();
    const [, [row]] = await db.batch([
      db
        .update(t)
        .set({ endedAt: now, endReason: "replaced" })
        .where(and(eq(t.id, previous?.id ?? "00000000-0000-0000-0000-000000000000"), isNull(t.endedAt))),
      db
        .insert(t)
        .values({
          accountId,
          profileUuid: profile,
          serverId,
          ...(await sealSession(deps.config, accountId, tokens)),
          deliveryStatus: serverId ? "pending" : "none",
          createdAt: now,
          updatedAt: now,
        })
        .returning(),
      ...hytaleAuditInserts(db, {
        accountId,
        event: "SESSION_CREATED",
        actor: deps.actor,
        profileId: profile,
        details: { serverId, expiresAt: tokens.expiresAt.toISOString(), replaced: previous?.id ?? null },
      }),
    ]);
    if (!row) throw new AppError("INTERNAL", "Failed to save game session");
    if (previous) await endSession(deps, { ...previous, endedAt: now }, "replaced", deps.actor);
    await noticeIfNearCap(deps, accountId, await sessionGauge(deps, accountId));
    let current = row;
    if (serverId) {
      const r = await deliverSession(deps, row);
      current = {
        ...row,
        deliveryStatus: r.status,
        deliveryError: r.status === "delivered" ? null : r.error,
      };
    }
    const p = principalOf(c);
    const reveal: Record<string, string> =
      p.kind === "service" && !serverId
        ? { session_token: tokens.sessionToken, identity_token: tokens.identityToken }
        : {};
    return c.json(answer(current, reveal), 200);
  })
  .openapi(refresh, async (c) => {
    const deps = c.var.deps;
    const row = await refreshSession(deps, await findSession(c, c.req.valid("json") ?? {}), deps.actor);
    let current = row;
    if (row.serverId) {
      const r = await deliverSession(deps, row);
      current = {
        ...row,
        deliveryStatus: r.status,
        deliveryError: r.status === "delivered" ? null : r.error,
      };
    }
    return c.json(answer(current, { message: "Game session refreshed successfully" }), 200);
  })
  .openapi(remove, async (c) => {
    const deps = c.var.deps;
    const row = await findSession(c, c.req.valid("json") ?? {});
    const done = await endSession(deps, row, "deleted by request", deps.actor, { clearServer: true });
    return c.json(
      {
        success: true as const,
        message: done
          ? "Game session terminated successfully"
          : "Game session ended; the upstream delete is retried",
        session_id: row.id,
        upstream_deleted: done,
      },
      200,
    );
  })
  .openapi(serverSession, async (c) => {
    const serverId = await resolveServer(c, c.req.valid("param").server_id);
    const t = hytaleGameSessions;
    const [row] = await c.var.db
      .select()
      .from(t)
      .where(and(eq(t.serverId, serverId), isNull(t.endedAt)));
    return c.json(
      {
        success: true as const,
        server_id: serverId,
        session: row
          ? {
              session_id: row.id,
              account_id: row.accountId,
              profile_uuid: row.profileUuid,
              expires_at: row.expiresAt.toISOString(),
              last_refreshed_at: iso(row.lastRefreshedAt),
              delivery_status: row.deliveryStatus,
              delivery_error: row.deliveryError,
              delivered_at: iso(row.deliveredAt),
            }
          : null,
      },
      200,
    );
  });
