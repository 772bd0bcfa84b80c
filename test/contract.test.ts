// What the website and the documented clients send and read (issue 12 §5; website-client §4, §6):
// locations never answer a null description, the sync settings GET answer posts back as is,
// over-large page sizes are clamped instead of refused, snake_case `error` codes only on the auth
// routes, and the flag/id spellings the website sends.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { locations, nodes, servers } from "../src/platform/db/schema/index.ts";
import { callJson, testDb, uid, uniqueInt } from "./helpers.ts";
import { bearer, createAdmin, createTestUser } from "./users.ts";

const json = (token: string, method: string, body: unknown) => ({
  method,
  headers: { ...bearer(token), "content-type": "application/json" },
  body: JSON.stringify(body),
});

async function seedNode(maintenance = false) {
  const loc = uniqueInt();
  const node = uniqueInt();
  const tag = uid("ct").slice(0, 18);
  await testDb()
    .insert(locations)
    .values({ id: loc, shortCode: `${tag}-loc`, description: null });
  await testDb()
    .insert(nodes)
    .values({
      id: node,
      uuid: uid("n"),
      name: `${tag}-node`,
      fqdn: `${tag}.test`,
      locationId: loc,
      isMaintenanceMode: maintenance,
    });
  return { loc, node, tag };
}

describe("GET /api/admin/locations", () => {
  it("answers an empty string, never null, for a missing description", async () => {
    const admin = await createAdmin();
    const { loc } = await seedNode();
    const res = await callJson<{ locations: { id: number; description: unknown }[] }>(
      "/api/admin/locations",
      {
        headers: bearer(admin.token),
      },
    );
    expect(res.res.status).toBe(200);
    expect(res.body.locations.find((l) => l.id === loc)?.description).toBe("");
    expect(res.body.locations.every((l) => typeof l.description === "string")).toBe(true);
  });
});

describe("/api/admin/sync/settings", () => {
  it("accepts exactly what GET reports back: the whole answer, its settings, or its data", async () => {
    const admin = await createAdmin();
    const set = await callJson(
      "/api/admin/sync/settings",
      json(admin.token, "POST", { auto_sync_enabled: false, sync_interval: 900 }),
    );
    expect(set.res.status, set.text).toBe(200);
    const got = await callJson<Record<string, unknown>>("/api/admin/sync/settings", {
      headers: bearer(admin.token),
    });
    for (const body of [got.body, { settings: got.body.settings }, got.body.settings, got.body.data]) {
      const back = await callJson<Record<string, unknown>>(
        "/api/admin/sync/settings",
        json(admin.token, "POST", body),
      );
      expect(back.res.status, back.text).toBe(200);
      expect(back.body.settings).toEqual(got.body.settings);
      expect(back.body.data).toEqual(got.body.data);
    }
  });

  it("one range: a stored value outside it reads clamped, and that reading posts back", async () => {
    const admin = await createAdmin();
    await testDb().execute(
      sql`insert into config (key, value) values ('auto_sync_interval', '120'), ('sync_interval', '120') on conflict (key) do update set value = excluded.value`,
    );
    const got = await callJson<{ settings: { sync_interval: number } }>("/api/admin/sync/settings", {
      headers: bearer(admin.token),
    });
    expect(got.body.settings.sync_interval).toBe(300);
    expect((await callJson("/api/admin/sync/settings", json(admin.token, "POST", got.body))).res.status).toBe(
      200,
    );
    const low = await callJson("/api/admin/sync/settings", json(admin.token, "POST", { sync_interval: 120 }));
    expect(low.res.status).toBe(400);
    const high = await callJson(
      "/api/admin/sync/settings",
      json(admin.token, "POST", { autoSyncInterval: 31 * 86_400 }),
    );
    expect(high.res.status).toBe(400);
  });
});

describe("list sizes", () => {
  it("clamps an over-large pageSize / per_page / limit to the list's maximum; refuses nonsense", async () => {
    const admin = await createAdmin();
    const h = { headers: bearer(admin.token) };
    const cases: [string, (b: Record<string, unknown>) => unknown, number][] = [
      ["/api/admin/nodes?pageSize=100000", (b) => (b.pagination as { pageSize: number }).pageSize, 200],
      ["/api/admin/servers?pageSize=500", (b) => (b.pagination as { pageSize: number }).pageSize, 100],
      ["/api/admin/allocations?pageSize=1e6", (b) => (b.pagination as { pageSize: number }).pageSize, 200],
      ["/api/v1/dashboard/servers?per_page=1000", (b) => (b.meta as { perPage: number }).perPage, 50],
    ];
    for (const [path, read, max] of cases) {
      const res = await callJson<Record<string, unknown>>(path, h);
      expect(res.res.status, `${path}: ${res.text}`).toBe(200);
      expect(read(res.body), path).toBe(max);
    }
    for (const bad of ["pageSize=0", "pageSize=abc", "pageSize=2.5", "pageSize=-3"]) {
      expect((await callJson(`/api/admin/nodes?${bad}`, h)).res.status, bad).toBe(400);
    }
  });
});

describe("error bodies", () => {
  it("snake_case codes on the auth routes only; the standard body elsewhere", async () => {
    const auth = await callJson<{ error: string; code: string }>("/api/v1/auth/me");
    expect(auth.res.status).toBe(401);
    expect(auth.body.error).toBe("missing_authorization");
    const admin = await callJson<{ error: string; code: string }>("/api/admin/users");
    expect(admin.res.status).toBe(401);
    expect(admin.body).toMatchObject({
      success: false,
      code: "UNAUTHORIZED",
      error: "Missing Authorization header",
    });
    const forged = await callJson<{ error: string }>("/api/v1/dashboard/stats", {
      headers: bearer("not-a-jwt"),
    });
    expect(forged.res.status).toBe(401);
    expect(forged.body.error).not.toMatch(/^[a-z]+(_[a-z]+)+$/);
  });
});

describe("the spellings the website sends", () => {
  it("PATCH /api/admin/nodes/:id/maintenance takes nodeId as a number or a numeric string", async () => {
    const admin = await createAdmin();
    const { node } = await seedNode();
    const path = `/api/admin/nodes/${node}/maintenance`;
    const a = await callJson<{ maintenanceMode: boolean }>(
      path,
      json(admin.token, "PATCH", { nodeId: node }),
    );
    expect(a.res.status, a.text).toBe(200);
    const b = await callJson<{ maintenanceMode: boolean }>(
      path,
      json(admin.token, "PATCH", { nodeId: String(node) }),
    );
    expect(b.res.status, b.text).toBe(200);
    expect(b.body.maintenanceMode).toBe(!a.body.maintenanceMode);
    expect((await callJson(path, json(admin.token, "PATCH", { nodeId: "five" }))).res.status).toBe(400);
  });

  it("the maintenance filter and view_all read true/false, yes/no and 1/0", async () => {
    const admin = await createAdmin();
    const on = await seedNode(true);
    const off = await seedNode(false);
    for (const [v, want] of [
      ["true", true],
      ["yes", true],
      ["1", true],
      ["false", false],
      ["no", false],
      ["0", false],
    ] as const) {
      const res = await callJson<{ nodes: { id: number }[] }>(
        `/api/admin/nodes?maintenance=${v}&pageSize=200`,
        {
          headers: bearer(admin.token),
        },
      );
      expect(res.res.status).toBe(200);
      const ids = res.body.nodes.map((n) => n.id);
      expect(ids.includes(on.node), v).toBe(want);
      expect(ids.includes(off.node), v).toBe(!want);
    }
    const owner = await createTestUser();
    await testDb()
      .insert(servers)
      .values({ id: uid("srv"), name: `${on.tag}-srv`, ownerId: owner.user.id, nodeId: on.node });
    // Counted within this test's own server (search by its tag): other suites add servers to the
    // shared database while this runs, so a count of every server is not stable between calls.
    for (const v of ["true", "yes", "1"]) {
      const res = await callJson<{ meta: { total: number } }>(
        `/api/v1/dashboard/servers?view_all=${v}&search=${on.tag}`,
        { headers: bearer(admin.token) },
      );
      expect(res.res.status, res.text).toBe(200);
      expect(res.body.meta.total, v).toBe(1);
    }
    const own = await callJson<{ meta: { total: number } }>(
      `/api/v1/dashboard/servers?view_all=no&search=${on.tag}`,
      { headers: bearer(admin.token) },
    );
    expect(own.body.meta.total).toBe(0);
    expect(
      (await callJson("/api/v1/dashboard/servers?view_all=maybe", { headers: bearer(admin.token) })).res
        .status,
    ).toBe(400);
  });
});
