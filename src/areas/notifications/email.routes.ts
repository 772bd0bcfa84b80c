// POST /api/v1/email/queue (service key, scope "email"): queue an e-mail job; 202 with task_id.
import { createRoute, z } from "@hono/zod-openapi";
import { access } from "../../access/route-access.ts";
import { envelope, envelopeBody } from "../../platform/envelope.ts";
import { authErrors, commonErrors, jsonRequestBody } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import { auditInsert } from "../../services/audit/audit.ts";
import { EMAIL_TEMPLATES, queueEmail, TEMPLATE_NAME } from "../../services/notifications/email.ts";

const route = createRoute({
  method: "post",
  path: "/api/v1/email/queue",
  tags: ["notifications"],
  summary: "Queue an e-mail (sent by the email.send job through Resend)",
  ...access.service("email"),
  request: {
    body: jsonRequestBody(
      z.object({
        to: z.email().max(320),
        subject: z.string().max(200).optional(),
        template: z
          .string()
          .trim()
          .regex(TEMPLATE_NAME, "letters, digits, '.', '_' or '-', at most 100")
          .default("generic")
          .openapi({
            description: `Ours (${EMAIL_TEMPLATES.join(", ")}) or any name of yours: unknown names render through the generic layout, showing the subject and every data field, escaped`,
          }),
        data: z
          .record(z.string(), z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]))
          .default({}),
      }),
    ),
  },
  responses: {
    202: envelopeBody(z.object({ task_id: z.string() }), "Queued"),
    ...commonErrors,
    ...authErrors,
  },
});

export const emailRoutes = createRouter().openapi(route, async (c) => {
  const body = c.req.valid("json");
  const job = await queueEmail(c.var.deps, body);
  await auditInsert(c.var.db, {
    action: "email.queued",
    actor: c.var.deps.actor,
    targetType: "job",
    targetId: job.id,
    details: { template: body.template },
  });
  return c.json(envelope({ task_id: job.id }, "Email queued"), 202);
});
