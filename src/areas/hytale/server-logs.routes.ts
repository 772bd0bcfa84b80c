// Hytale server logs (upstream's paths and answers): POST /api/v1/hytale/server-logs for service
// keys with scope `server-logs` (one bulk insert per request, capped), GET …/server-logs newest
// first and GET …/server-logs/count for admins, `server-logs` service keys and the server's owner.
// Retention (30 days) is the 04:00 maintenance job.
import { createRoute, z } from "@hono/zod-openapi";
import { and, count, desc, eq, isNull } from "drizzle-orm";
import type { Context } from "hono";
import { principalOf } from "../../access/authenticate.ts";
import { access } from "../../access/route-access.ts";
import { hytaleServerLogs, servers } from "../../platform/db/schema/index.ts";
import { AppError } from "../../platform/errors.ts";
import { authErrors, commonErrors, jsonBody } from "../../platform/openapi.ts";
import { clampedSize } from "../../platform/pagination.ts";
import { createRouter } from "../../platform/router.ts";
import type { AppEnv } from "../../platform/types.ts";
import { serverAccess } from "../../services/servers/servers.ts";

/** Lines per request (past it: 413) and characters per line (past it: 400). */
export const SERVER_LOG_MAX_LINES = 1000;
export const SERVER_LOG_MAX_LINE = 8192;
/** The request body as sent (past it: 413, before it is parsed). */
export const SERVER_LOG_MAX_BODY = 2 * 1024 * 1024;
/** A line's own timestamp is kept when it lies between 2000-01-01 and a day after receipt. */
const EARLIEST = Date.UTC(2000, 0, 1);
const FUTURE_SLACK_MS = 86_400_000;

const ServerUuid = z.string().trim().min(1, "server_uuid is required").max(64);

const LogLine = z.object({
  line: z.string().max(SERVER_LOG_MAX_LINE, `a line holds at most ${SERVER_LOG_MAX_LINE} characters`),
  timestamp: z
    .union([z.string().max(64), z.number()])
    .optional()
    .nullable()
    .openapi({
      description: "RFC 3339 time, or Unix time in seconds or milliseconds; receipt time when absent",
    }),
});

const PostBody = z.object({
  server_uuid: ServerUuid,
  account_id: z.string().trim().min(1, "account_id is required").max(255),
  logs: z.array(LogLine).min(1, "At least one log entry is required"),
});

const ReadQuery = z.object({
  server_uuid: ServerUuid,
  limit: clampedSize(1000, 100),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

const post = createRoute({
  method: "post",
  path: "/api/v1/hytale/server-logs",
  tags: ["hytale"],
  summary: `Store a server's log lines (at most ${SERVER_LOG_MAX_LINES} per request, ${SERVER_LOG_MAX_LINE} characters per line)`,
  ...access.service("server-logs"),
  request: { body: { content: { "application/json": { schema: PostBody } }, required: true } },
  responses: {
    201: jsonBody(
      z.object({
        success: z.literal(true),
        data: z.object({ saved_count: z.number().int(), server_uuid: z.string() }),
      }),
    ),
    ...commonErrors,
    ...authErrors,
  },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/hytale/server-logs",
  tags: ["hytale"],
  summary: "A server's log lines, newest first (limit ≤ 1000, offset)",
  ...access.memberOrService("server-logs"),
  request: { query: ReadQuery },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        data: z.array(
          z.object({
            id: z.number().int(),
            line: z.string(),
            timestamp: z.string(),
            received_at: z.string(),
          }),
        ),
      }),
    ),
    ...commonErrors,
    ...authErrors,
  },
});

const total = createRoute({
  method: "get",
  path: "/api/v1/hytale/server-logs/count",
  tags: ["hytale"],
  summary: "How many log lines a server has",
  ...access.memberOrService("server-logs"),
  request: { query: ReadQuery.pick({ server_uuid: true }) },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        data: z.object({ server_uuid: z.string(), total_logs: z.number().int() }),
      }),
    ),
    ...commonErrors,
    ...authErrors,
  },
});

/** A line's timestamp as sent, or undefined for receipt time; a value out of range is refused. */
function lineTime(value: string | number | null | undefined, index: number, now: number): Date | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const ms =
    typeof value === "number"
      ? value < 1e11
        ? value * 1000
        : value
      : /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)
        ? Date.parse(value)
        : Number.NaN;
  if (!Number.isFinite(ms) || ms < EARLIEST || ms > now + FUTURE_SLACK_MS) {
    const message = "not a time between 2000 and a day from now";
    throw new AppError("INVALID_REQUEST", `logs[${index}].timestamp is ${message}`, {
      details: [{ path: `logs.${index}.timestamp`, message }],
    });
  }
  return new Date(ms);
}

/** The server whose logs a reader asks for: admins and service keys any, a member only their own. */
async function readableServer(c: Context<AppEnv>, serverUuid: string): Promise<string> {
  const p = principalOf(c);
  if (p.kind !== "user" || p.isAdmin) return serverUuid;
  const own = await serverAccess(c.var.db, p, serverUuid);
  // Anyone else's server (or none): the same 404, no existence oracle.
  if (own?.role !== "owner" || !own.uuid) throw new AppError("NOT_FOUND", "Server not found");
  return own.uuid;
}

export const serverLogRoutes = createRouter()
  .openapi(post, async (c) => {
    const length = Number(c.req.header("content-length") ?? "0");
    if (length > SERVER_LOG_MAX_BODY) {
      throw new AppError(
        "PAYLOAD_TOO_LARGE",
        `A request carries at most ${SERVER_LOG_MAX_BODY} bytes of logs`,
      );
    }
    const body = c.req.valid("json");
    if (body.logs.length > SERVER_LOG_MAX_LINES) {
      throw new AppError("PAYLOAD_TOO_LARGE", `A request carries at most ${SERVER_LOG_MAX_LINES} log lines`);
    }
    const now = c.var.deps.now();
    const rows = body.logs.map((l, i) => ({
      serverUuid: body.server_uuid,
      accountId: body.account_id,
      logLine: l.line,
      logTimestamp: lineTime(l.timestamp, i, now.getTime()) ?? now,
      createdAt: now,
    }));
    const [server] = await c.var.db
      .select({ uuid: servers.uuid })
      .from(servers)
      .where(and(eq(servers.uuid, body.server_uuid), isNull(servers.deletedAt)));
    if (!server) throw new AppError("NOT_FOUND", "Unknown server_uuid");
    // One statement for the whole request (upstream sent one INSERT per line).
    await c.var.db.insert(hytaleServerLogs).values(rows);
    return c.json(
      { success: true as const, data: { saved_count: rows.length, server_uuid: body.server_uuid } },
      201,
    );
  })
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const uuid = await readableServer(c, q.server_uuid);
    const rows = await c.var.db
      .select({
        id: hytaleServerLogs.id,
        line: hytaleServerLogs.logLine,
        timestamp: hytaleServerLogs.logTimestamp,
        receivedAt: hytaleServerLogs.createdAt,
      })
      .from(hytaleServerLogs)
      .where(eq(hytaleServerLogs.serverUuid, uuid))
      .orderBy(desc(hytaleServerLogs.createdAt), desc(hytaleServerLogs.id))
      .limit(q.limit)
      .offset(q.offset);
    return c.json(
      {
        success: true as const,
        data: rows.map((r) => ({
          id: r.id,
          line: r.line,
          timestamp: r.timestamp.toISOString(),
          received_at: r.receivedAt.toISOString(),
        })),
      },
      200,
    );
  })
  .openapi(total, async (c) => {
    const uuid = await readableServer(c, c.req.valid("query").server_uuid);
    const [row] = await c.var.db
      .select({ n: count() })
      .from(hytaleServerLogs)
      .where(eq(hytaleServerLogs.serverUuid, uuid));
    return c.json(
      { success: true as const, data: { server_uuid: uuid, total_logs: Number(row?.n ?? 0) } },
      200,
    );
  });
