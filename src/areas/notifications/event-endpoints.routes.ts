// /api/admin/webhooks/endpoints…: signed outbound events (Standard Webhooks). Admins register
// endpoints subscribed to event types; the `whsec_` secret is shown once (on create and on
// rotation) and never again; the delivery log lists every attempt; any finished delivery can be
// replayed; the test sends a `webhook.test` event now and answers with the attempt.
import { createRoute, z } from "@hono/zod-openapi";
import { and, count, desc, eq, inArray } from "drizzle-orm";
import type { Context } from "hono";
import { access } from "../../access/route-access.ts";
import {
  type EventDelivery,
  type EventEndpoint,
  eventDeliveries,
  eventDeliveryAttempts,
  eventEndpoints,
} from "../../platform/db/schema/index.ts";
import { envelope, envelopeBody } from "../../platform/envelope.ts";
import { AppError } from "../../platform/errors.ts";
import {
  authErrors,
  commonErrors,
  conflictError,
  jsonRequestBody,
  notFoundError,
} from "../../platform/openapi.ts";
import { PaginationSchema, pageQuery, pagination } from "../../platform/pagination.ts";
import { createRouter } from "../../platform/router.ts";
import type { AppEnv } from "../../platform/types.ts";
import { auditInsert } from "../../services/audit/audit.ts";
import {
  attemptDelivery,
  createTestDelivery,
  EVENT_TYPES,
  encryptEndpointSecret,
  isSubscription,
  MAX_ATTEMPTS,
  queueReplay,
  RETRY_SCHEDULE_SECONDS,
} from "../../services/notifications/signed-events.ts";
import { endpointUrlProblem, newSigningSecret } from "../../services/notifications/standard-webhooks.ts";

const tags = ["events"];
const base = "/api/admin/webhooks/endpoints";
const errors = { ...commonErrors, ...authErrors, ...notFoundError };

const EndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    rotating: z
      .boolean()
      .openapi({ description: "A previous secret still signs (until previousSecretExpiresAt)" }),
    previousSecretExpiresAt: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    lastFailureAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("EventEndpoint");

const WithSecret = EndpointSchema.extend({
  secret: z.string().openapi({ description: "`whsec_…`: shown once, store it now" }),
});

const AttemptSchema = z.object({
  attempt: z.number(),
  trigger: z.string(),
  status: z.number().nullable(),
  latencyMs: z.number(),
  responseExcerpt: z.string(),
  error: z.string().nullable(),
  at: z.string(),
});

const DeliverySchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "The `webhook-id` the endpoint receives (the same on every attempt)" }),
    endpointId: z.string(),
    eventType: z.string(),
    status: z.enum(["pending", "sending", "retrying", "delivered", "failed"]),
    attempts: z.number(),
    lastStatus: z.number().nullable(),
    error: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
    attemptLog: z.array(AttemptSchema),
  })
  .openapi("EventDelivery");

const subscriptions = z
  .array(z.string().trim().min(1).max(100))
  .min(1)
  .max(50)
  .refine((a) => a.every(isSubscription), {
    message: `each must be one of ${EVENT_TYPES.join(", ")}, a family such as hytale.account.*, or *`,
  });
const IdParam = z.object({ id: z.string().min(1).max(100) });
const DeliveryParam = IdParam.extend({ deliveryId: z.string().min(1).max(100) });

const routes = {
  types: createRoute({
    method: "get",
    path: "/api/admin/webhooks/event-types",
    tags,
    summary: "The event types endpoints can subscribe to, and the retry schedule",
    ...access.admin(),
    responses: {
      200: envelopeBody(
        z.object({
          eventTypes: z.array(z.string()),
          retryScheduleSeconds: z.array(z.number()),
          maxAttempts: z.number(),
        }),
      ),
      ...errors,
    },
  }),
  list: createRoute({
    method: "get",
    path: base,
    tags,
    summary: "Signed event endpoints, newest first (secrets never shown)",
    ...access.admin(),
    responses: { 200: envelopeBody(z.array(EndpointSchema)), ...errors },
  }),
  create: createRoute({
    method: "post",
    path: base,
    tags,
    summary: "Register an endpoint; the answer holds its signing secret, shown only this once",
    ...access.admin(),
    request: {
      body: jsonRequestBody(
        z.object({
          url: z.string().trim().min(1).max(2000),
          description: z.string().max(500).default(""),
          eventTypes: subscriptions,
        }),
      ),
    },
    responses: { 201: envelopeBody(WithSecret, "Created"), ...errors },
  }),
  get: createRoute({
    method: "get",
    path: `${base}/{id}`,
    tags,
    summary: "One endpoint",
    ...access.admin(),
    request: { params: IdParam },
    responses: { 200: envelopeBody(EndpointSchema), ...errors },
  }),
  update: createRoute({
    method: "patch",
    path: `${base}/{id}`,
    tags,
    summary: "Change an endpoint; enabling it again clears the disabled reason",
    ...access.admin(),
    request: {
      params: IdParam,
      body: jsonRequestBody(
        z.object({
          url: z.string().trim().min(1).max(2000).optional(),
          description: z.string().max(500).optional(),
          eventTypes: subscriptions.optional(),
          enabled: z.boolean().optional(),
        }),
      ),
    },
    responses: { 200: envelopeBody(EndpointSchema), ...errors },
  }),
  remove: createRoute({
    method: "delete",
    path: `${base}/{id}`,
    tags,
    summary: "Delete an endpoint and its delivery log",
    ...access.admin(),
    request: { params: IdParam },
    responses: { 200: envelopeBody(z.object({ id: z.string() })), ...errors },
  }),
  rotate: createRoute({
    method: "post",
    path: `${base}/{id}/rotate-secret`,
    tags,
    summary: "New signing secret (shown once); the old one also signs for the grace period (default 24 h)",
    ...access.admin(),
    request: {
      params: IdParam,
      body: jsonRequestBody(
        z.object({
          graceSeconds: z.coerce
            .number()
            .int()
            .min(0)
            .max(7 * 86400)
            .default(86400),
        }),
        false,
      ),
    },
    responses: { 200: envelopeBody(WithSecret), ...errors },
  }),
  test: createRoute({
    method: "post",
    path: `${base}/{id}/test`,
    tags,
    summary: "Send a signed `webhook.test` event now; the attempt's outcome is in the answer",
    ...access.admin(),
    request: { params: IdParam },
    responses: { 200: envelopeBody(DeliverySchema), ...errors, ...conflictError },
  }),
  deliveries: createRoute({
    method: "get",
    path: `${base}/{id}/deliveries`,
    tags,
    summary: "The endpoint's delivery log, newest first, with every attempt",
    ...access.admin(),
    request: {
      params: IdParam,
      query: z.object({
        ...pageQuery(100, 25),
        status: z.enum(["pending", "sending", "retrying", "delivered", "failed"]).optional(),
      }),
    },
    responses: {
      200: envelopeBody(z.object({ deliveries: z.array(DeliverySchema), pagination: PaginationSchema })),
      ...errors,
    },
  }),
  delivery: createRoute({
    method: "get",
    path: `${base}/{id}/deliveries/{deliveryId}`,
    tags,
    summary: "One delivery with its attempts and the exact body sent",
    ...access.admin(),
    request: { params: DeliveryParam },
    responses: { 200: envelopeBody(DeliverySchema.extend({ body: z.string() })), ...errors },
  }),
  replay: createRoute({
    method: "post",
    path: `${base}/{id}/deliveries/{deliveryId}/replay`,
    tags,
    summary: "Send a finished delivery again (same webhook-id and body, a new signature and attempt)",
    ...access.admin(),
    request: { params: DeliveryParam },
    responses: {
      202: envelopeBody(z.object({ deliveryId: z.string(), attempt: z.number() }), "Queued"),
      ...errors,
      ...conflictError,
    },
  }),
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function endpointView(e: EventEndpoint, now: Date) {
  const rotating = !!e.previousSecret && !!e.previousSecretExpiresAt && e.previousSecretExpiresAt > now;
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    rotating,
    previousSecretExpiresAt: rotating ? iso(e.previousSecretExpiresAt) : null,
    lastSuccessAt: iso(e.lastSuccessAt),
    lastFailureAt: iso(e.lastFailureAt),
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

type Attempt = typeof eventDeliveryAttempts.$inferSelect;

function deliveryView(d: EventDelivery, attempts: Attempt[]) {
  return {
    id: d.id,
    endpointId: d.endpointId,
    eventType: d.eventType,
    status: d.status as "pending" | "sending" | "retrying" | "delivered" | "failed",
    attempts: d.attempt,
    lastStatus: d.lastStatus,
    error: d.error,
    nextAttemptAt: iso(d.nextAttemptAt),
    createdAt: d.createdAt.toISOString(),
    deliveredAt: iso(d.deliveredAt),
    attemptLog: attempts
      .filter((a) => a.deliveryId === d.id)
      .sort((a, b) => a.attempt - b.attempt)
      .map((a) => ({
        attempt: a.attempt,
        trigger: a.trigger,
        status: a.status,
        latencyMs: a.latencyMs,
        responseExcerpt: a.responseExcerpt,
        error: a.error,
        at: a.createdAt.toISOString(),
      })),
  };
}

function checkUrl(c: Context<AppEnv>, url: string): string {
  const problem = endpointUrlProblem(url, c.var.config.environment === "production");
  if (problem)
    throw new AppError("INVALID_REQUEST", `Invalid endpoint URL: ${problem}`, {
      details: [{ path: "url", message: problem }],
    });
  return new URL(url).toString();
}

async function findEndpoint(c: Context<AppEnv>, id: string): Promise<EventEndpoint> {
  const [row] = await c.var.db.select().from(eventEndpoints).where(eq(eventEndpoints.id, id));
  if (!row) throw new AppError("NOT_FOUND", "Endpoint not found");
  return row;
}

async function findDelivery(c: Context<AppEnv>, endpointId: string, deliveryId: string) {
  const [d] = await c.var.db
    .select()
    .from(eventDeliveries)
    .where(and(eq(eventDeliveries.id, deliveryId), eq(eventDeliveries.endpointId, endpointId)));
  if (!d) throw new AppError("NOT_FOUND", "Delivery not found");
  return d;
}

const attemptsOf = (c: Context<AppEnv>, ids: string[]) =>
  ids.length === 0
    ? Promise.resolve([] as Attempt[])
    : c.var.db.select().from(eventDeliveryAttempts).where(inArray(eventDeliveryAttempts.deliveryId, ids));

export const eventEndpointRoutes = createRouter()
  .openapi(routes.types, (c) =>
    c.json(
      envelope({
        eventTypes: [...EVENT_TYPES],
        retryScheduleSeconds: [...RETRY_SCHEDULE_SECONDS],
        maxAttempts: MAX_ATTEMPTS,
      }),
      200,
    ),
  )
  .openapi(routes.list, async (c) => {
    const rows = await c.var.db.select().from(eventEndpoints).orderBy(desc(eventEndpoints.createdAt));
    const now = c.var.deps.now();
    return c.json(envelope(rows.map((e) => endpointView(e, now))), 200);
  })
  .openapi(routes.create, async (c) => {
    const b = c.req.valid("json");
    const url = checkUrl(c, b.url);
    const id = crypto.randomUUID();
    const secret = newSigningSecret();
    const now = c.var.deps.now();
    const [inserted] = await c.var.db.batch([
      c.var.db
        .insert(eventEndpoints)
        .values({
          id,
          url,
          description: b.description,
          eventTypes: [...new Set(b.eventTypes)],
          secret: await encryptEndpointSecret(c.var.deps, id, secret),
          createdBy: c.var.deps.actor.id,
          createdAt: now,
          updatedAt: now,
        })
        .returning(),
      auditInsert(c.var.db, {
        action: "event_endpoint.created",
        actor: c.var.deps.actor,
        targetType: "event_endpoint",
        targetId: id,
        details: { host: new URL(url).host, eventTypes: b.eventTypes },
      }),
    ]);
    const row = inserted[0];
    if (!row) throw new Error("endpoint insert returned nothing");
    return c.json(
      envelope({ ...endpointView(row, now), secret }, "Endpoint created; store the secret now"),
      201,
    );
  })
  .openapi(routes.get, async (c) => {
    const row = await findEndpoint(c, c.req.valid("param").id);
    return c.json(envelope(endpointView(row, c.var.deps.now())), 200);
  })
  .openapi(routes.update, async (c) => {
    const row = await findEndpoint(c, c.req.valid("param").id);
    const b = c.req.valid("json");
    const now = c.var.deps.now();
    const set: Partial<EventEndpoint> = { updatedAt: now };
    if (b.url !== undefined) set.url = checkUrl(c, b.url);
    if (b.description !== undefined) set.description = b.description;
    if (b.eventTypes !== undefined) set.eventTypes = [...new Set(b.eventTypes)];
    if (b.enabled !== undefined) {
      set.enabled = b.enabled;
      set.disabledReason = b.enabled ? null : "disabled by an admin";
    }
    const [updated] = await c.var.db.batch([
      c.var.db.update(eventEndpoints).set(set).where(eq(eventEndpoints.id, row.id)).returning(),
      auditInsert(c.var.db, {
        action: "event_endpoint.updated",
        actor: c.var.deps.actor,
        targetType: "event_endpoint",
        targetId: row.id,
        details: { fields: Object.keys(set).filter((k) => k !== "updatedAt") },
      }),
    ]);
    return c.json(envelope(endpointView(updated[0] ?? row, now)), 200);
  })
  .openapi(routes.remove, async (c) => {
    const row = await findEndpoint(c, c.req.valid("param").id);
    await c.var.db.batch([
      c.var.db.delete(eventEndpoints).where(eq(eventEndpoints.id, row.id)),
      auditInsert(c.var.db, {
        action: "event_endpoint.deleted",
        actor: c.var.deps.actor,
        targetType: "event_endpoint",
        targetId: row.id,
        details: { host: new URL(row.url).host },
      }),
    ]);
    return c.json(envelope({ id: row.id }, "Endpoint deleted"), 200);
  })
  .openapi(routes.rotate, async (c) => {
    const row = await findEndpoint(c, c.req.valid("param").id);
    const { graceSeconds } = c.req.valid("json") ?? { graceSeconds: 86400 };
    const now = c.var.deps.now();
    const secret = newSigningSecret();
    const [updated] = await c.var.db.batch([
      c.var.db
        .update(eventEndpoints)
        .set({
          secret: await encryptEndpointSecret(c.var.deps, row.id, secret),
          previousSecret: graceSeconds > 0 ? row.secret : null,
          previousSecretExpiresAt: graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null,
          updatedAt: now,
        })
        .where(eq(eventEndpoints.id, row.id))
        .returning(),
      auditInsert(c.var.db, {
        action: "event_endpoint.secret_rotated",
        actor: c.var.deps.actor,
        targetType: "event_endpoint",
        targetId: row.id,
        details: { graceSeconds },
      }),
    ]);
    const after = updated[0];
    if (!after) throw new AppError("NOT_FOUND", "Endpoint not found");
    return c.json(
      envelope({ ...endpointView(after, now), secret }, "Secret rotated; store the new one now"),
      200,
    );
  })
  .openapi(routes.test, async (c) => {
    const row = await findEndpoint(c, c.req.valid("param").id);
    if (!row.enabled) throw new AppError("CONFLICT", "Endpoint is disabled; enable it first");
    const id = await createTestDelivery(c.var.deps, row);
    await attemptDelivery(c.var.deps, id, 1, "test");
    const d = await findDelivery(c, row.id, id);
    return c.json(envelope(deliveryView(d, await attemptsOf(c, [id]))), 200);
  })
  .openapi(routes.deliveries, async (c) => {
    const row = await findEndpoint(c, c.req.valid("param").id);
    const q = c.req.valid("query");
    const where = and(
      eq(eventDeliveries.endpointId, row.id),
      q.status ? eq(eventDeliveries.status, q.status) : undefined,
    );
    const [rows, [total]] = await Promise.all([
      c.var.db
        .select()
        .from(eventDeliveries)
        .where(where)
        .orderBy(desc(eventDeliveries.createdAt), desc(eventDeliveries.id))
        .limit(q.pageSize)
        .offset((q.page - 1) * q.pageSize),
      c.var.db.select({ n: count() }).from(eventDeliveries).where(where),
    ]);
    const attempts = await attemptsOf(
      c,
      rows.map((r) => r.id),
    );
    return c.json(
      envelope({
        deliveries: rows.map((d) => deliveryView(d, attempts)),
        pagination: pagination(q.page, q.pageSize, total?.n ?? 0),
      }),
      200,
    );
  })
  .openapi(routes.delivery, async (c) => {
    const p = c.req.valid("param");
    const d = await findDelivery(c, p.id, p.deliveryId);
    return c.json(envelope({ ...deliveryView(d, await attemptsOf(c, [d.id])), body: d.body }), 200);
  })
  .openapi(routes.replay, async (c) => {
    const p = c.req.valid("param");
    const endpoint = await findEndpoint(c, p.id);
    if (!endpoint.enabled) throw new AppError("CONFLICT", "Endpoint is disabled; enable it first");
    const d = await findDelivery(c, p.id, p.deliveryId);
    const attempt = await queueReplay(c.var.deps, d);
    await auditInsert(c.var.db, {
      action: "event_delivery.replayed",
      actor: c.var.deps.actor,
      targetType: "event_delivery",
      targetId: d.id,
      details: { endpointId: endpoint.id, attempt },
    });
    return c.json(envelope({ deliveryId: d.id, attempt }, "Replay queued"), 202);
  });
