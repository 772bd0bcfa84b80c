// Demo panel: the Client API routes the sync uses: the server listing and a server's subusers
// (409 ServerStateConflictException for suspended, installing, restoring or maintenance servers).
import type { PanelData } from "./data.ts";
import { fail, item, list, notFound, reply } from "./fractal.ts";
import { render } from "./includes.ts";
import { listQueried, partial } from "./listing.ts";
import type { Server } from "./model.ts";
import { type Route, type RouteContext, route } from "./route.ts";

export function stateConflict(data: PanelData, s: Server): string | null {
  if (s.status === "suspended")
    return "This server is currently suspended and the functionality requested is unavailable.";
  if (data.tables.nodes.get(s.nodeId)?.maintenanceMode) {
    return "The node of this server is currently under maintenance and the functionality requested is unavailable.";
  }
  if (s.status === "installing" || s.status === "install_failed") {
    return "This server has not yet completed its installation process, please try again later.";
  }
  if (s.status === "restoring_backup")
    return "This server is currently restoring from a backup, please try again later.";
  return null;
}

/** Client `{server}` binding: 8 characters → uuidShort, anything else → uuid. */
export function clientServer(ctx: RouteContext): Server | undefined {
  const raw = ctx.params[0] ?? "";
  const ix = ctx.data.indexes;
  return raw.length === 8 ? ix.serverByIdentifier.get(raw) : ix.serverByUuid.get(raw);
}

/** ClientController::index's filters; `*` (MultiFieldServerFilter) approximated as name/uuid/identifier. */
const clientServerQuery = {
  filters: {
    uuid: partial((s: Server) => s.uuid),
    name: partial((s: Server) => s.name),
    description: partial((s: Server) => s.description),
    external_id: partial((s: Server) => s.externalId),
    "*": (s: Server, values: string[]) =>
      [s.name, s.uuid, s.identifier].some((f) =>
        values.some((v) => f.toLowerCase().includes(v.toLowerCase())),
      ),
  },
};

export const CLIENT_ROUTES: readonly Route[] = [
  // Client API. The listing returns every server whatever the key's user (a demo simplification).
  route(
    "GET",
    "/api/client",
    (c) =>
      listQueried(c, [...c.data.tables.servers.values()], clientServerQuery, c.client.server, "server", true),
    true,
  ),
  route("GET", "/api/client/servers/{server}", (c) => {
    const s = clientServer(c);
    return s ? reply(item("server", render(c.client.server, s, c.includes))) : notFound();
  }),
  route("GET", "/api/client/servers/{server}/users", (c) => {
    const s = clientServer(c);
    if (!s) return notFound();
    const conflict = stateConflict(c.data, s);
    if (conflict) return fail(409, "ServerStateConflictException", conflict);
    return reply(
      list(
        "server_subuser",
        (c.data.indexes.subusersByServer.get(s.id) ?? []).map((x) => render(c.client.subuser, x, new Map())),
      ),
    );
  }),
];
