// /api/admin/api-keys: create (plaintext shown once), list (never secrets), revoke. Audited.
import { createRoute, z } from "@hono/zod-openapi";
import { currentUser } from "../../access/authenticate.ts";
import { access } from "../../access/route-access.ts";
import { AppError } from "../../platform/errors.ts";
import {
  authErrors,
  commonErrors,
  jsonBody,
  jsonRequestBody,
  notFoundError,
} from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import {
  API_KEY_SCOPES,
  createApiKey,
  listApiKeys,
  publicApiKey,
  revokeApiKey,
} from "../../services/api-keys/api-keys.ts";
import { auditInsert } from "../../services/audit/audit.ts";

const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi("ApiKey");

const createKey = createRoute({
  method: "post",
  path: "/api/admin/api-keys",
  tags: ["admin"],
  summary: "Create a service API key (the key is shown once)",
  ...access.admin(),
  request: {
    body: jsonRequestBody(
      z.object({
        name: z.string().trim().min(1).max(100),
        scopes: z.array(z.enum(API_KEY_SCOPES)).min(1),
        expiresInDays: z.number().int().min(1).max(3650).optional(),
      }),
    ),
  },
  responses: {
    201: jsonBody(z.object({ success: z.literal(true), key: z.string(), apiKey: ApiKeySchema })),
    ...commonErrors,
    ...authErrors,
  },
});

const listKeys = createRoute({
  method: "get",
  path: "/api/admin/api-keys",
  tags: ["admin"],
  summary: "List service API keys (no secrets)",
  ...access.admin(),
  responses: {
    200: jsonBody(z.object({ success: z.literal(true), apiKeys: z.array(ApiKeySchema) })),
    ...commonErrors,
    ...authErrors,
  },
});

const revokeKey = createRoute({
  method: "delete",
  path: "/api/admin/api-keys/{id}",
  tags: ["admin"],
  summary: "Revoke a service API key",
  ...access.admin(),
  request: { params: z.object({ id: z.string().min(1).max(100) }) },
  responses: {
    200: jsonBody(z.object({ success: z.literal(true), apiKey: ApiKeySchema })),
    ...notFoundError,
    ...commonErrors,
    ...authErrors,
  },
});

export const apiKeyRoutes = createRouter()
  .openapi(createKey, async (c) => {
    const input = c.req.valid("json");
    const user = currentUser(c);
    const expiresAt = input.expiresInDays
      ? new Date(c.var.deps.now().getTime() + input.expiresInDays * 86_400_000)
      : null;
    const { key, row } = await createApiKey(
      c.var.db,
      { name: input.name, scopes: input.scopes, createdBy: user.id, expiresAt },
      (k) => [
        auditInsert(c.var.db, {
          action: "api_key.created",
          actor: c.var.deps.actor,
          targetType: "api_key",
          targetId: k.id,
          details: { name: k.name, prefix: k.prefix, scopes: k.scopes },
        }),
      ],
    );
    return c.json({ success: true as const, key, apiKey: publicApiKey(row) }, 201);
  })
  .openapi(listKeys, async (c) => {
    const rows = await listApiKeys(c.var.db);
    return c.json({ success: true as const, apiKeys: rows.map(publicApiKey) }, 200);
  })
  .openapi(revokeKey, async (c) => {
    const { id } = c.req.valid("param");
    const row = await revokeApiKey(c.var.db, id, [
      auditInsert(c.var.db, {
        action: "api_key.revoked",
        actor: c.var.deps.actor,
        targetType: "api_key",
        targetId: id,
      }),
    ]);
    if (!row) throw new AppError("NOT_FOUND", "API key not found");
    return c.json({ success: true as const, apiKey: publicApiKey(row) }, 200);
  });
