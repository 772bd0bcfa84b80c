// /api/v1/realtime/*: tickets and the WebSocket upgrade (forwarded to the topic's hub object),
// chat channels, message history and moderation (soft delete, bans), presence. docs/realtime.md.

import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, gte, isNull, lt, sql } from "drizzle-orm";
import { currentUser } from "../../access/authenticate.ts";
import { access } from "../../access/route-access.ts";
import { consumeTicket, issueTicket } from "../../access/tickets.ts";
import {
  type ChatBan,
  chatBans,
  chatChannels,
  chatMessages,
  supportTickets,
  users,
} from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { upgradeRequired } from "../../platform/error-response.ts";
import { AppError } from "../../platform/errors.ts";
import {
  authErrors,
  commonErrors,
  conflictError,
  jsonBody,
  jsonRequestBody,
  notFoundError,
} from "../../platform/openapi.ts";
import { isAdminUser } from "../../platform/principal.ts";
import { createRouter } from "../../platform/router.ts";
import { auditInsert } from "../../services/audit/audit.ts";
import {
  CHAT_KINDS,
  CLOSE,
  HUB_HEADERS,
  LIMITS,
  PING,
  TOPIC_RE,
  topicKind,
} from "../../services/realtime/protocol.ts";
import { publish } from "../../services/realtime/publish.ts";
import { activeBan, authorizeTopic, displayName } from "./topic-access.ts";

const ticketPurpose = (topic: string) => `rt:${topic}`;
const TopicParam = z.string().min(1).max(160).regex(TOPIC_RE, "unknown topic");

const ticketRoute = createRoute({
  method: "post",
  path: "/api/v1/realtime/ticket",
  tags: ["realtime"],
  summary: "A single-use, 60-second ticket to open a WebSocket on one topic",
  ...access.member(),
  request: { body: jsonRequestBody(z.object({ topic: TopicParam })) },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        topic: z.string(),
        ticket: z.string(),
        expiresIn: z.number(),
        url: z.string(),
        canPublish: z.boolean(),
      }),
    ),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
  },
});

const wsRoute = createRoute({
  method: "get",
  path: "/api/v1/realtime/ws",
  tags: ["realtime"],
  summary: "Open the topic's WebSocket (Upgrade: websocket) with a ticket; ?since=<offset> resumes",
  "x-access": "public",
  request: {
    query: z.object({
      topic: TopicParam,
      ticket: z.string().min(1).max(200),
      since: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
      /** `1`: also send throttled `analytics` frames (at most 4 a second; dashboards). */
      analytics: z.enum(["0", "1"]).optional(),
    }),
  },
  responses: {
    101: { description: "Switching Protocols: frames as in docs/realtime.md" },
    401: authErrors[401],
    403: authErrors[403],
    404: notFoundError[404],
    426: { description: "Not a WebSocket upgrade" },
    503: { description: "The topic is at capacity" },
    ...commonErrors,
  },
});

const ChannelSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    visibility: z.enum(["public", "staff"]),
    topic: z.string(),
    createdAt: z.string(),
  })
  .openapi("ChatChannel");

const listChannels = createRoute({
  method: "get",
  path: "/api/v1/realtime/channels",
  tags: ["realtime"],
  summary: "Chat channels the caller may join",
  ...access.member(),
  responses: {
    200: jsonBody(z.object({ success: z.literal(true), channels: z.array(ChannelSchema) })),
    ...commonErrors,
    ...authErrors,
  },
});

const createChannel = createRoute({
  method: "post",
  path: "/api/v1/realtime/channels",
  tags: ["realtime"],
  summary: "Create a chat channel (topic chat:{id})",
  ...access.admin(),
  request: {
    body: jsonRequestBody(
      z.object({
        id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,49}$/, "lowercase letters, digits, - and _ (≤ 50)"),
        name: z.string().trim().min(1).max(100),
        description: z.string().trim().max(500).optional(),
        visibility: z.enum(["public", "staff"]).default("public"),
      }),
    ),
  },
  responses: {
    201: jsonBody(z.object({ success: z.literal(true), channel: ChannelSchema })),
    ...commonErrors,
    ...authErrors,
    ...conflictError,
  },
});

const MessageSchema = z
  .object({
    id: z.string(),
    topic: z.string(),
    offset: z.number(),
    userId: z.string().nullable(),
    body: z.string(),
    createdAt: z.string(),
  })
  .openapi("ChatMessage");

const listMessages = createRoute({
  method: "get",
  path: "/api/v1/realtime/messages",
  tags: ["realtime"],
  summary: "Persisted chat messages of a chat:* or ticket:* topic, newest first (before=<offset> pages back)",
  ...access.member(),
  request: {
    query: z.object({
      topic: TopicParam,
      before: z.coerce.number().int().min(1).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: jsonBody(z.object({ success: z.literal(true), messages: z.array(MessageSchema) })),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
  },
});

const deleteMessage = createRoute({
  method: "delete",
  path: "/api/v1/realtime/messages/{id}",
  tags: ["realtime"],
  summary: "Soft-delete a chat message (audited; a message.deleted frame goes to its topic)",
  ...access.admin(),
  request: { params: z.object({ id: z.string().min(1).max(100) }) },
  responses: {
    200: jsonBody(z.object({ success: z.literal(true), id: z.string() })),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
  },
});

const BanSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    reason: z.string(),
    expiresAt: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    liftedAt: z.string().nullable(),
  })
  .openapi("ChatBan");

const banUser = createRoute({
  method: "post",
  path: "/api/v1/realtime/users/ban",
  tags: ["realtime"],
  summary: "Ban a user from chat: their sockets close at once (4403) and reconnects are refused",
  ...access.admin(),
  request: {
    body: jsonRequestBody(
      z.object({
        userId: z.string().min(1).max(100),
        reason: z.string().trim().min(1).max(500),
        expiresAt: z.iso.datetime({ offset: true }).optional(),
      }),
    ),
  },
  responses: {
    201: jsonBody(z.object({ success: z.literal(true), ban: BanSchema, closedSockets: z.number() })),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
  },
});

const listBans = createRoute({
  method: "get",
  path: "/api/v1/realtime/users/bans",
  tags: ["realtime"],
  summary: "Ban history, newest first",
  ...access.admin(),
  request: { query: z.object({ userId: z.string().min(1).max(100).optional() }) },
  responses: {
    200: jsonBody(z.object({ success: z.literal(true), bans: z.array(BanSchema) })),
    ...commonErrors,
    ...authErrors,
  },
});

const liftBan = createRoute({
  method: "delete",
  path: "/api/v1/realtime/users/bans/{id}",
  tags: ["realtime"],
  summary: "Lift a ban",
  ...access.admin(),
  request: { params: z.object({ id: z.string().min(1).max(100) }) },
  responses: {
    200: jsonBody(z.object({ success: z.literal(true), ban: BanSchema })),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
  },
});

const presenceRoute = createRoute({
  method: "get",
  path: "/api/v1/realtime/users",
  tags: ["realtime"],
  summary: "Who is connected to a topic, and its current offset",
  ...access.admin(),
  request: { query: z.object({ topic: TopicParam }) },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        topic: z.string(),
        offset: z.number(),
        sockets: z.number(),
        presence: z.array(
          z.object({ id: z.string(), name: z.string(), role: z.string(), connections: z.number() }),
        ),
      }),
    ),
    ...commonErrors,
    ...authErrors,
  },
});

const discovery = createRoute({
  method: "get",
  path: "/api/v1/realtime/discovery",
  tags: ["realtime"],
  summary: "Public facts for clients: endpoints, topic kinds, limits, close codes",
  ...access.public(),
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        protocol: z.number(),
        ticketUrl: z.string(),
        wsUrl: z.string(),
        topics: z.array(z.object({ pattern: z.string(), who: z.string(), clientPublish: z.boolean() })),
        limits: z.record(z.string(), z.number()),
        closeCodes: z.record(z.string(), z.number()),
        ping: z.string(),
      }),
    ),
    ...commonErrors,
  },
});

const activityChannels = createRoute({
  method: "get",
  path: "/api/v1/realtime/activity/channels",
  tags: ["realtime"],
  summary: "Persisted chat messages per topic per hour (UTC), for the last `hours` hours",
  ...access.admin(),
  request: {
    query: z.object({
      hours: z.coerce
        .number()
        .int()
        .min(1)
        .max(24 * 31)
        .default(24),
    }),
  },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        buckets: z.array(z.object({ topic: z.string(), hour: z.string(), messages: z.number() })),
      }),
    ),
    ...commonErrors,
    ...authErrors,
  },
});

const LimitsSchema = z.object({ maxSockets: z.number(), burst: z.number(), perSecond: z.number() });

const getRateLimits = createRoute({
  method: "get",
  path: "/api/v1/realtime/ratelimits",
  tags: ["realtime"],
  summary: "A topic's socket cap and per-socket message bucket",
  ...access.admin(),
  request: { query: z.object({ topic: TopicParam }) },
  responses: {
    200: jsonBody(z.object({ success: z.literal(true), topic: z.string(), limits: LimitsSchema })),
    ...commonErrors,
    ...authErrors,
  },
});

const putRateLimits = createRoute({
  method: "put",
  path: "/api/v1/realtime/ratelimits",
  tags: ["realtime"],
  summary: "Override a topic's socket cap and message bucket (applies to new messages at once)",
  ...access.admin(),
  request: {
    body: jsonRequestBody(
      z.object({
        topic: TopicParam,
        maxSockets: z.number().int().min(1).max(32_768).optional(),
        burst: z.number().int().min(1).max(1000).optional(),
        perSecond: z.number().min(0.001).max(100).optional(),
      }),
    ),
  },
  responses: {
    200: jsonBody(z.object({ success: z.literal(true), topic: z.string(), limits: LimitsSchema })),
    ...commonErrors,
    ...authErrors,
  },
});

const UserLimitsSchema = z
  .object({ burst: z.number().int().optional(), perSecond: z.number().optional() })
  .openapi("RealtimeUserLimits");

const getUserRateLimits = createRoute({
  method: "get",
  path: "/api/v1/realtime/ratelimits/users/{userId}",
  tags: ["realtime"],
  summary: "A user's own message bucket (an override of every topic's; empty = the topics' defaults)",
  ...access.admin(),
  request: { params: z.object({ userId: z.string().min(1).max(100) }) },
  responses: {
    200: jsonBody(z.object({ success: z.literal(true), userId: z.string(), limits: UserLimitsSchema })),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
  },
});

const putUserRateLimits = createRoute({
  method: "put",
  path: "/api/v1/realtime/ratelimits/users/{userId}",
  tags: ["realtime"],
  summary:
    "Set (or, with null fields, clear) a user's message bucket; applies to their open sockets at once (audited)",
  ...access.admin(),
  request: {
    params: z.object({ userId: z.string().min(1).max(100) }),
    body: jsonRequestBody(
      z.object({
        burst: z.number().int().min(1).max(1000).nullable(),
        perSecond: z.number().min(0.001).max(100).nullable(),
      }),
    ),
  },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        userId: z.string(),
        limits: UserLimitsSchema,
        appliedToSockets: z.number(),
      }),
    ),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
  },
});

const activitySessions = createRoute({
  method: "get",
  path: "/api/v1/realtime/activity/sessions",
  tags: ["realtime"],
  summary: "Connections per user on the given topics, with how long each has been open and idle",
  ...access.admin(),
  request: {
    query: z.object({
      topic: z
        .string()
        .min(1)
        .max(2000)
        .describe("One topic, or up to 20 separated by commas")
        .transform((v) => [...new Set(v.split(",").map((t) => t.trim()))])
        .refine((ts) => ts.length <= 20 && ts.every((t) => TOPIC_RE.test(t)), "unknown topic"),
    }),
  },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        topics: z.array(
          z.object({
            topic: z.string(),
            sockets: z.number(),
            users: z.array(
              z.object({
                user: z.object({ id: z.string(), name: z.string(), role: z.string() }),
                connections: z.array(
                  z.object({ connectedAt: z.string(), durationMs: z.number(), idleMs: z.number() }),
                ),
                totalMs: z.number(),
              }),
            ),
          }),
        ),
      }),
    ),
    ...commonErrors,
    ...authErrors,
  },
});

/** Frame types only the hub itself or clients make; a service publishes anything else. */
const RESERVED_TYPES = new Set([
  "welcome",
  "error",
  "pong",
  "ping",
  "message",
  "presence.join",
  "presence.leave",
]);
const MAX_PUBLISH_BYTES = 16 * 1024;

const servicePublish = createRoute({
  method: "post",
  path: "/api/v1/realtime/publish",
  tags: ["realtime"],
  summary: "Publish a history frame on any topic (service key with the realtime scope)",
  ...access.service("realtime"),
  request: {
    body: jsonRequestBody(
      z.object({
        topic: TopicParam,
        type: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, "lowercase event name (≤ 64)"),
        data: z.record(z.string(), z.unknown()).default({}),
      }),
    ),
  },
  responses: {
    200: jsonBody(
      z.object({ success: z.literal(true), topic: z.string(), offset: z.number(), id: z.string() }),
    ),
    413: { description: "data larger than 16 KiB" },
    ...commonErrors,
    ...authErrors,
  },
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const banView = (b: ChatBan) => ({
  id: b.id,
  userId: b.userId,
  reason: b.reason,
  expiresAt: iso(b.expiresAt),
  createdBy: b.createdBy,
  createdAt: b.createdAt.toISOString(),
  liftedAt: iso(b.liftedAt),
});
const channelView = (ch: typeof chatChannels.$inferSelect) => ({
  id: ch.id,
  name: ch.name,
  description: ch.description,
  visibility: ch.visibility === "staff" ? ("staff" as const) : ("public" as const),
  topic: `chat:${ch.id}`,
  createdAt: ch.createdAt.toISOString(),
});

/** Chat and ticket topics the user joined recently (the user's index object); bans act on these. */
async function chatTopicsOf(deps: Deps, userId: string): Promise<string[]> {
  const topics = await deps.stubs.realtimeHub(`user:${userId}`).joinedTopics();
  return topics.filter((t) => CHAT_KINDS.has(topicKind(t)));
}

const TICKET_STATUSES = ["open", "pending", "in_progress", "resolved", "closed"] as const;
const OPEN_STATUSES: ReadonlySet<string> = new Set(["open", "pending", "in_progress"]);

const updateTicket = createRoute({
  method: "patch",
  path: "/api/v1/realtime/tickets/{id}",
  tags: ["realtime"],
  summary:
    "Change a support ticket's status, priority or assignee (staff; audited); a system message is posted in its channel",
  ...access.admin(),
  request: {
    params: z.object({ id: z.string().min(1).max(100) }),
    body: jsonRequestBody(
      z
        .object({
          status: z.enum(TICKET_STATUSES).optional(),
          priority: z.enum(["low", "medium", "high", "urgent"]).optional(),
          assignedToId: z.string().min(1).max(100).nullable().optional(),
        })
        .refine((b) => Object.values(b).some((v) => v !== undefined), "Nothing to change"),
    ),
  },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        ticket: z.object({
          id: z.string(),
          status: z.string(),
          priority: z.string(),
          assignedToId: z.string().nullable(),
        }),
        message: z.object({ id: z.string(), offset: z.number(), text: z.string() }).nullable(),
      }),
    ),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
  },
});

export const realtimeRoutes = createRouter()
  .openapi(discovery, (c) =>
    c.json(
      {
        success: true as const,
        protocol: 1,
        ticketUrl: "/api/v1/realtime/ticket",
        wsUrl: "/api/v1/realtime/ws",
        topics: [
          { pattern: "admin", who: "admins", clientPublish: false },
          { pattern: "sync:{syncLogId}", who: "admins", clientPublish: false },
          { pattern: "server:{uuid}", who: "the server's owner and admins", clientPublish: false },
          {
            pattern: "chat:{channel}",
            who: "members (public channels), admins (staff channels)",
            clientPublish: true,
          },
          { pattern: "ticket:{id}", who: "the ticket's owner and staff", clientPublish: true },
        ],
        limits: {
          maxSockets: LIMITS.maxSockets,
          burst: LIMITS.burst,
          perSecond: LIMITS.perSecond,
          maxFrameBytes: LIMITS.maxFrameBytes,
          maxTextChars: LIMITS.maxTextChars,
          historyMax: LIMITS.historyMax,
          recent: LIMITS.recent,
          idleMs: LIMITS.idleMs,
        },
        closeCodes: { ...CLOSE },
        ping: PING,
      },
      200,
    ),
  )
  .openapi(activityChannels, async (c) => {
    const { hours } = c.req.valid("query");
    const since = new Date(c.var.deps.now().getTime() - hours * 3_600_000);
    const hour = sql<string>`date_trunc('hour', ${chatMessages.createdAt} at time zone 'UTC')`;
    const rows = await c.var.db
      .select({ topic: chatMessages.topic, hour, messages: sql<number>`count(*)::int` })
      .from(chatMessages)
      .where(and(gte(chatMessages.createdAt, since), isNull(chatMessages.deletedAt)))
      .groupBy(chatMessages.topic, hour)
      .orderBy(desc(hour), chatMessages.topic);
    const buckets = rows.map((r) => ({
      topic: r.topic,
      hour: `${String(r.hour).replace(" ", "T").slice(0, 19)}Z`,
      messages: Number(r.messages),
    }));
    return c.json({ success: true as const, buckets }, 200);
  })
  .openapi(servicePublish, async (c) => {
    const { topic, type, data } = c.req.valid("json");
    if (RESERVED_TYPES.has(type))
      throw new AppError("INVALID_REQUEST", `"${type}" frames are made by the hub or by clients`);
    if (new TextEncoder().encode(JSON.stringify(data)).length > MAX_PUBLISH_BYTES) {
      throw new AppError("PAYLOAD_TOO_LARGE", "data is limited to 16 KiB");
    }
    const { offset, id } = await publish(c.var.deps, topic, type, data);
    return c.json({ success: true as const, topic, offset, id }, 200);
  })
  .openapi(getRateLimits, async (c) => {
    const { topic } = c.req.valid("query");
    const limits = await c.var.deps.stubs.realtimeHub(topic).getLimits();
    return c.json({ success: true as const, topic, limits }, 200);
  })
  .openapi(putRateLimits, async (c) => {
    const { topic, ...patch } = c.req.valid("json");
    const deps = c.var.deps;
    const limits = await deps.stubs.realtimeHub(topic).setLimits(patch);
    await auditInsert(c.var.db, {
      action: "realtime.limits_updated",
      actor: deps.actor,
      targetType: "realtime_topic",
      targetId: topic,
      details: { ...patch },
    });
    return c.json({ success: true as const, topic, limits }, 200);
  })
  .openapi(getUserRateLimits, async (c) => {
    const { userId } = c.req.valid("param");
    const [u] = await c.var.db.select({ id: users.id }).from(users).where(eq(users.id, userId));
    if (!u) throw new AppError("NOT_FOUND", "User not found");
    const limits = await c.var.deps.stubs.realtimeHub(`user:${userId}`).getUserLimits();
    return c.json({ success: true as const, userId, limits }, 200);
  })
  .openapi(putUserRateLimits, async (c) => {
    const { userId } = c.req.valid("param");
    const input = c.req.valid("json");
    const deps = c.var.deps;
    const [u] = await c.var.db.select({ id: users.id }).from(users).where(eq(users.id, userId));
    if (!u) throw new AppError("NOT_FOUND", "User not found");
    const limits = await deps.stubs.realtimeHub(`user:${userId}`).putUserLimits({
      burst: input.burst ?? undefined,
      perSecond: input.perSecond ?? undefined,
    });
    let appliedToSockets = 0;
    for (const topic of await chatTopicsOf(deps, userId)) {
      appliedToSockets += await deps.stubs.realtimeHub(topic).setUserLimits(userId, limits);
    }
    await auditInsert(c.var.db, {
      action: "realtime.user_limits_updated",
      actor: deps.actor,
      targetType: "user",
      targetId: userId,
      details: { ...limits },
    });
    return c.json({ success: true as const, userId, limits, appliedToSockets }, 200);
  })
  .openapi(activitySessions, async (c) => {
    const { topic } = c.req.valid("query");
    const topics = await Promise.all(topic.map((t) => c.var.deps.stubs.realtimeHub(t).sessions()));
    return c.json(
      { success: true as const, topics: topics.map((t, i) => ({ ...t, topic: topic[i] as string })) },
      200,
    );
  })
  .openapi(ticketRoute, async (c) => {
    const { topic } = c.req.valid("json");
    const user = currentUser(c);
    const grant = await authorizeTopic(c.var.db, user, topic, c.var.deps.now());
    const { ticket, expiresIn } = await issueTicket(c.var.deps, user.id, ticketPurpose(topic));
    const url = `/api/v1/realtime/ws?topic=${encodeURIComponent(topic)}&ticket=${ticket}`;
    return c.json(
      { success: true as const, topic, ticket, expiresIn, url, canPublish: grant.canPublish },
      200,
    );
  })
  .openapi(wsRoute, async (c) => {
    const notUpgrade = upgradeRequired(c);
    if (notUpgrade) return notUpgrade;
    const { topic, ticket, since, analytics } = c.req.valid("query");
    const deps = c.var.deps;
    const userId = await consumeTicket(deps, ticket, ticketPurpose(topic));
    if (!userId) {
      throw new AppError("UNAUTHORIZED", "Invalid, used or expired ticket", {
        publicError: "invalid_ticket",
      });
    }
    const [user] = await c.var.db.select().from(users).where(eq(users.id, userId));
    if (!user?.isActive) throw new AppError("UNAUTHORIZED", "Account disabled or deleted");
    // Re-checked at the upgrade: a ban or a lost role between ticket and connect counts.
    const grant = await authorizeTopic(c.var.db, user, topic, deps.now());
    const headers = new Headers(c.req.raw.headers);
    for (const h of Object.values(HUB_HEADERS)) headers.delete(h);
    headers.set(HUB_HEADERS.topic, topic);
    headers.set(HUB_HEADERS.user, user.id);
    headers.set(HUB_HEADERS.name, encodeURIComponent(displayName(user)));
    headers.set(HUB_HEADERS.role, grant.role);
    headers.set(HUB_HEADERS.publish, grant.canPublish ? "1" : "0");
    headers.set(HUB_HEADERS.requestId, c.get("requestId") ?? "");
    if (since !== undefined) headers.set(HUB_HEADERS.since, String(since));
    if (analytics === "1") headers.set(HUB_HEADERS.analytics, "1");
    if (grant.canPublish) {
      // The user's own bucket, if an admin set one (one RPC, only where clients may publish).
      const own = await deps.stubs.realtimeHub(`user:${user.id}`).getUserLimits();
      if (Object.keys(own).length > 0) headers.set(HUB_HEADERS.userLimits, JSON.stringify(own));
    }
    const res = await deps.stubs.realtimeHub(topic).fetch(new Request(c.req.url, { headers }));
    if (res.status === 101 && grant.canPublish) {
      deps.waitUntil(deps.stubs.realtimeHub(`user:${user.id}`).track(topic));
    }
    return res as never;
  })
  .openapi(listChannels, async (c) => {
    const admin = isAdminUser(currentUser(c));
    const rows = await c.var.db
      .select()
      .from(chatChannels)
      .where(
        admin
          ? isNull(chatChannels.archivedAt)
          : and(isNull(chatChannels.archivedAt), eq(chatChannels.visibility, "public")),
      )
      .orderBy(chatChannels.id);
    return c.json({ success: true as const, channels: rows.map(channelView) }, 200);
  })
  .openapi(createChannel, async (c) => {
    const input = c.req.valid("json");
    const [row] = await c.var.db
      .insert(chatChannels)
      .values({
        id: input.id,
        name: input.name,
        description: input.description ?? null,
        visibility: input.visibility,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new AppError("CONFLICT", "A channel with this id exists");
    await auditInsert(c.var.db, {
      action: "chat.channel_created",
      actor: c.var.deps.actor,
      targetType: "chat_channel",
      targetId: row.id,
      details: { visibility: row.visibility },
    });
    return c.json({ success: true as const, channel: channelView(row) }, 201);
  })
  .openapi(listMessages, async (c) => {
    const { topic, before, limit } = c.req.valid("query");
    if (!CHAT_KINDS.has(topicKind(topic)))
      throw new AppError("INVALID_REQUEST", "Only chat:* and ticket:* topics keep messages");
    await authorizeTopic(c.var.db, currentUser(c), topic, c.var.deps.now());
    const rows = await c.var.db
      .select()
      .from(chatMessages)
      .where(
        and(
          eq(chatMessages.topic, topic),
          isNull(chatMessages.deletedAt),
          before !== undefined ? lt(chatMessages.offset, before) : undefined,
        ),
      )
      .orderBy(desc(chatMessages.offset))
      .limit(limit);
    const messages = rows.map((m) => ({
      id: m.id,
      topic: m.topic,
      offset: m.offset,
      userId: m.userId,
      body: m.body,
      createdAt: m.createdAt.toISOString(),
    }));
    return c.json({ success: true as const, messages }, 200);
  })
  .openapi(deleteMessage, async (c) => {
    const { id } = c.req.valid("param");
    const deps = c.var.deps;
    const [row] = await c.var.db
      .update(chatMessages)
      .set({ deletedAt: deps.now(), deletedBy: currentUser(c).id })
      .where(and(eq(chatMessages.id, id), isNull(chatMessages.deletedAt)))
      .returning();
    if (!row) throw new AppError("NOT_FOUND", "Message not found");
    await auditInsert(c.var.db, {
      action: "chat.message_deleted",
      actor: deps.actor,
      targetType: "chat_message",
      targetId: id,
      details: { topic: row.topic, offset: row.offset },
    });
    await publish(deps, row.topic, "message.deleted", { id, offset: row.offset });
    return c.json({ success: true as const, id }, 200);
  })
  .openapi(banUser, async (c) => {
    const input = c.req.valid("json");
    const deps = c.var.deps;
    const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
    if (expiresAt && expiresAt <= deps.now())
      throw new AppError("INVALID_REQUEST", "expiresAt must be in the future");
    const [target] = await c.var.db.select({ id: users.id }).from(users).where(eq(users.id, input.userId));
    if (!target) throw new AppError("NOT_FOUND", "User not found");
    const id = crypto.randomUUID();
    const [[ban]] = await c.var.db.batch([
      c.var.db
        .insert(chatBans)
        .values({ id, userId: input.userId, reason: input.reason, expiresAt, createdBy: currentUser(c).id })
        .returning(),
      auditInsert(c.var.db, {
        action: "chat.user_banned",
        actor: deps.actor,
        targetType: "user",
        targetId: input.userId,
        details: { banId: id, expiresAt: iso(expiresAt) },
      }),
    ]);
    if (!ban) throw new AppError("INTERNAL", "Ban not recorded");
    let closedSockets = 0;
    const until = expiresAt ? expiresAt.getTime() : null;
    for (const topic of await chatTopicsOf(deps, input.userId)) {
      closedSockets += await deps.stubs.realtimeHub(topic).kick(input.userId, until, "banned");
    }
    return c.json({ success: true as const, ban: banView(ban), closedSockets }, 201);
  })
  .openapi(updateTicket, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const deps = c.var.deps;
    const db = c.var.db;
    const [before] = await db.select().from(supportTickets).where(eq(supportTickets.id, id));
    if (!before) throw new AppError("NOT_FOUND", "Ticket not found");
    let assignee: { id: string; name: string } | null | undefined;
    if (input.assignedToId) {
      const [u] = await db.select().from(users).where(eq(users.id, input.assignedToId));
      if (!u || !isAdminUser(u)) throw new AppError("INVALID_REQUEST", "assignedToId must be a staff member");
      assignee = { id: u.id, name: displayName(u) };
    } else if (input.assignedToId === null) assignee = null;
    const changes: string[] = [];
    const change: Record<string, { from: string | null; to: string | null }> = {};
    if (input.status && input.status !== before.status) {
      change.status = { from: before.status, to: input.status };
      changes.push(`status ${before.status} → ${input.status}`);
    }
    if (input.priority && input.priority !== before.priority) {
      change.priority = { from: before.priority, to: input.priority };
      changes.push(`priority ${before.priority} → ${input.priority}`);
    }
    if (assignee !== undefined && (assignee?.id ?? null) !== before.assignedToId) {
      change.assignedToId = { from: before.assignedToId, to: assignee?.id ?? null };
      changes.push(assignee ? `assigned to ${assignee.name}` : "unassigned");
    }
    const view = (t: typeof before) => ({
      id: t.id,
      status: t.status,
      priority: t.priority,
      assignedToId: t.assignedToId,
    });
    if (changes.length === 0)
      return c.json({ success: true as const, ticket: view(before), message: null }, 200);
    const status = input.status ?? before.status;
    const [[after]] = await db.batch([
      db
        .update(supportTickets)
        .set({
          status,
          priority: input.priority ?? before.priority,
          assignedToId: assignee === undefined ? before.assignedToId : (assignee?.id ?? null),
          closedAt: OPEN_STATUSES.has(status) ? null : (before.closedAt ?? deps.now()),
          updatedAt: deps.now(),
        })
        .where(eq(supportTickets.id, id))
        .returning(),
      auditInsert(db, {
        action: "ticket.updated",
        actor: deps.actor,
        targetType: "support_ticket",
        targetId: id,
        details: { change },
      }),
    ]);
    if (!after) throw new AppError("NOT_FOUND", "Ticket not found");
    // The system message: a history frame on the ticket's channel, kept with its messages.
    const by = displayName(currentUser(c));
    const text = `${by}: ${changes.join(", ")}`;
    const topic = `ticket:${id}`;
    const frame = await publish(deps, topic, "system", {
      text,
      change,
      by: { id: currentUser(c).id, name: by },
    });
    await db
      .insert(chatMessages)
      .values({ id: frame.id, topic, offset: frame.offset, userId: null, body: text })
      .onConflictDoNothing();
    return c.json({ success: true as const, ticket: view(after), message: { ...frame, text } }, 200);
  })
  .openapi(listBans, async (c) => {
    const { userId } = c.req.valid("query");
    const rows = await c.var.db
      .select()
      .from(chatBans)
      .where(userId ? eq(chatBans.userId, userId) : undefined)
      .orderBy(desc(chatBans.createdAt))
      .limit(500);
    return c.json({ success: true as const, bans: rows.map(banView) }, 200);
  })
  .openapi(liftBan, async (c) => {
    const { id } = c.req.valid("param");
    const deps = c.var.deps;
    const [ban] = await c.var.db
      .update(chatBans)
      .set({ liftedAt: deps.now() })
      .where(and(eq(chatBans.id, id), isNull(chatBans.liftedAt)))
      .returning();
    if (!ban) throw new AppError("NOT_FOUND", "Active ban not found");
    await auditInsert(c.var.db, {
      action: "chat.ban_lifted",
      actor: deps.actor,
      targetType: "user",
      targetId: ban.userId,
      details: { banId: id },
    });
    if (!(await activeBan(c.var.db, ban.userId, deps.now()))) {
      for (const topic of await chatTopicsOf(deps, ban.userId)) {
        await deps.stubs.realtimeHub(topic).unkick(ban.userId);
      }
    }
    return c.json({ success: true as const, ban: banView(ban) }, 200);
  })
  .openapi(presenceRoute, async (c) => {
    const { topic } = c.req.valid("query");
    const s = await c.var.deps.stubs.realtimeHub(topic).stats();
    return c.json(
      { success: true as const, topic, offset: s.offset, sockets: s.sockets, presence: s.presence },
      200,
    );
  });
