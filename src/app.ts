// createApp(): the one Hono app — middleware order, every area's routes, the OpenAPI document,
// the API reference page, not-found and the single error handler.
import { Scalar } from "@scalar/hono-api-reference";
import { requestId } from "hono/request-id";
import { apiKeyRoutes } from "./areas/admin/api-keys.routes.ts";
import { auditRoutes } from "./areas/admin/audit.routes.ts";
import { adminInfraRoutes } from "./areas/admin/infra.routes.ts";
import { rateLimitRoutes } from "./areas/admin/rate-limits.routes.ts";
import { adminUserRoutes } from "./areas/admin/users.routes.ts";
import { authRoutes } from "./areas/auth/auth.routes.ts";
import { dashboardRoutes } from "./areas/dashboard/dashboard.routes.ts";
import { healthRoutes } from "./areas/health/health.routes.ts";
import { gameSessionRoutes } from "./areas/hytale/game-sessions.routes.ts";
import { hytaleAccountRoutes } from "./areas/hytale/hytale-accounts.routes.ts";
import { hytaleOauthRoutes } from "./areas/hytale/hytale-oauth.routes.ts";
import { serverLogRoutes } from "./areas/hytale/server-logs.routes.ts";
import { devOutboxRoutes } from "./areas/notifications/dev-outbox.routes.ts";
import { dispatchRoutes } from "./areas/notifications/dispatch.routes.ts";
import { emailRoutes } from "./areas/notifications/email.routes.ts";
import { eventEndpointRoutes } from "./areas/notifications/event-endpoints.routes.ts";
import { webhookRoutes } from "./areas/notifications/webhooks.routes.ts";
import { opsRoutes } from "./areas/ops/ops.routes.ts";
import { realtimeRoutes } from "./areas/realtime/realtime.routes.ts";
import { consoleRoutes } from "./areas/servers/console.routes.ts";
import { serverDataRoutes } from "./areas/servers/server-data.routes.ts";
import { serverRoutes } from "./areas/servers/servers.routes.ts";
import { settingsRoutes } from "./areas/settings/settings.routes.ts";
import { serviceStatsRoutes } from "./areas/stats/service-stats.routes.ts";
import { statsRoutes } from "./areas/stats/stats.routes.ts";
import { adminSyncRoutes } from "./areas/sync/sync.routes.ts";
import { serviceSyncRoutes } from "./areas/sync/sync-service.routes.ts";
import { syncStreamRoutes } from "./areas/sync/sync-stream.ts";
import { CRON_SCHEDULE } from "./jobs.ts";
import { errorResponse } from "./platform/error-response.ts";
import { AppError } from "./platform/errors.ts";
import { bodyRules, contextMiddleware, corsMiddleware, requestLog } from "./platform/middleware.ts";
import { createRouter } from "./platform/router.ts";
import { APP_VERSION } from "./platform/version.ts";

export function createApp() {
  const app = createRouter();

  app.use("*", requestId({ headerName: "X-Request-Id" }));
  app.use("*", corsMiddleware());
  app.use("*", requestLog());
  app.use("*", contextMiddleware());
  app.use("*", bodyRules());

  app.route("/", healthRoutes);
  app.route("/", statsRoutes);
  app.route("/", authRoutes);
  app.route("/", apiKeyRoutes);
  app.route("/", auditRoutes);
  app.route("/", adminUserRoutes);
  app.route("/", adminInfraRoutes);
  app.route("/", dashboardRoutes);
  app.route("/", serviceStatsRoutes);
  app.route("/", emailRoutes);
  app.route("/", rateLimitRoutes);
  app.route("/", settingsRoutes);
  app.route("/", webhookRoutes);
  app.route("/", dispatchRoutes);
  app.route("/", eventEndpointRoutes);
  app.route("/", devOutboxRoutes);
  app.route("/", adminSyncRoutes);
  app.route("/", serviceSyncRoutes);
  app.route("/", syncStreamRoutes);
  app.route("/", serverRoutes);
  app.route("/", serverDataRoutes);
  app.route("/", consoleRoutes);
  app.route("/", realtimeRoutes);
  app.route("/", hytaleOauthRoutes);
  app.route("/", hytaleAccountRoutes);
  app.route("/", gameSessionRoutes);
  app.route("/", serverLogRoutes);
  app.route("/", opsRoutes(CRON_SCHEDULE));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "NodeByte Edge API",
      version: APP_VERSION,
      description: "The NodeByte backend on Cloudflare Workers: panel sync, Hytale, accounts, notifications.",
    },
  });
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "NodeByte Edge API" }));

  app.notFound((c) =>
    errorResponse(c, new AppError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError((err, c) => errorResponse(c, err));
  return app;
}

export type App = ReturnType<typeof createApp>;
