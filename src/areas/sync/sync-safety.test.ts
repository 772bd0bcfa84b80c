// Sync data safety through workerd, the real queue and the demo panel behaving as real panels do:
// odd and NUL strings, rows the database refuses (quarantine), deleted and re-created rows,
// deletes during the walk, an empty listing, panel e-mail changes, ownership transfers, a lost
// chain, and dry runs. Runs in the sync invocation (own database), after sync.test.ts.
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callJson, jobMessage, testDb, testDeps } from "../../../test/helpers.ts";
import { addFault, mutatePanel, panelAll } from "../../../test/panel.ts";
import {
  admin,
  expectMirrorsPanel,
  finished,
  fullSync,
  type PServer,
  syncSuiteHooks,
  trigger,
} from "../../../test/sync-helpers.ts";
import { bearer, createTestUser } from "../../../test/users.ts";
import { users } from "../../platform/db/schema/index.ts";

syncSuiteHooks();

const ODD = [
  "NUL\u0000inside",
  "emoji 🦖🔥 and ZWJ 👩‍💻",
  "RTL \u202eשלום עולם\u202c مرحبا",
  "x".repeat(191),
  '\'; drop table servers; -- $1 \\ %_ "q" {x}',
];

const q = async <T>(text: ReturnType<typeof sql>) => (await testDb().execute(text)).rows as T[];

describe("no row can stop a run", () => {
  it("lands NUL, emoji, RTL, 191-character and SQL-looking text in every panel text field", async () => {
    const [location] = await panelAll<{ id: number }>("/locations");
    const [node] = await panelAll<{ id: number }>("/nodes");
    const [nest] = await panelAll<{ id: number }>("/nests");
    const [server] = await panelAll<PServer>("/servers", "allocations");
    if (!location || !node || !nest || !server) throw new Error("demo panel too small");
    const allocation = server.relationships.allocations.data[0]?.attributes.id ?? 1;
    const [a, b, c, d, e] = ODD;
    await mutatePanel("setFields", "locations", location.id, { short: `loc ${a}`, long: b });
    await mutatePanel("setFields", "nodes", node.id, { name: c, description: a });
    await mutatePanel("setFields", "allocations", allocation, { alias: a, notes: e });
    await mutatePanel("setFields", "nests", nest.id, { name: `nest ${a}`, description: d, author: e });
    await mutatePanel("setFields", "eggs", 1, { name: `egg ${a}`, description: c, author: b });
    await mutatePanel("setFields", "eggVariables", 1, {
      name: a,
      description: e,
      envVariable: "ENV_\u0000X",
    });
    // Names the website already holds are the website's; a new panel user's land as the panel has them.
    const fresh = (await mutatePanel("addUser", {
      email: `odd.${Date.now()}@example.org`,
      firstName: b,
      lastName: c,
    })) as { id: number };
    await mutatePanel("setFields", "users", fresh.id, { username: `u ${a} ${e}` });
    await mutatePanel("setFields", "servers", server.id, { name: `srv ${a}`, description: e, externalId: d });
    const log = await fullSync();
    await expectMirrorsPanel();
    expect(log.metadata.lastError ?? null).toBeNull();
    const [row] = await q<{ name: string; description: string; externalId: string }>(
      sql`select name, description, "externalId" from servers where "pterodactylId" = ${server.id}`,
    );
    expect(row).toEqual({ name: "srv NULinside", description: e, externalId: d });
    const [alloc] = await q<{ alias: string; notes: string }>(
      sql`select alias, notes from allocations where id = ${allocation}`,
    );
    expect(alloc).toEqual({ alias: "NULinside", notes: e });
    const [u] = await q<{ firstName: string; lastName: string }>(
      sql`select "firstName", "lastName", username from users where "pterodactylId" = ${fresh.id}`,
    );
    expect(u).toEqual({ firstName: b, lastName: c, username: `u NULinside ${e}` });
  });

  it("quarantines a row the database refuses, lands the rest of its page and completes", async () => {
    const pServers = await panelAll<PServer>("/servers");
    const bad = pServers[5];
    const neighbour = pServers[6];
    if (!bad || !neighbour) throw new Error("demo panel too small");
    // Out of range for the mirror's int column: SQLSTATE 22003, the same on every retry.
    await mutatePanel("setFields", "servers", bad.id, { memory: 99_999_999_999 });
    await mutatePanel("setFields", "servers", neighbour.id, { name: "Neighbour renamed" });
    const t = await trigger();
    const log = await finished(t.sync_log_id);
    expect(log.status, JSON.stringify(log)).toBe("COMPLETED");
    const [counts] = await q<{ itemsFailed: number }>(
      sql`select "itemsFailed" from sync_logs where id = ${t.sync_log_id}`,
    );
    expect(counts?.itemsFailed).toBe(1);
    expect(String(log.metadata.lastError)).toMatch(/servers.*22003|22003.*servers/);
    const [n] = await q<{ name: string }>(
      sql`select name from servers where "pterodactylId" = ${neighbour.id}`,
    );
    expect(n?.name).toBe("Neighbour renamed");
    const listed = await callJson<{
      items: { resource: string; panelId: string; sqlState: string; syncLogId: string }[];
    }>("/api/admin/sync/quarantine", { headers: bearer(admin.token) });
    expect(listed.res.status, listed.text).toBe(200);
    expect(listed.body.items).toContainEqual(
      expect.objectContaining({
        resource: "servers",
        panelId: String(bad.id),
        sqlState: "22003",
        syncLogId: t.sync_log_id,
      }),
    );
    // Fixed on the panel: the next run lands it and the quarantine entry goes.
    await mutatePanel("setFields", "servers", bad.id, { memory: 2048 });
    await fullSync();
    await expectMirrorsPanel();
    const again = await q(
      sql`select 1 from sync_quarantine where resource = 'servers' and "panelId" = ${String(bad.id)}`,
    );
    expect(again).toHaveLength(0);
  });
});

describe("deletions and re-creations converge in one run", () => {
  it("a deleted node is tombstoned, not a failed run; its allocations go with it", async () => {
    const [location] = await panelAll<{ id: number }>("/locations");
    const gone = (await mutatePanel("addNode", location?.id, 3)) as number;
    await fullSync();
    expect(
      await q(sql`select 1 from allocations where "nodeId" = ${gone} and "deletedAt" is null`),
    ).toHaveLength(3);
    await mutatePanel("removeNode", gone);
    await fullSync();
    await expectMirrorsPanel();
    const [row] = await q<{ deleted: boolean }>(
      sql`select "deletedAt" is not null as deleted from nodes where id = ${gone}`,
    );
    expect(row?.deleted).toBe(true);
    const allocs = await q<{ deleted: boolean }>(
      sql`select "deletedAt" is not null as deleted from allocations where "nodeId" = ${gone}`,
    );
    expect(allocs).toEqual([{ deleted: true }, { deleted: true }, { deleted: true }]);
  });

  it("a node deleted after it was listed answers 404 for its allocations: the run completes", async () => {
    const [location] = await panelAll<{ id: number }>("/locations");
    const gone = (await mutatePanel("addNode", location?.id, 2)) as number;
    await fullSync();
    // The node listing still shows it; its allocations request answers 404 (deleted in between).
    await addFault({
      path: `^/api/application/nodes/${gone}/allocations`,
      kind: "status",
      status: 404,
      times: 1,
    });
    const log = await fullSync();
    expect(log.metadata.failed_step).toBeUndefined();
    await expectMirrorsPanel();
  });

  it("a location, an egg and an allocation re-created under new ids resolve their natural keys", async () => {
    await fullSync();
    const [location] = await panelAll<{ id: number }>("/locations");
    const [server] = await panelAll<PServer>("/servers", "allocations");
    const allocation = server?.relationships.allocations.data[0]?.attributes.id;
    if (!location || !server || !allocation) throw new Error("demo panel too small");
    await mutatePanel("recreateLocation", location.id);
    await mutatePanel("recreateEgg", server.egg);
    await mutatePanel("recreateAllocation", allocation);
    await fullSync();
    await expectMirrorsPanel();
  });

  it("servers deleted mid-walk shift later pages, and no live server is lost", async () => {
    await fullSync();
    // Before page 2 is served, the first three servers (all on page 1) are deleted.
    await addFault({
      path: "^/api/application/servers\\?.*page=2",
      kind: "remove-servers",
      count: 3,
      times: 1,
    });
    const log = await fullSync();
    // Every server the panel still has is live in the mirror, though page 3 onwards shifted.
    const live = await q<{ id: number }>(
      sql`select "pterodactylId" as id from servers where "deletedAt" is null and "pterodactylId" is not null`,
    );
    const liveIds = new Set(live.map((r) => r.id));
    const panelIds = (await panelAll<PServer>("/servers")).map((x) => x.id);
    expect(panelIds.filter((id) => !liveIds.has(id))).toEqual([]);
    // The three shifted past us were candidates, confirmed on the panel and kept.
    const sweep = log.metadata.sweep_servers as { tombstoned: number; kept: number; requests: number };
    expect(sweep).toMatchObject({ tombstoned: 0, kept: 3, requests: 3 });
    // The three deleted after we listed them are seen as gone by the next run: exact again.
    const next = await fullSync();
    await expectMirrorsPanel();
    expect(next.metadata.sweep_servers).toMatchObject({ tombstoned: 3, kept: 0 });
  });

  it("an empty listing trips the circuit breaker instead of wiping the mirror", async () => {
    await fullSync();
    const [before] = await q<{ n: number }>(
      sql`select count(*)::int as n from servers where "deletedAt" is null`,
    );
    await addFault({ path: "^/api/application/servers", kind: "empty", times: 1 });
    const t = await trigger();
    const log = await finished(t.sync_log_id);
    expect(log.status).toBe("COMPLETED");
    expect(log.metadata.sweep_refused).toEqual(expect.arrayContaining(["servers"]));
    const [after] = await q<{ n: number }>(
      sql`select count(*)::int as n from servers where "deletedAt" is null`,
    );
    expect(after?.n).toBe(before?.n);
    await expectMirrorsPanel();
  });
});

describe("identity stays with the website", () => {
  it("links by e-mail only to a verified local account and never changes a login e-mail", async () => {
    const verified = await createTestUser();
    const unverified = await createTestUser();
    await testDb().update(users).set({ emailVerified: new Date() }).where(eq(users.id, verified.user.id));
    await testDb().update(users).set({ emailVerified: null }).where(eq(users.id, unverified.user.id));
    const pV = (await mutatePanel("addUser", { email: verified.user.email.toUpperCase() })) as { id: number };
    const pU = (await mutatePanel("addUser", { email: unverified.user.email })) as { id: number };
    await fullSync();
    await expectMirrorsPanel();
    const [v] = await testDb().select().from(users).where(eq(users.id, verified.user.id));
    expect(v?.pterodactylId).toBe(pV.id);
    const [u] = await testDb().select().from(users).where(eq(users.id, unverified.user.id));
    expect(u?.pterodactylId).toBeNull();
    expect(u?.email).toBe(unverified.user.email);
    const [mirror] = await testDb().select().from(users).where(eq(users.pterodactylId, pU.id));
    expect(mirror?.id).not.toBe(unverified.user.id);
    expect(mirror?.email).not.toBe(unverified.user.email.toLowerCase());

    // The linked customer changes the panel e-mail: the login stays, the difference is shown.
    await mutatePanel("renameUserEmail", pV.id, `moved.${Date.now()}@example.org`);
    await fullSync();
    const [after] = await testDb().select().from(users).where(eq(users.id, verified.user.id));
    expect(after?.email).toBe(v?.email);
    expect(after?.emailVerified).toEqual(v?.emailVerified);
    expect(after?.panelEmail).toMatch(/^moved\./);
    const view = await callJson<{ users: { id: string; email: string; panelEmail: string | null }[] }>(
      `/api/admin/users?search=${encodeURIComponent(verified.user.email)}`,
      { headers: bearer(admin.token) },
    );
    expect(view.res.status, view.text).toBe(200);
    expect(view.body.users.find((x) => x.id === verified.user.id)?.panelEmail).toMatch(/^moved\./);
  });

  it("a server transferred to an owner we do not know has no owner, never the previous one", async () => {
    await fullSync();
    const [server] = await panelAll<PServer>("/servers");
    if (!server) throw new Error("no servers");
    const ghost = (await mutatePanel("addUser", { email: `ghost.${Date.now()}@example.org` })) as {
      id: number;
    };
    await mutatePanel("updateServer", server.id, { ownerId: ghost.id });
    // The new owner is on the panel but not in this run's user listing (a users page failed to list it).
    await addFault({ path: "^/api/application/users", kind: "empty", times: 1 });
    await fullSync();
    const [row] = await q<{ ownerId: string | null }>(
      sql`select "ownerId" from servers where "pterodactylId" = ${server.id}`,
    );
    expect(row?.ownerId).toBeNull();
    const owners = await q(
      sql`select 1 from server_subusers su join servers s on s.id = su."serverId" where s."pterodactylId" = ${server.id} and su."isOwner"`,
    );
    expect(owners).toHaveLength(0);
  });
});

describe("lost chains recover in minutes", () => {
  it("a run stuck RUNNING with a stale cursor is re-driven by the next trigger", async () => {
    const db = testDb();
    const id = crypto.randomUUID();
    await db.execute(
      sql`insert into sync_logs (id, type, status, metadata, "updatedAt") values (${id}, 'locations', 'RUNNING', '{}'::jsonb, now() - interval '3 minutes')`,
    );
    await db.execute(sql`insert into sync_cursors ("syncLogId", step, cursor) values (${id}, 'chain',
      ${JSON.stringify({ seq: 0, steps: ["locations"], stepIndex: 0, cursor: { page: 1 }, stepProcessed: 0 })}::jsonb)`);
    const t = await trigger();
    expect(t).toMatchObject({ sync_log_id: id, alreadyRunning: true });
    expect((await finished(id, 20_000)).status).toBe("COMPLETED");
  });
});

describe("dry run", () => {
  it("walks the panel, reports what it would change and writes nothing else", async () => {
    await fullSync();
    const [server] = await panelAll<PServer>("/servers");
    if (!server) throw new Error("no servers");
    await mutatePanel("updateServer", server.id, { name: "Dry renamed" });
    await mutatePanel("removeServer", (await panelAll<PServer>("/servers"))[1]?.id);
    const snapshot = async () =>
      q(sql`select (select md5(string_agg(s::text, ',' order by s.id)) from servers s) as servers,
        (select md5(string_agg(u::text, ',' order by u.id)) from users u) as users,
        (select md5(string_agg(a::text, ',' order by a.id)) from allocations a) as allocations,
        (select md5(string_agg(n::text, ',' order by n.id)) from nodes n) as nodes,
        (select count(*) from sync_quarantine)::int as quarantined`);
    const before = await snapshot();
    const t = await trigger({ type: "full", dry_run: true });
    const log = await finished(t.sync_log_id);
    expect(log.status, JSON.stringify(log)).toBe("COMPLETED");
    expect(await snapshot()).toEqual(before);
    const preview = log.metadata.dry_run as Record<
      string,
      { create: number; update: number; tombstone: number; quarantine: number; tombstoneIds: number[] }
    >;
    expect(preview.servers?.update).toBeGreaterThan(0);
    expect(preview.servers?.tombstone, JSON.stringify(log.metadata)).toBe(1);
    expect(preview.locations).toBeDefined();
    const v1 = await callJson<{ data: { sync_log_id: string } }>("/api/v1/sync/full", {
      method: "POST",
      headers: { "x-api-key": "test-backend-api-key", "content-type": "application/json" },
      body: JSON.stringify({ dry_run: true }),
    });
    expect(v1.res.status, v1.text).toBe(202);
    expect((await finished(v1.body.data.sync_log_id)).metadata.dry_run).toBeDefined();
    expect(await snapshot()).toEqual(before);
  });
});

describe("tombstones", () => {
  it("are hidden from every list and count and keep what the website owns", async () => {
    await fullSync();
    const [victim] = await panelAll<PServer>("/servers");
    if (!victim) throw new Error("no servers");
    const owner = await createTestUser();
    const [local] = await q<{ id: string }>(sql`select id from servers where "pterodactylId" = ${victim.id}`);
    await testDb().execute(sql`update servers set "ownerId" = ${owner.user.id} where id = ${local?.id}`);
    await testDb().execute(
      sql`insert into server_properties ("serverId", key, value) values (${local?.id}, 'plan', 'gold')`,
    );
    const dashboard = () =>
      callJson<Record<string, unknown>>("/api/v1/dashboard/servers", { headers: bearer(owner.token) });
    const before = await dashboard();
    expect(before.res.status, before.text).toBe(200);
    expect(before.text).toContain(String(local?.id));
    await mutatePanel("removeServer", victim.id);
    await fullSync();
    await expectMirrorsPanel();
    const [row] = await q<{ deleted: boolean }>(
      sql`select "deletedAt" is not null as deleted from servers where id = ${local?.id}`,
    );
    expect(row?.deleted).toBe(true);
    // What the website owns survives the sync.
    expect(await q(sql`select 1 from server_properties where "serverId" = ${local?.id}`)).toHaveLength(1);
    const [live] = await q<{ n: number }>(
      sql`select count(*)::int as n from servers where "deletedAt" is null`,
    );
    const overview = await callJson<{ counts: Record<string, number> }>("/api/admin/sync", {
      headers: bearer(admin.token),
    });
    expect(overview.body.counts.servers).toBe(live?.n);
    const stats = await callJson<{ data?: Record<string, number> } & Record<string, unknown>>(
      "/api/panel/counts",
    );
    expect(JSON.stringify(stats.body)).toContain(`"servers":${live?.n}`);
    const list = await callJson<{ servers: { id: string }[] }>(
      `/api/admin/servers?search=${encodeURIComponent(victim.name)}&pageSize=100`,
      { headers: bearer(admin.token) },
    );
    expect(list.res.status, list.text).toBe(200);
    expect(list.body.servers.map((s) => s.id)).not.toContain(local?.id);
    const after = await dashboard();
    expect(after.res.status, after.text).toBe(200);
    expect(after.text).not.toContain(String(local?.id));
  });

  it("are purged after their retention unless something live still hangs off them", async () => {
    const db = testDb();
    const [kept, plain, recent] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    for (const [id, age] of [
      [kept, "40 days"],
      [plain, "40 days"],
      [recent, "1 day"],
    ] as const) {
      await db.execute(sql`insert into servers (id, name, "panelType", "deletedAt")
        values (${id}, ${`tomb ${id}`}, 'pterodactyl', now() - ${age}::interval)`);
    }
    await db.execute(
      sql`insert into server_properties ("serverId", key, value) values (${kept}, 'plan', 'gold')`,
    );
    const { syncJobs } = await import("./sync.jobs.ts");
    await syncJobs["sync.purge"]?.(
      {},
      testDeps({ message: jobMessage("sync.purge", {}, `purge-${Date.now()}`) }),
    );
    const left = await q<{ id: string }>(
      sql`select id from servers where id in (${kept}, ${plain}, ${recent}) order by id`,
    );
    expect(left.map((r) => r.id)).toEqual([kept, recent].sort());
    expect(await q(sql`select 1 from server_properties where "serverId" = ${kept}`)).toHaveLength(1);
  });
});
