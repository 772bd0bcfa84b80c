// /api/admin/{servers,nodes,nodes/{id}/allocations,nodes/{id}/maintenance,locations,allocations,
// nests,eggs}: the admin pages' views of the panel mirror (website-client §4.4), one SQL request
// per list.
import { createRoute, z } from "@hono/zod-openapi";
import { access } from "../../access/route-access.ts";
import { AppError } from "../../platform/errors.ts";
import { looseInt } from "../../platform/flags.ts";
import {
  authErrors,
  commonErrors,
  enumOr,
  jsonBody,
  jsonRequestBody,
  notFoundError,
} from "../../platform/openapi.ts";
import { PaginationSchema, pageQuery, pagination } from "../../platform/pagination.ts";
import { createRouter } from "../../platform/router.ts";
import { auditInsert } from "../../services/audit/audit.ts";
import { ADMIN_STATUS_FILTERS } from "../../services/servers/servers.ts";
import {
  listAllocations,
  listEggs,
  listLocations,
  listNests,
  listNodes,
  listServers,
  SERVER_SORTS,
  toggleMaintenance,
  yesNo,
} from "./infra.service.ts";

const tags = ["admin"];
const errors = { ...commonErrors, ...authErrors, ...notFoundError };
const Item = z.record(z.string(), z.unknown());
const listOf = (key: string) =>
  jsonBody(z.object({ success: z.literal(true), [key]: z.array(Item), pagination: PaginationSchema }));
const search = z.string().max(200).optional();
const flag = z.string().max(10).optional();
const intId = z.coerce.number().int().min(1).max(2_147_483_647);

const get = <Q extends z.ZodRawShape>(path: string, summary: string, key: string, query: Q) =>
  createRoute({
    method: "get",
    path,
    tags,
    summary,
    ...access.admin(),
    request: { query: z.object(query) },
    responses: { 200: listOf(key), ...errors },
  });

const routes = {
  servers: get("/api/admin/servers", "Servers with owner, node and egg", "servers", {
    search,
    status: enumOr(ADMIN_STATUS_FILTERS, "all"),
    serverType: z.string().max(50).optional(),
    sort: enumOr(SERVER_SORTS, "created"),
    order: enumOr(["asc", "desc"] as const, "desc"),
    ...pageQuery(100, 25),
  }),
  nodes: get("/api/admin/nodes", "Nodes with location code, server and allocation counts", "nodes", {
    search,
    maintenance: flag,
    ...pageQuery(200, 25),
  }),
  allocations: get("/api/admin/allocations", "Allocations with node and server", "allocations", {
    search,
    assigned: flag,
    nodeId: intId.optional(),
    ...pageQuery(200, 50),
  }),
  nests: get("/api/admin/nests", "Nests with egg and server counts", "nests", {
    search,
    ...pageQuery(100, 25),
  }),
  eggs: get("/api/admin/eggs", "Eggs with nest name and server count", "eggs", {
    search,
    nestId: intId.optional(),
    ...pageQuery(100, 25),
  }),
  nodeAllocations: createRoute({
    method: "get",
    path: "/api/admin/nodes/{id}/allocations",
    tags,
    summary: "One node's allocations, ordered by ip and port",
    ...access.admin(),
    request: { params: z.object({ id: intId }), query: z.object({ assigned: flag, ...pageQuery(200, 50) }) },
    responses: { 200: listOf("allocations"), ...errors },
  }),
  maintenance: createRoute({
    method: "patch",
    path: "/api/admin/nodes/{id}/maintenance",
    tags,
    summary:
      "Toggle a node's maintenance flag (local, as upstream: the next node sync takes the panel's value)",
    ...access.admin(),
    request: {
      params: z.object({ id: intId }),
      body: jsonRequestBody(z.object({ nodeId: looseInt.optional() }), false),
    },
    responses: {
      200: jsonBody(
        z.object({ success: z.literal(true), maintenanceMode: z.boolean(), message: z.string() }),
      ),
      ...errors,
    },
  }),
  locations: createRoute({
    method: "get",
    path: "/api/admin/locations",
    tags,
    summary: "Locations with node counts",
    ...access.admin(),
    responses: { 200: jsonBody(z.object({ success: z.literal(true), locations: z.array(Item) })), ...errors },
  }),
};

const ok = <T>(key: string, rows: T[], q: { page: number; pageSize: number }, total: number) => ({
  success: true as const,
  [key]: rows as Record<string, unknown>[],
  pagination: pagination(q.page, q.pageSize, total),
});

export const adminInfraRoutes = createRouter()
  .openapi(routes.servers, async (c) => {
    const q = c.req.valid("query");
    const { servers, total } = await listServers(c.var.db, q);
    return c.json(ok("servers", servers, q, total), 200);
  })
  .openapi(routes.nodes, async (c) => {
    const q = c.req.valid("query");
    const { nodes, total } = await listNodes(c.var.db, { ...q, maintenance: yesNo(q.maintenance) });
    return c.json(ok("nodes", nodes, q, total), 200);
  })
  .openapi(routes.allocations, async (c) => {
    const q = c.req.valid("query");
    const { allocations, total } = await listAllocations(c.var.db, { ...q, assigned: yesNo(q.assigned) });
    return c.json(ok("allocations", allocations, q, total), 200);
  })
  .openapi(routes.nodeAllocations, async (c) => {
    const q = c.req.valid("query");
    const { id } = c.req.valid("param");
    const { allocations, total } = await listAllocations(c.var.db, {
      ...q,
      nodeId: id,
      assigned: yesNo(q.assigned),
    });
    return c.json(ok("allocations", allocations, q, total), 200);
  })
  .openapi(routes.nests, async (c) => {
    const q = c.req.valid("query");
    const { nests, total } = await listNests(c.var.db, q);
    return c.json(ok("nests", nests, q, total), 200);
  })
  .openapi(routes.eggs, async (c) => {
    const q = c.req.valid("query");
    const { eggs, total } = await listEggs(c.var.db, q);
    return c.json(ok("eggs", eggs, q, total), 200);
  })
  .openapi(routes.locations, async (c) =>
    c.json({ success: true as const, locations: await listLocations(c.var.db) }, 200),
  )
  .openapi(routes.maintenance, async (c) => {
    const { id } = c.req.valid("param");
    const mode = await toggleMaintenance(c.var.db, id);
    if (mode === undefined) throw new AppError("NOT_FOUND", "Node not found");
    await auditInsert(c.var.db, {
      action: "node.maintenance_changed",
      actor: c.var.deps.actor,
      targetType: "node",
      targetId: String(id),
      details: { maintenanceMode: mode },
    });
    return c.json(
      {
        success: true as const,
        maintenanceMode: mode,
        message: `Maintenance mode ${mode ? "enabled" : "disabled"}`,
      },
      200,
    );
  });
