// GET /api/admin/sync/stream/{id}?token=: Server-Sent Events for one run. Auth and lookup
// errors answer JSON (401/403/404), never a 200 stream. Then: `connected`, `update` only when
// the payload changed, `: ping` keep-alives, exactly one `done` on a terminal status, close.
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { requireAdmin } from "../../access/authenticate.ts";
import { AppError } from "../../platform/errors.ts";
import { authErrors, commonErrors, notFoundError } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import { getLog, syncLogView } from "./sync-logs.ts";

const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
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
  middleware: [requireAdmin({ allowQueryToken: true })],
  request: {
    params: z.object({ id: z.string().min(1).max(100) }),
    query: z.object({ token: z.string().max(4096).optional() }),
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

export const syncStreamRoutes = createRouter().openapi(route, async (c) => {
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
    while (!stream.aborted && now() - started < MAX_STREAM_MS) {
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
