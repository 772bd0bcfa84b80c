// Service and admin stats: service keys alone suffice (no admin token), figures are right,
// and each route is one SQL request.
import { describe, expect, it } from "vitest";
import { callJson, countingEnv, testDb, testEnv, uid, uniqueInt } from "../../../test/helpers.ts";
import { bearer, createAdmin } from "../../../test/users.ts";
import { createApp } from "../../app.ts";
import { locations, nodes, servers } from "../../platform/db/schema/index.ts";

const key = { "x-api-key": "test-backend-api-key" };

describe("service stats", () => {
  it("answers with a service key alone, upstream's envelope, servers by status and node", async () => {
    const db = testDb();
    const loc = uniqueInt();
    const node = uniqueInt();
    const nodeName = uid("node-name");
    await db.insert(locations).values({ id: loc, shortCode: uid("l") });
    await db
      .insert(nodes)
      .values({ id: node, uuid: uid("n"), name: nodeName, fqdn: "x.example", locationId: loc });
    await db.insert(servers).values([
      { id: uid("s"), name: "a", status: "online", nodeId: node },
      { id: uid("s"), name: "b", status: "Installing", nodeId: node },
    ]);
    const r = await callJson<{
      success: boolean;
      data: { by_status: Record<string, number>; by_node: Record<string, number> };
      message: string;
    }>("/api/v1/stats/servers", { headers: key });
    expect(r.res.status, r.text).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.data.by_node[nodeName]).toBe(2);
    expect(r.body.data.by_status.installing).toBeGreaterThanOrEqual(1);

    const admin = await callJson<{ data: Record<string, number> }>("/api/v1/stats/admin", { headers: key });
    const d = admin.body.data;
    expect(d.availableAllocations).toBe((d.totalAllocations ?? 0) - (d.usedAllocations ?? 0));
    const users = await callJson<{ data: Record<string, number> }>("/api/v1/stats/users", { headers: key });
    expect(Object.keys(users.body.data).sort()).toEqual([
      "active",
      "admins",
      "migrated",
      "recent_7_days",
      "total",
    ]);
  });

  it("serves /api/admin/stats to admins and /api/v1/queues/stats with dead-job counts", async () => {
    const a = await createAdmin();
    const r = await callJson<{ data: Record<string, number> }>("/api/admin/stats", {
      headers: bearer(a.token),
    });
    expect(r.res.status, r.text).toBe(200);
    expect(typeof r.body.data.totalServers).toBe("number");
    const q = await callJson<{ data: { queues: string[]; deadJobs: { total: number } } }>(
      "/api/v1/queues/stats",
      { headers: key },
    );
    expect(q.body.data.queues).toEqual(["critical", "default", "low"]);
    expect(typeof q.body.data.deadJobs.total).toBe("number");
  });

  for (const path of [
    "/api/v1/stats/overview",
    "/api/v1/stats/servers",
    "/api/v1/stats/users",
    "/api/v1/stats/admin",
    "/api/v1/queues/stats",
  ]) {
    it(`${path} is one SQL request (key check included: the root key needs none)`, async () => {
      // Warm the isolate's 30 s rate-limit override cache first: counted is the steady state.
      await createApp().request(path, { headers: { "x-api-key": "test-backend-api-key" } }, testEnv);
      const { env, sqlRequests } = countingEnv();
      const res = await createApp().request(path, { headers: key }, env);
      expect(res.status, await res.text()).toBe(200);
      expect(await sqlRequests()).toBe(1);
    });
  }
});
