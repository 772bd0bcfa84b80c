// /api/admin/settings (GET, POST, PUT), /api/admin/settings/test and /api/admin/settings/repos:
// the website's settings page (website-client §4.3, §5.1). Secrets are answered as the mask,
// never in clear; saving sends the whole object back and changes only what changed.
import { createRoute, z } from "@hono/zod-openapi";
import { access } from "../../access/route-access.ts";
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
import { addRepo, listRepos, removeRepo, renameRepo } from "./repos.service.ts";
import {
  CONNECTION_TYPES,
  type ConnectionType,
  connectionStatuses,
  resetSecrets,
  saveSettings,
  settingsView,
  testConnection,
} from "./settings.service.ts";
import { FIELD_NAMES, SENSITIVE_FIELDS, SETTINGS_FIELDS, type SettingsField } from "./settings-fields.ts";

const tags = ["settings"];
const errors = { ...commonErrors, ...authErrors };

const text = z.string().max(2000);
const fieldSchema = (f: SettingsField) => {
  switch (SETTINGS_FIELDS[f].kind) {
    case "bool":
      return z.boolean();
    case "int":
      return f === "syncInterval"
        ? z
            .number()
            .int()
            .min(60)
            .max(30 * 86400)
        : z
            .number()
            .int()
            .min(0)
            .max(30 * 86400);
    case "repos":
      return z.union([z.array(z.string().max(200)).max(500), z.string().max(100_000)]);
    default:
      return text;
  }
};
const SettingsBody = z.object({
  ...Object.fromEntries(FIELD_NAMES.map((f) => [f, fieldSchema(f).optional()])),
  githubRepositoriesMerge: z.boolean().optional(),
});

const Status = z
  .object({
    connected: z.boolean(),
    latency: z.number().optional(),
    version: z.string().optional(),
    error: z.string().optional(),
  })
  .openapi("ConnectionStatus");
const SettingsObject = z.record(z.string(), z.unknown()).openapi("AdminSettings");
const Repos = jsonBody(z.object({ success: z.literal(true), repos: z.array(z.string()) }));

const routes = {
  get: createRoute({
    method: "get",
    path: "/api/admin/settings",
    tags,
    summary: "Every setting (secrets as the mask), the secret field names and three connection tests",
    ...access.admin(),
    responses: {
      200: jsonBody(
        z.object({
          success: z.literal(true),
          settings: SettingsObject,
          sensitiveFields: z.array(z.string()),
          pterodactylStatus: Status,
          virtfusionStatus: Status,
          databaseStatus: Status,
        }),
      ),
      ...errors,
    },
  }),
  save: createRoute({
    method: "post",
    path: "/api/admin/settings",
    tags,
    summary:
      "Save settings: only changed fields are written; the mask or an empty secret keeps the stored one",
    ...access.admin(),
    request: { body: jsonRequestBody(SettingsBody) },
    responses: {
      200: jsonBody(
        z.object({
          success: z.literal(true),
          message: z.string(),
          settings: SettingsObject,
          changed: z.array(z.string()),
        }),
      ),
      ...errors,
    },
  }),
  reset: createRoute({
    method: "put",
    path: "/api/admin/settings",
    tags,
    summary: "Clear the named secret fields (unknown names are ignored)",
    ...access.admin(),
    request: { body: jsonRequestBody(z.object({ keys: z.array(z.string().max(100)).max(50) })) },
    responses: {
      200: jsonBody(z.object({ success: z.literal(true), message: z.string(), reset: z.array(z.string()) })),
      ...errors,
    },
  }),
  test: createRoute({
    method: "post",
    path: "/api/admin/settings/test",
    tags,
    summary: "Test a connection (pterodactyl, virtfusion, database) with the given or stored values",
    ...access.admin(),
    request: {
      query: z.object({ type: z.string().max(50).optional() }),
      body: jsonRequestBody(
        z.object({
          type: z.string().max(50).optional(),
          pterodactylUrl: text.optional(),
          pterodactylApiKey: text.optional(),
          virtfusionUrl: text.optional(),
          virtfusionApiKey: text.optional(),
        }),
        false,
      ),
    },
    responses: {
      200: jsonBody(
        z.object({
          success: z.boolean(),
          latency: z.number().optional(),
          version: z.string().optional(),
          error: z.string().optional(),
        }),
      ),
      ...errors,
    },
  }),
  repos: createRoute({
    method: "get",
    path: "/api/admin/settings/repos",
    tags,
    summary: "The GitHub repository list",
    ...access.admin(),
    responses: { 200: Repos, ...errors },
  }),
  addRepo: createRoute({
    method: "post",
    path: "/api/admin/settings/repos",
    tags,
    summary: "Add a repository (owner/repo)",
    ...access.admin(),
    request: { body: jsonRequestBody(z.object({ repo: z.string().max(200) })) },
    responses: { 200: Repos, ...errors, ...conflictError },
  }),
  renameRepo: createRoute({
    method: "put",
    path: "/api/admin/settings/repos",
    tags,
    summary: "Rename a repository entry",
    ...access.admin(),
    request: { body: jsonRequestBody(z.object({ oldRepo: z.string().max(200), repo: z.string().max(200) })) },
    responses: { 200: Repos, ...errors, ...conflictError, ...notFoundError },
  }),
  removeRepo: createRoute({
    method: "delete",
    path: "/api/admin/settings/repos",
    tags,
    summary: "Remove one repository: by body {repo}, ?repo= or ?index=",
    ...access.admin(),
    request: {
      query: z.object({
        repo: z.string().max(200).optional(),
        index: z.coerce.number().int().min(0).max(10_000).optional(),
      }),
      body: jsonRequestBody(z.object({ repo: z.string().max(200).optional() }), false),
    },
    responses: { 200: Repos, ...errors, ...notFoundError },
  }),
};

export const settingsRoutes = createRouter()
  .openapi(routes.get, async (c) => {
    const [settings, statuses] = await Promise.all([
      settingsView(c.var.deps),
      connectionStatuses(c.var.deps),
    ]);
    return c.json(
      { success: true as const, settings, sensitiveFields: [...SENSITIVE_FIELDS], ...statuses },
      200,
    );
  })
  .openapi(routes.save, async (c) => {
    const changed = await saveSettings(c.var.deps, c.req.valid("json"));
    const settings = await settingsView(c.var.deps);
    return c.json({ success: true as const, message: "Settings saved successfully", settings, changed }, 200);
  })
  .openapi(routes.reset, async (c) => {
    const reset = await resetSecrets(c.var.deps, c.req.valid("json").keys);
    return c.json({ success: true as const, message: "Settings reset successfully", reset }, 200);
  })
  .openapi(routes.test, async (c) => {
    const body = c.req.valid("json");
    const type = (c.req.valid("query").type ?? body.type ?? "").toLowerCase();
    if (!(CONNECTION_TYPES as readonly string[]).includes(type)) {
      throw new AppError("INVALID_REQUEST", "Invalid connection type");
    }
    const given =
      type === "pterodactyl"
        ? { url: body.pterodactylUrl, apiKey: body.pterodactylApiKey }
        : { url: body.virtfusionUrl, apiKey: body.virtfusionApiKey };
    const status = await testConnection(c.var.deps, type as ConnectionType, given);
    return c.json(
      {
        success: status.connected,
        ...(status.latency === undefined ? {} : { latency: status.latency }),
        ...(status.version === undefined ? {} : { version: status.version }),
        ...(status.error === undefined ? {} : { error: status.error }),
      },
      200,
    );
  })
  .openapi(routes.repos, async (c) =>
    c.json({ success: true as const, repos: await listRepos(c.var.deps) }, 200),
  )
  .openapi(routes.addRepo, async (c) =>
    c.json({ success: true as const, repos: await addRepo(c.var.deps, c.req.valid("json").repo) }, 200),
  )
  .openapi(routes.renameRepo, async (c) => {
    const b = c.req.valid("json");
    return c.json({ success: true as const, repos: await renameRepo(c.var.deps, b.oldRepo, b.repo) }, 200);
  })
  .openapi(routes.removeRepo, async (c) => {
    const q = c.req.valid("query");
    const repo = c.req.valid("json")?.repo ?? q.repo;
    const repos = await removeRepo(c.var.deps, repo !== undefined ? { repo } : { index: q.index });
    return c.json({ success: true as const, repos }, 200);
  });
