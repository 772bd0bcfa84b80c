// GET /api/admin/sync/stream/{id}: Server-Sent Events for one run. EventSource cannot send
// headers, so the URL carries `?ticket=` (single use, 60 s, from POST …/stream/{id}/ticket) —
// or, for the website as it is, `?token=` with the access token (which then appears in
// invocation logs: prefer tickets). Auth and lookup errors answer JSON (401/403/404), never a
// 200 stream. Then: `connected`, `update` only when the payload changed, `: ping` keep-alives,
// exactly one `done` on a terminal status, close. The viewer is re-checked every 5 s: a
// demoted or disabled admin gets `event: error` and the stream closes.
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { currentUser, isActiveAdmin, requireAdmin } from "../../access/authenticate.ts";
import { access } from "../../access/route-access.ts";
import { issueTicket } from "../../access/tickets.ts";
import { AppError } from "../../platform/errors.ts";
import { authErrors, commonErrors, jsonBody, notFoundError } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import { getLog, syncLogView } from "./sync-logs.ts";

const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const TICKET_PURPOSE = "sync-stream";
const RECHECK_VIEWER_MS = 5_000;
const POLL_MS = 1000;
const PING_EVERY_MS = 10_000;
const MAX_STREAM_MS = 2 * 60 * 60 * 1000;

const route = createRoute({
  method: "get",
  path: "/api/admin/sync/stream/{id}",
  tags: ["sync"],
  summary: "Live progress of one sync over SSE (EventSource: pass the access token as ?token=)",
  security: [{ bearerAuth: [] }],
  "x-access": "admin",
  middleware: [requireAdmin({ allowQueryToken: true, ticketPurpose: TICKET_PURPOSE })],
  request: {
    params: z.object({ id: z.string().min(1).max(100) }),
    query: z.object({ token: z.string().max(4096).optional(), ticket: z.string().max(200).optional() }),
  },
  responses: {
    200: {
      description: "text/event-stream of connected, update and done events",
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
  },
});

const ticketRoute = createRoute({
  method: "post",
  path: "/api/admin/sync/stream/{id}/ticket",
  tags: ["sync"],
  summary: "A single-use, 60-second ticket for the stream URL (keeps the access token out of URLs)",
  ...access.admin(),
  request: { params: z.object({ id: z.string().min(1).max(100) }) },
  responses: {
    200: jsonBody(
      z.object({ success: z.literal(true), ticket: z.string(), expiresIn: z.number(), url: z.string() }),
    ),
    ...commonErrors,
    ...authErrors,
    ...notFoundError,
  },
});

export const syncStreamRoutes = createRouter()
  .openapi(ticketRoute, async (c) => {
    const { id } = c.req.valid("param");
    if (!(await getLog(c.var.db, id))) throw new AppError("NOT_FOUND", "Sync log not found");
    const { ticket, expiresIn } = await issueTicket(c.var.deps, currentUser(c).id, TICKET_PURPOSE);
    const url = `/api/admin/sync/stream/${encodeURIComponent(id)}?ticket=${ticket}`;
    return c.json({ success: true as const, ticket, expiresIn, url }, 200);
  })
  .openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.var.db;
    const first = await getLog(db, id);
    if (!first) throw new AppError("NOT_FOUND", "Sync log not found");
    c.header("Cache-Control", "no-cache");
    c.header("X-Accel-Buffering", "no");
    return streamSSE(c, async (stream) => {
      const payload = (l: NonNullable<typeof first>) => {
        const v = syncLogView(l);
        return JSON.stringify({
          id: v.id,
          status: v.status,
          itemsTotal: v.itemsTotal,
          itemsSynced: v.itemsSynced,
          metadata: v.metadata,
        });
      };
      const now = () => c.var.deps.now().getTime();
      await stream.writeSSE({ event: "connected", data: JSON.stringify({ syncLogId: id }) });
      const started = now();
      let last = "";
      let lastWrite = now();
      let log: typeof first | undefined = first;
      const viewer = currentUser(c).id;
      let checkedAt = now();
      while (!stream.aborted && now() - started < MAX_STREAM_MS) {
        if (now() - checkedAt >= RECHECK_VIEWER_MS) {
          checkedAt = now();
          if (!(await isActiveAdmin(db, viewer))) {
            await stream.writeSSE({ event: "error", data: JSON.stringify({ error: "access revoked" }) });
            return;
          }
        }
        if (!log) {
          await stream.writeSSE({ event: "error", data: JSON.stringify({ error: "log not found" }) });
          return;
        }
        const data = payload(log);
        if (data !== last) {
          await stream.writeSSE({ event: "update", data });
          last = data;
          lastWrite = now();
        }
        if (TERMINAL.has(log.status)) {
          await stream.writeSSE({ event: "done", data });
          return;
        }
        if (now() - lastWrite >= PING_EVERY_MS) {
          await stream.write(": ping\n\n");
          lastWrite = now();
        }
        await stream.sleep(POLL_MS);
        log = await getLog(db, id);
      }
    });
  });
