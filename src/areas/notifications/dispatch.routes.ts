// POST /api/v1/webhook/dispatch (service key, scope "webhook"): one `discord.post` job per
// enabled webhook matching the event (its type by event family) and, when given, the scope;
// 202 with the job ids. The same dispatch id twice queues the same jobs (and posts once).
import { createRoute, z } from "@hono/zod-openapi";
import { access } from "../../access/route-access.ts";
import { envelope, envelopeBody } from "../../platform/envelope.ts";
import { authErrors, commonErrors, jsonRequestBody } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import { auditInsert } from "../../services/audit/audit.ts";
import { fanOutToDiscord } from "../../services/notifications/discord-delivery.ts";
import { eventEmbed, webhookTypeOf } from "../../services/notifications/embeds.ts";

const route = createRoute({
  method: "post",
  path: "/api/v1/webhook/dispatch",
  tags: ["notifications"],
  summary: "Send an event to the matching Discord webhooks (queued; 202 with the job ids)",
  ...access.service("webhook"),
  request: {
    body: jsonRequestBody(
      z.object({
        event: z
          .string()
          .trim()
          .min(1)
          .max(100)
          .regex(/^[\w.-]+$/),
        data: z
          .record(z.string(), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]))
          .default({}),
        scope: z.enum(["ADMIN", "USER", "PUBLIC"]).optional(),
        /** Makes a retried dispatch the same jobs (posted once). */
        id: z.string().max(100).optional(),
      }),
    ),
  },
  responses: {
    202: envelopeBody(z.object({ dispatched: z.number(), task_ids: z.array(z.string()) }), "Queued"),
    ...commonErrors,
    ...authErrors,
  },
});

export const dispatchRoutes = createRouter().openapi(route, async (c) => {
  const body = c.req.valid("json");
  const at = c.var.deps.now().toISOString();
  const key = `dispatch:${body.id ?? crypto.randomUUID()}`;
  const ids = await fanOutToDiscord(c.var.deps, {
    key,
    event: body.event,
    type: webhookTypeOf(body.event),
    scope: body.scope,
    embeds: [eventEmbed(body.event, body.data, at)],
  });
  await auditInsert(c.var.db, {
    action: "webhook.dispatched",
    actor: c.var.deps.actor,
    targetType: "event",
    targetId: body.event,
    details: { dispatched: ids.length },
  });
  return c.json(envelope({ dispatched: ids.length, task_ids: ids }, "Webhooks queued"), 202);
});
