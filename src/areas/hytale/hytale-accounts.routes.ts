// GET /api/v1/hytale/logs (the account's Hytale audit trail, upstream's keys) and
// GET /api/v1/hytale/accounts/{account_id}/status (linked, expiry, the grant's age and renewal
// estimate, needs-re-link, selected profile). Owner, admins and `hytale` service keys.
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { access } from "../../access/route-access.ts";
import { hytaleOauthTokens } from "../../platform/db/schema/index.ts";
import { authErrors, commonErrors, jsonBody } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import { gameSessionStatus } from "../../services/hytale/game-sessions.ts";
import { listHytaleAudit } from "../../services/hytale/hytale-audit.ts";
import { grantRenewBy } from "../../services/hytale/notices.ts";
import { readSettings } from "../../services/settings/settings.ts";
import { AccountId, LogsAnswer, LogsQuery, StatusAnswer } from "./hytale.schemas.ts";
import { hytaleCaller } from "./hytale-account.ts";

const logs = createRoute({
  method: "get",
  path: "/api/v1/hytale/logs",
  tags: ["hytale"],
  summary: "The account's Hytale audit events, newest first (limit ≤ 1000)",
  ...access.memberOrService("hytale"),
  request: { query: LogsQuery },
  responses: { 200: jsonBody(LogsAnswer), ...commonErrors, ...authErrors },
});

const status = createRoute({
  method: "get",
  path: "/api/v1/hytale/accounts/{account_id}/status",
  tags: ["hytale"],
  summary: "Whether the account is linked, when its tokens and grant expire, and whether it must re-link",
  ...access.memberOrService("hytale"),
  request: { params: z.object({ account_id: AccountId }) },
  responses: { 200: jsonBody(StatusAnswer), ...commonErrors, ...authErrors },
});

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export const hytaleAccountRoutes = createRouter()
  .openapi(logs, async (c) => {
    const q = c.req.valid("query");
    const { accountId } = hytaleCaller(c, q.account_id);
    const rows = await listHytaleAudit(c.var.db, accountId, q.limit);
    return c.json(
      {
        success: true as const,
        count: rows.length,
        logs: rows.map((r) => ({
          ID: r.id,
          AccountID: r.accountId,
          ProfileID: r.profileId,
          EventType: r.eventType,
          Details: r.details,
          IPAddress: r.ipAddress,
          UserAgent: r.userAgent,
          CreatedAt: r.createdAt.toISOString(),
        })),
      },
      200,
    );
  })
  .openapi(status, async (c) => {
    const { accountId } = hytaleCaller(c, c.req.valid("param").account_id);
    const [[row], settings, sessions] = await Promise.all([
      c.var.db.select().from(hytaleOauthTokens).where(eq(hytaleOauthTokens.accountId, accountId)),
      readSettings(c.var.deps, ["hytale_grant_lifetime_days", "hytale_session_refresh_mode"]),
      gameSessionStatus(c.var.deps, accountId),
    ]);
    const now = c.var.deps.now();
    const grantCreatedAt = row ? (row.grantCreatedAt ?? row.createdAt) : null;
    const linked = Boolean(row && !row.needsRelink && row.refreshToken !== "");
    return c.json(
      {
        success: true as const,
        account_id: accountId,
        linked,
        needs_relink: Boolean(row?.needsRelink),
        relink_reason: row?.relinkReason ?? null,
        access_token_expires_at: linked ? iso(row?.accessTokenExpiry) : null,
        access_token_valid: Boolean(linked && row && row.accessTokenExpiry > now),
        last_refreshed_at: iso(row?.lastRefreshedAt),
        grant_created_at: iso(grantCreatedAt),
        grant_age_seconds: grantCreatedAt
          ? Math.floor((now.getTime() - grantCreatedAt.getTime()) / 1000)
          : null,
        grant_renew_by:
          linked && grantCreatedAt
            ? grantRenewBy(grantCreatedAt, settings.get("hytale_grant_lifetime_days")).toISOString()
            : null,
        selected_profile_uuid: row?.profileUuid ?? null,
        game_sessions: {
          ...sessions,
          refresh_mode:
            settings.text("hytale_session_refresh_mode") === "broker"
              ? ("broker" as const)
              : ("server" as const),
        },
      },
      200,
    );
  });
