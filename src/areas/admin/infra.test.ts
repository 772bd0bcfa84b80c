// Admin infrastructure views: fields the admin pages read, filters (yes/no and true/false),
// the maintenance toggle, and one SQL request per list.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callJson, countingEnv, testDb, testEnv, uid, uniqueInt } from "../../../test/helpers.ts";
import { bearer, createAdmin, createTestUser } from "../../../test/users.ts";
import { createApp } from "../../app.ts";
import { allocations, eggs, locations, nests, nodes, servers } from "../../platform/db/schema/index.ts";

async function seed() {
  const db = testDb();
  const owner = await createTestUser();
  const tag = uid("infra").slice(0, 20);
  const ids = {
    loc: uniqueInt(),
    node: uniqueInt(),
    nest: uniqueInt(),
    egg: uniqueInt(),
    server: uid("srv"),
    a1: uniqueInt(),
    a2: uniqueInt(),
  };
  await db.batch([
    db.insert(locations).values({ id: ids.loc, shortCode: `${tag}-loc`, description: "Test DC" }),
    db.insert(nodes).values({
      id: ids.node,
      uuid: uid("n"),
      name: `${tag}-node`,
      fqdn: `${tag}.example`,
      locationId: ids.loc,
    }),
    db.insert(nests).values({ id: ids.nest, uuid: uid("nest"), name: `${tag}-nest` }),
    db.insert(eggs).values({ id: ids.egg, uuid: uid("egg"), name: `${tag}-egg`, nestId: ids.nest }),
    db.insert(servers).values({
      id: ids.server,
      name: `${tag}-server`,
      status: "Installing",
      ownerId: owner.user.id,
      nodeId: ids.node,
      eggId: ids.egg,
      pterodactylId: uniqueInt(),
    }),
    db.insert(allocations).values([
      { id: ids.a1, ip: "10.9.9.9", port: 30001, nodeId: ids.node, isAssigned: true, serverId: ids.server },
      { id: ids.a2, ip: "10.9.9.9", port: 30002, nodeId: ids.node, isAssigned: false },
    ]),
  ]);
  return { tag, ids, owner };
}

describe("admin infrastructure views", () => {
  it("lists servers, nodes, allocations, locations, nests and eggs with the fields the pages read", async () => {
    const admin = await createAdmin();
    const { tag, ids, owner } = await seed();
    const h = { headers: bearer(admin.token) };
    const s = await callJson<{ servers: Record<string, unknown>[]; pagination: { total: number } }>(
      `/api/admin/servers?search=${tag}&status=installing`,
      h,
    );
    expect(s.res.status, s.text).toBe(200);
    expect(s.body.pagination.total).toBe(1);
    expect(s.body.servers[0]).toMatchObject({
      id: ids.server,
      status: "installing",
      owner: { id: owner.user.id, email: owner.user.email },
      node: { id: ids.node, name: `${tag}-node` },
      egg: { id: ids.egg, name: `${tag}-egg`, nest: `${tag}-nest` },
      memory: 0,
    });
    const n = await callJson<{ nodes: Record<string, unknown>[] }>(
      `/api/admin/nodes?search=${tag}&maintenance=false`,
      h,
    );
    expect(n.body.nodes[0]).toMatchObject({
      id: ids.node,
      locationCode: `${tag}-loc`,
      serverCount: 1,
      allocationCount: 2,
      isMaintenanceMode: false,
    });
    const yes = await callJson<{ allocations: Record<string, unknown>[] }>(
      `/api/admin/allocations?nodeId=${ids.node}&assigned=yes`,
      h,
    );
    expect(yes.body.allocations).toEqual([
      expect.objectContaining({ id: ids.a1, serverName: `${tag}-server`, nodeName: `${tag}-node` }),
    ]);
    const perNode = await callJson<{ allocations: { port: number }[] }>(
      `/api/admin/nodes/${ids.node}/allocations?assigned=false`,
      h,
    );
    expect(perNode.body.allocations.map((a) => a.port)).toEqual([30002]);
    const nest = await callJson<{ nests: Record<string, unknown>[] }>(`/api/admin/nests?search=${tag}`, h);
    expect(nest.body.nests[0]).toMatchObject({ id: ids.nest, eggCount: 1, serverCount: 1 });
    const egg = await callJson<{ eggs: Record<string, unknown>[] }>(`/api/admin/eggs?nestId=${ids.nest}`, h);
    expect(egg.body.eggs[0]).toMatchObject({ id: ids.egg, nestName: `${tag}-nest`, serverCount: 1 });
    const loc = await callJson<{ locations: Record<string, unknown>[] }>("/api/admin/locations", h);
    expect(loc.body.locations.find((l) => l.id === ids.loc)).toEqual({
      id: ids.loc,
      shortCode: `${tag}-loc`,
      description: "Test DC",
      nodeCount: 1,
    });
  });

  it("toggles maintenance locally and audits it; 404 for an unknown node", async () => {
    const admin = await createAdmin();
    const { ids } = await seed();
    const patch = (id: number) =>
      callJson<{ maintenanceMode: boolean }>(`/api/admin/nodes/${id}/maintenance`, {
        method: "PATCH",
        headers: { ...bearer(admin.token), "content-type": "application/json" },
        body: JSON.stringify({ nodeId: id }),
      });
    expect((await patch(ids.node)).body.maintenanceMode).toBe(true);
    expect((await patch(ids.node)).body.maintenanceMode).toBe(false);
    expect((await patch(2_000_000_001)).res.status).toBe(404);
    const audit = await testDb().execute(
      sql`select count(*)::int as n from audit_logs where action = 'node.maintenance_changed' and "targetId" = ${String(ids.node)}`,
    );
    expect(audit.rows[0]).toEqual({ n: 2 });
  });

  for (const path of [
    "/api/admin/servers",
    "/api/admin/nodes",
    "/api/admin/allocations",
    "/api/admin/nests",
    "/api/admin/eggs",
    "/api/admin/locations",
  ]) {
    it(`${path} is one SQL request after the admin check`, async () => {
      const admin = await createAdmin();
      const { env, sqlRequests } = countingEnv();
      const app = createApp();
      await app.request(path, { headers: bearer(admin.token) }, testEnv);
      const res = await app.request(path, { headers: bearer(admin.token) }, env);
      expect(res.status, await res.text()).toBe(200);
      // One request reads the admin's user row (access), one serves the list.
      expect(await sqlRequests()).toBe(2);
    });
  }
});
