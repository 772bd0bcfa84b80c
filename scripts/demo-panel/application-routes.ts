// Demo panel: the Application API routes: bindings (404), listings with the panel's filters, sorts
// and pagination, non-paginated eggs/databases lists, items, and PATCH …/startup.
import { item, notFound, reply } from "./fractal.ts";
import { render, renderList } from "./includes.ts";
import { exact, listQueried, pageOf, partial } from "./listing.ts";
import type { Server, User } from "./model.ts";
import { byId, type Route, route } from "./route.ts";
import { updateStartup } from "./startup.ts";

const userQuery = {
  filters: {
    email: partial((u: User) => u.email),
    uuid: partial((u: User) => u.uuid),
    username: partial((u: User) => u.username),
    external_id: partial((u: User) => u.externalId),
  },
  sorts: { id: (u: User) => u.id, uuid: (u: User) => u.uuid },
};
const serverQuery = {
  filters: {
    uuid: partial((s: Server) => s.uuid),
    uuidShort: partial((s: Server) => s.identifier),
    name: partial((s: Server) => s.name),
    description: partial((s: Server) => s.description),
    image: partial((s: Server) => s.image),
    external_id: partial((s: Server) => s.externalId),
  },
  sorts: { id: (s: Server) => s.id, uuid: (s: Server) => s.uuid },
};

const A = "/api/application";

export const APPLICATION_ROUTES: readonly Route[] = [
  route(
    "GET",
    `${A}/locations`,
    (c) =>
      listQueried(
        c,
        [...c.data.tables.locations.values()],
        {
          filters: { short: partial((l) => l.short), long: partial((l) => l.long) },
          sorts: { id: (l) => l.id },
        },
        c.app.location,
        "location",
      ),
    true,
  ),
  route("GET", `${A}/locations/{location}`, (c) => {
    const l = byId(c.data.tables.locations, c.params[0]);
    return l ? reply(item("location", render(c.app.location, l, c.includes))) : notFound();
  }),
  route(
    "GET",
    `${A}/nodes`,
    (c) =>
      listQueried(
        c,
        [...c.data.tables.nodes.values()],
        {
          filters: {
            uuid: partial((n) => n.uuid),
            name: partial((n) => n.name),
            fqdn: partial((n) => n.fqdn),
          },
          sorts: { id: (n) => n.id, uuid: (n) => n.uuid, memory: (n) => n.memory, disk: (n) => n.disk },
        },
        c.app.node,
        "node",
      ),
    true,
  ),
  route("GET", `${A}/nodes/{node}`, (c) => {
    const n = byId(c.data.tables.nodes, c.params[0]);
    return n ? reply(item("node", render(c.app.node, n, c.includes))) : notFound();
  }),
  route(
    "GET",
    `${A}/nodes/{node}/allocations`,
    (c) => {
      const n = byId(c.data.tables.nodes, c.params[0]);
      if (!n) return notFound();
      return listQueried(
        c,
        c.data.indexes.allocationsByNode.get(n.id) ?? [],
        {
          filters: {
            ip: exact((a) => a.ip),
            port: exact((a) => a.port),
            ip_alias: partial((a) => a.alias),
            server_id: (a, v) =>
              /^\d+$/.test(v[0] ?? "") ? a.serverId === Number(v[0]) : a.serverId === null,
          },
        },
        c.app.allocation,
        "allocation",
      );
    },
    true,
  ),
  route("GET", `${A}/nests`, (c) => pageOf(c, [...c.data.tables.nests.values()], c.app.nest, "nest"), true),
  route("GET", `${A}/nests/{nest}`, (c) => {
    const n = byId(c.data.tables.nests, c.params[0]);
    return n ? reply(item("nest", render(c.app.nest, n, c.includes))) : notFound();
  }),
  // Not paginated in the panel: every egg of the nest in one list without meta.
  route("GET", `${A}/nests/{nest}/eggs`, (c) => {
    const n = byId(c.data.tables.nests, c.params[0]);
    if (!n) return notFound();
    const eggs = c.data.indexes.eggsByNest.get(n.id) ?? [];
    return reply({ object: "list", data: renderList(c.app.egg, eggs, "egg", c.includes) });
  }),
  route("GET", `${A}/nests/{nest}/eggs/{egg}`, (c) => {
    const e = byId(c.data.tables.eggs, c.params[1]);
    return e && String(e.nestId) === c.params[0]
      ? reply(item("egg", render(c.app.egg, e, c.includes)))
      : notFound();
  }),
  route(
    "GET",
    `${A}/users`,
    (c) => listQueried(c, [...c.data.tables.users.values()], userQuery, c.app.user, "user"),
    true,
  ),
  route("GET", `${A}/users/external/{external}`, (c) => {
    const u = [...c.data.tables.users.values()].find((x) => x.externalId === c.params[0]);
    return u ? reply(item("user", render(c.app.user, u, c.includes))) : notFound();
  }),
  route("GET", `${A}/users/{user}`, (c) => {
    const u = byId(c.data.tables.users, c.params[0]);
    return u ? reply(item("user", render(c.app.user, u, c.includes))) : notFound();
  }),
  route(
    "GET",
    `${A}/servers`,
    (c) => listQueried(c, [...c.data.tables.servers.values()], serverQuery, c.app.server, "server"),
    true,
  ),
  route("GET", `${A}/servers/external/{external}`, (c) => {
    const s = [...c.data.tables.servers.values()].find((x) => x.externalId === c.params[0]);
    return s ? reply(item("server", render(c.app.server, s, c.includes))) : notFound();
  }),
  route("GET", `${A}/servers/{server}`, (c) => {
    const s = byId(c.data.tables.servers, c.params[0]);
    return s ? reply(item("server", render(c.app.server, s, c.includes))) : notFound();
  }),
  // Not paginated in the panel either.
  route("GET", `${A}/servers/{server}/databases`, (c) => {
    const s = byId(c.data.tables.servers, c.params[0]);
    if (!s) return notFound();
    const rows = c.data.indexes.databasesByServer.get(s.id) ?? [];
    return reply({ object: "list", data: renderList(c.app.database, rows, "server_database", c.includes) });
  }),
  route("GET", `${A}/servers/{server}/databases/{database}`, (c) => {
    const d = byId(c.data.tables.databases, c.params[1]);
    return d && String(d.serverId) === c.params[0]
      ? reply(item("server_database", render(c.app.database, d, c.includes)))
      : notFound();
  }),
  route("PATCH", `${A}/servers/{server}/startup`, (c) => {
    const s = byId(c.data.tables.servers, c.params[0]);
    if (!s) return notFound();
    const refused = updateStartup(c.data, s, c.body);
    return refused ?? reply(item("server", render(c.app.server, s, c.includes)));
  }),
];
