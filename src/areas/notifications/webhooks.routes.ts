// /api/admin/settings/webhooks: the Discord webhooks page (website-client §4.3, §5.2). URLs are
// Discord's webhook addresses only; the token part is encrypted at rest and masked in every
// answer; the test (PATCH) posts a real embed. Unknown ids answer 404, a missing id 400.
import { createRoute, z } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import type { Context } from "hono";
import { access } from "../../access/route-access.ts";
import { type DiscordWebhook, discordWebhooks } from "../../platform/db/schema/index.ts";
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
import { auditInsert } from "../../services/audit/audit.ts";
import {
  parseWebhookUrl,
  postToDiscord,
  storedWebhookUrl,
  webhookView,
} from "../../services/notifications/discord.ts";
import { SECRET_MASK } from "../../services/settings/keys.ts";

export const WEBHOOK_TYPES = [
  "GAME_SERVER",
  "VPS",
  "SYSTEM",
  "BILLING",
  "SECURITY",
  "SUPPORT",
  "CUSTOM",
] as const;
export const WEBHOOK_SCOPES = ["ADMIN", "USER", "PUBLIC"] as const;

const tags = ["settings"];
const errors = { ...commonErrors, ...authErrors, ...notFoundError };
const path = "/api/admin/settings/webhooks";

const WebhookSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    webhookUrl: z.string(),
    type: z.string(),
    scope: z.string(),
    description: z.string(),
    enabled: z.boolean(),
    testSuccessAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("DiscordWebhook");

const name = z.string().trim().min(1).max(100);
const url = z.string().max(500);
const description = z.string().max(1000);
const id = z.string().min(1).max(100);
const Message = z.object({ success: z.boolean(), message: z.string(), error: z.string().optional() });

const routes = {
  list: createRoute({
    method: "get",
    path,
    tags,
    summary: "Discord webhooks of every scope, newest first (token parts masked)",
    ...access.admin(),
    responses: {
      200: jsonBody(z.object({ success: z.literal(true), webhooks: z.array(WebhookSchema) })),
      ...errors,
    },
  }),
  create: createRoute({
    method: "post",
    path,
    tags,
    summary: "Add a Discord webhook (https://discord.com/api/webhooks/{id}/{token} only)",
    ...access.admin(),
    request: {
      body: jsonRequestBody(
        z.object({
          name,
          webhookUrl: url,
          type: z.enum(WEBHOOK_TYPES).default("SYSTEM"),
          scope: z.enum(WEBHOOK_SCOPES).default("ADMIN"),
          description: description.optional(),
        }),
      ),
    },
    responses: { 200: jsonBody(z.object({ success: z.literal(true), webhook: WebhookSchema })), ...errors },
  }),
  update: createRoute({
    method: "put",
    path,
    tags,
    summary: "Change a webhook (empty strings and the masked URL mean unchanged)",
    ...access.admin(),
    request: {
      body: jsonRequestBody(
        z.object({
          id,
          name: z.string().max(100).optional(),
          webhookUrl: url.optional(),
          type: z.union([z.enum(WEBHOOK_TYPES), z.literal("")]).optional(),
          scope: z.union([z.enum(WEBHOOK_SCOPES), z.literal("")]).optional(),
          description: description.optional(),
          enabled: z.boolean().optional(),
        }),
      ),
    },
    responses: {
      200: jsonBody(z.object({ success: z.literal(true), message: z.string(), webhook: WebhookSchema })),
      ...errors,
    },
  }),
  test: createRoute({
    method: "patch",
    path,
    tags,
    summary: "Test a webhook: posts a real embed; the outcome is in the body",
    ...access.admin(),
    request: { body: jsonRequestBody(z.object({ id })) },
    responses: { 200: jsonBody(Message), ...errors },
  }),
  remove: createRoute({
    method: "delete",
    path,
    tags,
    summary: "Delete a webhook named by body {id} or ?id=",
    ...access.admin(),
    request: {
      query: z.object({ id: id.optional() }),
      body: jsonRequestBody(z.object({ id: id.optional() }), false),
    },
    responses: { 200: jsonBody(Message), ...errors },
  }),
  removeById: createRoute({
    method: "delete",
    path: `${path}/{id}`,
    tags,
    summary: "Delete a webhook (the older client's path)",
    ...access.admin(),
    request: { params: z.object({ id }) },
    responses: { 200: jsonBody(Message), ...errors },
  }),
};

async function find(c: Context<AppEnv>, webhookId: string): Promise<DiscordWebhook> {
  const [row] = await c.var.db.select().from(discordWebhooks).where(eq(discordWebhooks.id, webhookId));
  if (!row) throw new AppError("NOT_FOUND", "Webhook not found");
  return row;
}

function requireUrl(value: string) {
  const address = parseWebhookUrl(value);
  if (!address) {
    throw new AppError(
      "INVALID_REQUEST",
      "Invalid Discord webhook URL: use https://discord.com/api/webhooks/{id}/{token}",
    );
  }
  return address;
}

async function remove(c: Context<AppEnv>, webhookId: string | undefined) {
  if (!webhookId) throw new AppError("INVALID_REQUEST", "id is required (body {id} or ?id=)");
  const row = await find(c, webhookId);
  await c.var.db.batch([
    c.var.db.delete(discordWebhooks).where(eq(discordWebhooks.id, row.id)),
    auditInsert(c.var.db, {
      action: "webhook.deleted",
      actor: c.var.deps.actor,
      targetType: "discord_webhook",
      targetId: row.id,
      details: { name: row.name },
    }),
  ]);
  return c.json({ success: true, message: "Webhook deleted" }, 200);
}

export const webhookRoutes = createRouter()
  .openapi(routes.list, async (c) => {
    const rows = await c.var.db.select().from(discordWebhooks).orderBy(desc(discordWebhooks.createdAt));
    return c.json({ success: true as const, webhooks: rows.map(webhookView) }, 200);
  })
  .openapi(routes.create, async (c) => {
    const b = c.req.valid("json");
    const address = requireUrl(b.webhookUrl);
    const webhookId = crypto.randomUUID();
    const now = c.var.deps.now();
    const [inserted] = await c.var.db.batch([
      c.var.db
        .insert(discordWebhooks)
        .values({
          id: webhookId,
          name: b.name,
          webhookUrl: await storedWebhookUrl(c.var.deps, webhookId, address),
          type: b.type,
          scope: b.scope,
          description: b.description ?? "",
          enabled: true,
          createdAt: now,
          updatedAt: now,
        })
        .returning(),
      auditInsert(c.var.db, {
        action: "webhook.created",
        actor: c.var.deps.actor,
        targetType: "discord_webhook",
        targetId: webhookId,
        details: { name: b.name, type: b.type, scope: b.scope },
      }),
    ]);
    const row = inserted[0];
    if (!row) throw new Error("webhook insert returned nothing");
    return c.json({ success: true as const, webhook: webhookView(row) }, 200);
  })
  .openapi(routes.update, async (c) => {
    const b = c.req.valid("json");
    const row = await find(c, b.id);
    const set: Partial<DiscordWebhook> = { updatedAt: c.var.deps.now() };
    if (b.name?.trim()) set.name = b.name.trim();
    if (b.type) set.type = b.type;
    if (b.scope) set.scope = b.scope;
    if (b.description !== undefined) set.description = b.description;
    if (b.enabled !== undefined) set.enabled = b.enabled;
    if (b.webhookUrl && !b.webhookUrl.includes(SECRET_MASK)) {
      set.webhookUrl = await storedWebhookUrl(c.var.deps, row.id, requireUrl(b.webhookUrl));
      set.testSuccessAt = null;
    }
    const [updated] = await c.var.db.batch([
      c.var.db.update(discordWebhooks).set(set).where(eq(discordWebhooks.id, row.id)).returning(),
      auditInsert(c.var.db, {
        action: "webhook.updated",
        actor: c.var.deps.actor,
        targetType: "discord_webhook",
        targetId: row.id,
        details: { fields: Object.keys(set).filter((k) => k !== "updatedAt") },
      }),
    ]);
    const after = updated[0] ?? row;
    return c.json({ success: true as const, message: "Webhook updated", webhook: webhookView(after) }, 200);
  })
  .openapi(routes.test, async (c) => {
    const row = await find(c, c.req.valid("json").id);
    const at = c.var.deps.now();
    const outcome = await postToDiscord(c.var.deps, row, [
      {
        title: "🧪 Webhook Test",
        description: "This is a test message to verify webhook connectivity",
        color: 3066993,
        fields: [
          { name: "Status", value: "✅ Webhook is working correctly", inline: true },
          { name: "Test Time", value: at.toISOString(), inline: true },
        ],
        footer: { text: "NodeByte Webhook Test" },
        timestamp: at.toISOString(),
      },
    ]);
    if (!outcome.ok) return c.json({ success: false, message: outcome.error, error: outcome.error }, 200);
    await c.var.db.update(discordWebhooks).set({ testSuccessAt: at }).where(eq(discordWebhooks.id, row.id));
    return c.json({ success: true, message: "Webhook test successful" }, 200);
  })
  .openapi(routes.remove, async (c) => remove(c, c.req.valid("json")?.id ?? c.req.valid("query").id))
  .openapi(routes.removeById, async (c) => remove(c, c.req.valid("param").id));
