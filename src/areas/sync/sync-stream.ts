// GET /api/admin/sync/stream/{id}: Server-Sent Events for one run. EventSource cannot send
// headers, so the URL carries `?ticket=` (single use, 60 s, from POST …/stream/{id}/ticket) —
// or, for the website as it is, `?token=` with the access token (which then appears in
// invocation logs: prefer tickets). Auth and lookup errors answer JSON (401/403/404), never a
// 200 stream. Then: `connected`, `update` only when the payload changed, `: ping` keep-alives,
// exactly one `done` on a terminal status, close. The viewer is re-checked every 5 s: a
// demoted or disabled admin gets `event: error` and the stream closes.
// Fed from the realtime hub, not a read per viewer per second: the handler subscribes to
// `sync:{id}` (a hibernatable socket on the hub, src/services/realtime/subscribe.ts), reads the
// log once, then renders each `sync.progress` frame from the log snapshot the commit returned. A
// `sync.finished` frame, a lost socket and every 30 s without one trigger a read of the log, so the
// terminal state always comes from the database and a lost publish delays `done` by 30 s at most.
// If the hub cannot be reached the stream falls back to reading the log every second.
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { currentUser, isActiveAdmin, requireAdmin } from "../../access/authenticate.ts";
import { access } from "../../access/route-access.ts";
import { issueTicket } from "../../access/tickets.ts";
import { AppError } from "../../platform/errors.ts";
import { authErrors, commonErrors, jsonBody, notFoundError } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import { type Subscription, subscribe } from "../../services/realtime/subscribe.ts";
import { getLog } from "./sync-logs.ts";

/** The website's payload: `{id, status, itemsTotal, itemsSynced, metadata}` (reference/website-client.md). */
interface StreamState {
  id: string;
  status: string;
  itemsTotal: number;
  itemsSynced: number;
  metadata: Record<string, unknown>;
}

function fromLog(l: StreamState | undefined): StreamState | undefined {
  if (!l) return undefined;
  return {
    id: l.id,
    status: l.status,
    itemsTotal: l.itemsTotal,
    itemsSynced: l.itemsSynced,
    metadata: (l.metadata ?? {}) as Record<string, unknown>,
  };
}

const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const TICKET_PURPOSE = "sync-stream";
const RECHECK_VIEWER_MS = 5_000;
/** Without a hub subscription (it failed), the log is read this often, as before the hub. */
const POLL_MS = 1000;
const RESUBSCRIBE_MS = 5_000;
/** A lost publish (fire-and-forget after the commit) costs a viewer at most this long. */
const SAFETY_READ_MS = 30_000;
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
    const deps = c.var.deps;
    const user = currentUser(c);
    const viewer = {
      id: user.id,
      name: `${user.username ?? user.email.split("@")[0]} (sync stream)`,
      role: "staff" as const,
    };
    const topic = `sync:${id}`;
    return streamSSE(c, async (stream) => {
      const now = () => deps.now().getTime();
      await stream.writeSSE({ event: "connected", data: JSON.stringify({ syncLogId: id }) });
      const started = now();
      let sub: Subscription | undefined;
      let retryAt = 0;
      // Subscribe first, read second: a commit between the two arrives as a frame, none is lost.
      const open = async () => {
        try {
          sub = await subscribe(deps, topic, viewer, { requestId: c.get("requestId") ?? "" });
        } catch (err) {
          sub = undefined;
          retryAt = now() + RESUBSCRIBE_MS;
          deps.log("warn", "sync stream: hub subscription failed, reading the log instead", {
            syncLogId: id,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      };
      await open();
      let state: StreamState | undefined = fromLog(await getLog(db, id));
      let seq = -1;
      let last = "";
      let lastWrite = now();
      let checkedAt = now();
      let readAt = now();
      try {
        while (!stream.aborted && now() - started < MAX_STREAM_MS) {
          if (now() - checkedAt >= RECHECK_VIEWER_MS) {
            checkedAt = now();
            if (!(await isActiveAdmin(db, viewer.id))) {
              await stream.writeSSE({ event: "error", data: JSON.stringify({ error: "access revoked" }) });
              return;
            }
          }
          if (!state) {
            await stream.writeSSE({ event: "error", data: JSON.stringify({ error: "log not found" }) });
            return;
          }
          const data = JSON.stringify(state);
          if (data !== last) {
            await stream.writeSSE({ event: "update", data });
            last = data;
            lastWrite = now();
          }
          if (TERMINAL.has(state.status)) {
            await stream.writeSSE({ event: "done", data });
            return;
          }
          if (now() - lastWrite >= PING_EVERY_MS) {
            await stream.write(": ping\n\n");
            sub?.ping();
            lastWrite = now();
          }
          const wait = Math.max(
            1,
            Math.min(PING_EVERY_MS - (now() - lastWrite), RECHECK_VIEWER_MS - (now() - checkedAt)),
          );
          let reread = now() - readAt >= SAFETY_READ_MS;
          if (sub) {
            const f = await sub.next(wait);
            if (f === "closed") {
              // Evicted, redeployed or refused: resubscribe, and read what happened meanwhile.
              sub = undefined;
              retryAt = now();
              reread = true;
            } else if (f?.type === "sync.finished") {
              reread = true; // the terminal state from the database, exactly as the REST logs show it
            } else if (f?.type === "sync.progress") {
              const next = f.data.log as StreamState | undefined;
              const s = typeof f.data.seq === "number" ? f.data.seq : -1;
              // Publishes are fire-and-forget: one may overtake another, or the first read.
              if (next && state && s > seq && next.itemsSynced >= state.itemsSynced) {
                seq = s;
                state = fromLog(next);
              } else if (!next) reread = true;
            }
          } else {
            await stream.sleep(Math.min(wait, POLL_MS));
            reread = true;
            if (now() >= retryAt) await open();
          }
          if (reread && !stream.aborted) {
            readAt = now();
            state = fromLog(await getLog(db, id));
          }
        }
      } finally {
        sub?.close();
      }
    });
  });
