// The console through the relay: `POST …/console/ticket` (signed in; websocket.connect, the owner
// or an admin) issues a single-use 60-second ticket (access/tickets.ts, as the realtime hub's),
// and `GET …/console?ticket=` upgrades to the server's ConsoleRelay object. The ticket, the
// account and the access are checked here, so every refusal is an HTTP error in the standard body
// before any upgrade; the object trusts what the Worker hands it. Protocol: docs/servers.md#console.

import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { currentUser, principalOf, setPrincipal } from "../../access/authenticate.ts";
import { consumeTicket, issueTicket } from "../../access/tickets.ts";
import { users } from "../../platform/db/schema/index.ts";
import { upgradeRequired } from "../../platform/error-response.ts";
import { AppError } from "../../platform/errors.ts";
import { jsonBody } from "../../platform/openapi.ts";
import { isAdminUser } from "../../platform/principal.ts";
import { createRouter } from "../../platform/router.ts";
import { CONSOLE_HEADERS, LIMITS, type Viewer } from "./console-protocol.ts";
import { openServer, serverMember } from "./server-control.ts";
import { base, errors, ServerParam, tags } from "./servers.schemas.ts";

const purpose = (serverId: string) => `console:${serverId}`;

const ticketRoute = createRoute({
  method: "post",
  path: `${base}/console/ticket`,
  tags,
  summary: "A single-use, 60-second ticket to open the server's console (websocket.connect)",
  ...serverMember(),
  request: { params: ServerParam },
  responses: {
    200: jsonBody(
      z.object({
        success: z.literal(true),
        ticket: z.string(),
        expiresIn: z.number(),
        url: z.string(),
        permissions: z.array(z.string()),
      }),
    ),
    ...errors,
  },
});

const consoleRoute = createRoute({
  method: "get",
  path: `${base}/console`,
  tags,
  summary:
    "Open the console (Upgrade: websocket) with a ticket: Wings' frames {event, args}, filtered to the viewer's permissions",
  "x-access": "public",
  request: {
    params: ServerParam,
    query: z.object({ ticket: z.string().min(1).max(200) }),
  },
  responses: {
    101: { description: "Switching Protocols: frames as in docs/servers.md#console" },
    426: { description: "Not a WebSocket upgrade" },
    ...errors,
  },
});

export const consoleRoutes = createRouter()
  .openapi(ticketRoute, async (c) => {
    const ctl = await openServer(
      c.var.deps,
      principalOf(c),
      c.req.valid("param").server,
      "websocket.connect",
    );
    const { ticket, expiresIn } = await issueTicket(
      c.var.deps,
      currentUser(c).id,
      purpose(ctl.access.serverId),
    );
    const url = `/api/v1/servers/${encodeURIComponent(ctl.access.serverId)}/console?ticket=${ticket}`;
    return c.json(
      { success: true as const, ticket, expiresIn, url, permissions: [...ctl.access.permissions] },
      200,
    );
  })
  .openapi(consoleRoute, async (c) => {
    const notUpgrade = upgradeRequired(c);
    if (notUpgrade) return notUpgrade;
    const { server } = c.req.valid("param");
    const deps = c.var.deps;
    // The ticket names our server id (the URL the ticket route answered).
    const userId = await consumeTicket(deps, c.req.valid("query").ticket, purpose(server));
    if (!userId) {
      throw new AppError("UNAUTHORIZED", "Invalid, used or expired ticket", {
        publicError: "invalid_ticket",
      });
    }
    const [user] = await c.var.db.select().from(users).where(eq(users.id, userId));
    if (!user?.isActive) throw new AppError("UNAUTHORIZED", "Account disabled or deleted");
    const principal = { kind: "user" as const, user, isAdmin: isAdminUser(user) };
    setPrincipal(c, principal);
    // Re-checked at the upgrade: a permission lost between ticket and connect counts.
    const ctl = await openServer(c.var.deps, principal, server, "websocket.connect", { fresh: true });
    const now = Date.now();
    const viewer: Viewer = {
      u: user.id,
      r: ctl.access.role,
      p: [...ctl.access.permissions],
      ip: c.var.deps.actor.ip,
      ua: c.var.deps.actor.userAgent,
      c: now,
      n: 0,
      t: LIMITS.burst,
      tu: now,
    };
    const headers = new Headers({ Upgrade: "websocket" });
    headers.set(CONSOLE_HEADERS.server, ctl.access.serverId);
    headers.set(CONSOLE_HEADERS.uuid, ctl.uuid);
    headers.set(CONSOLE_HEADERS.viewer, JSON.stringify(viewer));
    headers.set(CONSOLE_HEADERS.conn, JSON.stringify(ctl.panel.conn));
    headers.set(CONSOLE_HEADERS.requestId, c.get("requestId") ?? "");
    const res = await deps.stubs.consoleRelay(ctl.access.serverId).fetch("https://console-relay/connect", {
      headers,
    });
    return res as never;
  });
