// Public stats through the real Worker: correct figures, one SQL request each, junk params ignored.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callJson, countingEnv, testDb, testEnv, uid, uniqueInt } from "../../../test/helpers.ts";
import { createApp } from "../../app.ts";

interface Envelope<T> {
  success: boolean;
  data: T;
  message: string;
}
type Counts = { nodes: number; servers: number; users: number; allocations: number; nests: number };
type Stats = { totalServers: number; totalUsers: number; activeUsers: number; totalAllocations: number };

/** Seeds one location, node, nest, two users (one has logged in), a server and 3 allocations (2 assigned). */
async function seedPanelRows() {
  const db = testDb();
  const [loc, node, nest, alloc1, alloc2, alloc3] = Array.from({ length: 6 }, uniqueInt);
  const serverId = uid("srv");
  await db.batch([
    db.execute(sql`insert into locations (id, "shortCode") values (${loc}, ${uid("loc")})`),
    db.execute(
      sql`insert into nodes (id, uuid, name, fqdn, "locationId") values (${node}, ${uid("node")}, 'n', 'n.example', ${loc})`,
    ),
    db.execute(sql`insert into nests (id, uuid, name) values (${nest}, ${uid("nest")}, 'Minecraft')`),
    db.execute(
      sql`insert into users (id, email, "lastLoginAt") values (${uid("u")}, ${`${uid("a")}@example.com`}, now())`,
    ),
    db.execute(sql`insert into users (id, email) values (${uid("u")}, ${`${uid("b")}@example.com`})`),
    db.execute(
      sql`insert into servers (id, name, "nodeId", status) values (${serverId}, 'srv', ${node}, 'online')`,
    ),
    db.execute(sql`insert into allocations (id, ip, port, "nodeId", "isAssigned", "serverId") values
      (${alloc1}, '10.0.0.1', 25565, ${node}, true, ${serverId}),
      (${alloc2}, '10.0.0.1', 25566, ${node}, true, ${serverId}),
      (${alloc3}, '10.0.0.1', 25567, ${node}, false, null)`),
  ]);
}

describe("public stats", () => {
  it("GET /api/panel/counts counts what was added (assigned allocations only)", async () => {
    const before = await callJson<Envelope<Counts>>("/api/panel/counts");
    await seedPanelRows();
    const after = await callJson<Envelope<Counts>>("/api/panel/counts?staleTime=300000&gcTime=600000");
    expect(after.res.status, after.text).toBe(200);
    expect(after.body.success).toBe(true);
    const delta = Object.fromEntries(
      Object.entries(after.body.data).map(([k, v]) => [k, v - before.body.data[k as keyof Counts]]),
    );
    expect(delta).toEqual({ nodes: 1, servers: 1, users: 2, allocations: 2, nests: 1 });
  });

  it("GET /api/stats counts active users by lastLoginAt (upstream always said 0)", async () => {
    const before = await callJson<Envelope<Stats>>("/api/stats");
    await seedPanelRows();
    const after = await callJson<Envelope<Stats>>("/api/stats?unknown=1");
    expect(after.res.status, after.text).toBe(200);
    const delta = Object.fromEntries(
      Object.entries(after.body.data).map(([k, v]) => [k, v - before.body.data[k as keyof Stats]]),
    );
    expect(delta).toEqual({ totalServers: 1, totalUsers: 2, activeUsers: 1, totalAllocations: 3 });
    for (const v of Object.values(after.body.data)) expect(typeof v).toBe("number");
  });

  for (const path of ["/api/stats", "/api/panel/counts"]) {
    it(`${path} makes exactly one SQL request`, async () => {
      const app = createApp();
      // Warm the isolate's 30 s rate-limit override cache first: counted is the steady state.
      await createApp().request(path, { headers: { "x-api-key": "test-backend-api-key" } }, testEnv);
      const { env, sqlRequests } = countingEnv();
      const res = await app.request(path, {}, env);
      expect(res.status, await res.text()).toBe(200);
      expect(await sqlRequests()).toBe(1);
    });
  }
});
