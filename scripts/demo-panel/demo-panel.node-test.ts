// Demo panel self-check (node:test): dataset invariants and scale, pagination, includes, auth, the
// throttle, faults and startup writes. Run: node --test scripts/demo-panel/demo-panel.node-test.ts
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generatePanelData } from "./data.ts";
import { type DemoPanel, startDemoPanel } from "./server.ts";

type Json = Record<string, unknown>;
interface Row {
  object: string;
  attributes: Json & { id: number; relationships?: Record<string, { object: string; data: Row[] }> };
}
interface Page {
  object: string;
  data: Row[];
  meta: {
    pagination: {
      total: number;
      count: number;
      per_page: number;
      current_page: number;
      total_pages: number;
      links: Json;
    };
  };
}

async function get(panel: DemoPanel, path: string, key = panel.applicationKey, accept = "application/json") {
  const res = await fetch(`${panel.url}${path}`, {
    headers: { authorization: `Bearer ${key}`, accept },
    redirect: "manual",
  });
  const text = await res.text();
  return { res, text, body: (text.startsWith("{") ? JSON.parse(text) : null) as Json };
}
const asPage = (body: Json) => body as unknown as Page;

describe("generated dataset", () => {
  it("builds 10,000 servers / 5,000 users / 20,000 allocations in < 10 s, consistently", () => {
    const started = performance.now();
    const data = generatePanelData({ servers: 10_000, users: 5_000, allocations: 20_000 }, 7);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
    const t = data.tables;
    assert.equal(t.servers.size, 10_000);
    assert.equal(t.users.size, 5_000);
    assert.equal(t.allocations.size, 20_000);

    const used = new Set<number>();
    for (const s of t.servers.values()) {
      assert.ok(t.users.has(s.ownerId));
      assert.equal(t.eggs.get(s.eggId)?.nestId, s.nestId);
      const own = data.indexes.allocationsByServer.get(s.id) ?? [];
      assert.ok(
        own.some((a) => a.id === s.allocationId),
        `server ${s.id} default allocation`,
      );
      for (const a of own) {
        assert.equal(a.nodeId, s.nodeId);
        used.add(a.id);
      }
      assert.ok([null, "installing", "install_failed", "restoring_backup", "suspended"].includes(s.status));
      const subs = data.indexes.subusersByServer.get(s.id) ?? [];
      assert.equal(new Set(subs.map((x) => x.userId)).size, subs.length);
      for (const x of subs) assert.ok(x.userId !== s.ownerId && t.users.has(x.userId));
    }
    for (const a of t.allocations.values()) assert.equal(a.serverId !== null, used.has(a.id));
    assert.ok([...t.servers.values()].some((s) => s.status === "suspended"));
    assert.equal(new Set([...t.servers.values()].map((s) => s.identifier)).size, 10_000);
    const emails = [...t.users.values()].map((u) => u.email);
    assert.equal(new Set(emails.map((e) => e.toLowerCase())).size, emails.length);
    assert.ok(
      emails.some((e) => e !== e.toLowerCase()),
      "some mixed-case e-mails",
    );

    const perNode = new Set<string>();
    const nodesByIpPort = new Map<string, Set<number>>();
    for (const a of t.allocations.values()) {
      const key = `${a.ip}:${a.port}`;
      assert.ok(!perNode.has(`${a.nodeId}/${key}`), `duplicate ${key} on node ${a.nodeId}`);
      perNode.add(`${a.nodeId}/${key}`);
      nodesByIpPort.set(key, (nodesByIpPort.get(key) ?? new Set()).add(a.nodeId));
    }
    assert.ok(
      [...nodesByIpPort.values()].some((nodes) => nodes.size > 1),
      "same ip:port on two nodes",
    );
  });

  it("is deterministic per seed, and the mutation helpers keep the invariants", () => {
    const a = generatePanelData({}, 3);
    const b = generatePanelData({}, 3);
    assert.deepEqual(
      [...a.tables.servers.values()].map((s) => s.uuid),
      [...b.tables.servers.values()].map((s) => s.uuid),
    );
    const user = a.user(4);
    assert.throws(() => a.renameUserEmail(5, user.email.toUpperCase()), /taken/);
    a.renameUserEmail(5, "Renamed@Example.TEST");
    assert.equal(a.userByEmail("renamed@example.test")?.id, 5);
    const server = a.server(1);
    a.removeServer(1);
    assert.equal(a.tables.allocations.get(server.allocationId)?.serverId, null);
    assert.equal(a.indexes.subusersByServer.get(1), undefined);
    const added = a.addServer({ ownerId: 2, name: "Fresh" });
    assert.equal(a.tables.allocations.get(added.allocationId)?.serverId, added.id);
  });
});

describe("demo panel over HTTP", () => {
  let panel: DemoPanel;
  before(async () => {
    panel = await startDemoPanel({ sizes: { servers: 1000, users: 400, allocations: 2500 }, seed: 11 });
  });
  after(() => panel.close());

  it("walks every server exactly once at per_page=100", async () => {
    const seen: number[] = [];
    for (let page = 1; ; page++) {
      const { res, body } = await get(panel, `/api/application/servers?per_page=100&page=${page}`);
      assert.equal(res.status, 200);
      const p = asPage(body).meta.pagination;
      assert.deepEqual([p.total, p.per_page, p.current_page, p.total_pages], [1000, 100, page, 10]);
      seen.push(...asPage(body).data.map((r) => r.attributes.id));
      if (page >= p.total_pages) break;
      assert.match(String(p.links.next), /\/api\/application\/servers\?page=\d+$/);
    }
    assert.equal(seen.length, 1000);
    assert.equal(new Set(seen).size, 1000);
    const beyond = asPage((await get(panel, "/api/application/servers?per_page=100&page=11")).body);
    assert.deepEqual(
      [beyond.data.length, beyond.meta.pagination.count, beyond.meta.pagination.total_pages],
      [0, 0, 10],
    );
  });

  it("applies the panel's per_page rules (default 50, no cap on the application API, 100 on the client API)", async () => {
    const sizeOf = async (path: string, key?: string) =>
      asPage((await get(panel, path, key)).body).meta.pagination.per_page;
    assert.equal(await sizeOf("/api/application/servers"), 50);
    assert.equal(await sizeOf("/api/application/servers?per_page=0"), 15);
    assert.equal(await sizeOf("/api/application/servers?per_page=1000"), 1000);
    assert.equal(await sizeOf("/api/client?per_page=1000", panel.clientKey), 100);
    const one = asPage((await get(panel, "/api/application/locations")).body);
    assert.deepEqual(one.meta.pagination.links, []);
  });

  it("returns the requested relationships", async () => {
    const { body } = await get(
      panel,
      "/api/application/servers?per_page=100&include=allocations,subusers.user,databases",
    );
    for (const row of asPage(body).data) {
      const rel = row.attributes.relationships;
      assert.ok(rel);
      const id = row.attributes.id;
      const allocations = rel.allocations?.data ?? [];
      assert.deepEqual(
        allocations.map((a) => a.attributes.id).sort((x, y) => x - y),
        (panel.data.indexes.allocationsByServer.get(id) ?? []).map((a) => a.id).sort((x, y) => x - y),
      );
      assert.ok(allocations.every((a) => a.object === "allocation" && a.attributes.assigned === true));
      for (const s of rel.subusers?.data ?? []) {
        assert.equal(s.object, "subuser");
        assert.equal(s.attributes.relationships?.user?.object, "user");
      }
      assert.equal(rel.subusers?.data.length, (panel.data.indexes.subusersByServer.get(id) ?? []).length);
      assert.ok(
        (rel.databases?.data ?? []).every((d) => d.object === "databases" && d.attributes.server === id),
      );
    }
    const plain = asPage((await get(panel, "/api/application/servers?per_page=1")).body);
    assert.equal(plain.data[0]?.attributes.relationships, undefined);
    const eggs = asPage((await get(panel, "/api/application/nests/1/eggs?include=variables,nest")).body);
    assert.equal(eggs.data[0]?.attributes.relationships?.variables?.data[0]?.object, "egg_variable");
    assert.equal("meta" in eggs, false, "the eggs listing isn't paginated");
  });

  it("answers the panel's auth and not-found errors", async () => {
    const none = await get(panel, "/api/application/servers", "wrong");
    assert.equal(none.res.status, 401);
    assert.deepEqual(none.body, {
      errors: [{ code: "AuthenticationException", status: "401", detail: "Unauthenticated." }],
    });
    assert.equal(none.res.headers.get("x-ratelimit-limit"), null);
    assert.equal((await get(panel, "/api/application/servers", "wrong", "text/html")).res.status, 302);
    const clientOnApp = await get(panel, "/api/application/servers", panel.clientKey);
    assert.equal(clientOnApp.res.status, 403);
    assert.equal((await get(panel, "/api/client", panel.applicationKey)).res.status, 403);
    const missing = await get(panel, "/api/application/servers/999999");
    assert.equal(missing.res.status, 404);
    assert.equal((missing.body.errors as Json[])[0]?.code, "NotFoundHttpException");
  });

  it("treats filter[email] as a case-insensitive substring match", async () => {
    const target = panel.data.user(9);
    const { body } = await get(
      panel,
      `/api/application/users?filter[email]=${encodeURIComponent(target.email.toLowerCase())}`,
    );
    const emails = asPage(body).data.map((r) => String(r.attributes.email));
    assert.ok(emails.includes(target.email));
    assert.ok(emails.length > 1, `expected a substring trap, got ${emails.join(", ")}`);
  });

  it("reads filter[uuid] as Spatie does: comma = OR of partial matches, paginated, with includes", async () => {
    const [a, b, c] = [...panel.data.tables.servers.values()].slice(10, 13);
    assert.ok(a && b && c);
    // Two whole uuids (one upper-cased) and a fragment of a third.
    const filter = [a.uuid, b.uuid.toUpperCase(), c.uuid.slice(9, 23)].join(",");
    const { res, body } = await get(
      panel,
      `/api/application/servers?filter[uuid]=${encodeURIComponent(filter)}&include=variables&per_page=2`,
    );
    assert.equal(res.status, 200);
    const page = asPage(body);
    assert.equal(page.meta.pagination.total, 3);
    assert.equal(page.meta.pagination.total_pages, 2);
    assert.equal(page.data.length, 2);
    const second = asPage(
      (
        await get(
          panel,
          `/api/application/servers?filter[uuid]=${encodeURIComponent(filter)}&include=variables&per_page=2&page=2`,
        )
      ).body,
    );
    const uuids = [...page.data, ...second.data].map((r) => String(r.attributes.uuid));
    assert.deepEqual(uuids.sort(), [a.uuid, b.uuid, c.uuid].sort());
    // include=variables works on the list as on the item: every egg variable with the server's value.
    for (const row of page.data) {
      const vars = row.attributes.relationships?.variables;
      assert.equal(vars?.object, "list");
      const server = panel.data.server(row.attributes.id);
      const eggVars = panel.data.indexes.variablesByEgg.get(server.eggId) ?? [];
      assert.equal(vars?.data.length, eggVars.length);
      assert.ok(vars?.data.every((v) => v.object === "server_variable" && "server_value" in v.attributes));
    }
    // A whole uuid matches only itself; an unknown one matches nothing.
    const one = asPage((await get(panel, `/api/application/servers?filter[uuid]=${a.uuid}`)).body);
    assert.deepEqual(
      one.data.map((r) => r.attributes.uuid),
      [a.uuid],
    );
    const none = asPage(
      (await get(panel, `/api/application/servers?filter[uuid]=${crypto.randomUUID()}`)).body,
    );
    assert.equal(none.data.length, 0);
  });

  it("stores startup environment and reads it back", async () => {
    const server = [...panel.data.tables.servers.values()].find((s) => s.eggId === 1);
    assert.ok(server);
    const send = (body: unknown) =>
      fetch(`${panel.url}/api/application/servers/${server.id}/startup`, {
        method: "PATCH",
        headers: {
          authorization: `Bearer ${panel.applicationKey}`,
          accept: "application/json",
          "content-type": "application/json",
        },
        body: JSON.stringify(body),
      });
    const base = { startup: server.startup, egg: 1, image: server.image, skip_scripts: false };
    const refused = await send({ ...base, environment: { MINECRAFT_VERSION: "1.20.1" } });
    assert.equal(refused.status, 422, "SERVER_JARFILE is required and absent");
    const ok = await send({
      ...base,
      environment: { SERVER_JARFILE: "paper.jar", MINECRAFT_VERSION: "1.20.1" },
    });
    assert.equal(ok.status, 200);
    const { body } = await get(panel, `/api/application/servers/${server.id}?include=variables`);
    const attrs = body.attributes as Row["attributes"] & { container: { environment: Json } };
    assert.equal(attrs.container.environment.SERVER_JARFILE, "paper.jar");
    const values = (attrs.relationships?.variables?.data ?? []).map((v) => [
      v.attributes.env_variable,
      v.attributes.server_value,
    ]);
    assert.deepEqual(Object.fromEntries(values), {
      SERVER_JARFILE: "paper.jar",
      MINECRAFT_VERSION: "1.20.1",
    });
  });

  it("serves subusers on the client API and 409s a suspended server", async () => {
    const server = [...panel.data.tables.servers.values()].find(
      (s) => s.status === null && (panel.data.indexes.subusersByServer.get(s.id) ?? []).length > 0,
    );
    assert.ok(server);
    const { res, body } = await get(panel, `/api/client/servers/${server.identifier}/users`, panel.clientKey);
    assert.equal(res.status, 200);
    const first = (body.data as Row[])[0];
    assert.equal(first?.object, "server_subuser");
    assert.deepEqual(Object.keys(first?.attributes ?? {}), [
      "uuid",
      "username",
      "email",
      "image",
      "2fa_enabled",
      "created_at",
      "permissions",
    ]);
    const suspended = panel.data.server(2);
    assert.equal(
      (await get(panel, `/api/client/servers/${suspended.uuid}/users`, panel.clientKey)).res.status,
      409,
    );
  });
});

describe("throttle and faults", () => {
  let panel: DemoPanel;
  before(async () => {
    panel = await startDemoPanel({ rateLimitPerMinute: 5 });
  });
  after(() => panel.close());

  it("answers 429 with Retry-After once the per-key window is used up", async () => {
    for (let i = 1; i <= 5; i++) {
      const { res } = await get(panel, "/api/application/locations");
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ratelimit-limit"), "5");
      assert.equal(res.headers.get("x-ratelimit-remaining"), String(5 - i));
    }
    const { res, body } = await get(panel, "/api/application/locations");
    assert.equal(res.status, 429);
    const retry = Number(res.headers.get("retry-after"));
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    assert.deepEqual(body, {
      errors: [{ code: "ThrottleRequestsException", status: "429", detail: "Too Many Attempts." }],
    });
    assert.equal(panel.stats().rateLimited, 1);
    panel.resetRateLimits();
  });

  it("fires each fault the stated number of times", async () => {
    panel.faults.add({ path: /^\/api\/application\/nodes/, kind: "status", status: 503, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(panel, "/api/application/nodes")).res.status);
    assert.deepEqual(statuses, [503, 503, 200]);

    panel.faults.add({ path: "/api/application/nests", kind: "reset", times: 1 });
    await assert.rejects(get(panel, "/api/application/nests"));
    assert.equal((await get(panel, "/api/application/nests")).res.status, 200);

    panel.faults.add({ path: "/api/application/users", kind: "slow", delayMs: 300, times: 1 });
    const started = performance.now();
    assert.equal((await get(panel, "/api/application/users")).res.status, 200);
    assert.ok(performance.now() - started >= 290);

    panel.faults.add({ path: "/api/application/locations", kind: "429", retryAfter: 7, times: 1 });
    const limited = await get(panel, "/api/application/locations");
    assert.deepEqual([limited.res.status, limited.res.headers.get("retry-after")], [429, "7"]);

    panel.faults.add({ path: "/api/application/servers", kind: "hang", times: 1 });
    await assert.rejects(fetch(`${panel.url}/api/application/servers`, { signal: AbortSignal.timeout(200) }));
    assert.equal(panel.faults.list().length, 0, "every rule used up");
    panel.resetRateLimits();
  });

  it("takes rules over HTTP and reports stats", async () => {
    panel.resetStats();
    const added = await fetch(`${panel.url}/__faults`, {
      method: "POST",
      body: JSON.stringify({
        path: "^/api/application/servers\\?page=2",
        kind: "status",
        status: 500,
        times: 1,
      }),
    });
    assert.equal(added.status, 201);
    assert.equal((await get(panel, "/api/application/servers?page=2")).res.status, 500);
    assert.equal((await get(panel, "/api/application/servers?page=2")).res.status, 200);
    await fetch(`${panel.url}/__faults`, {
      method: "POST",
      body: JSON.stringify({ path: ".*", kind: "status" }),
    });
    assert.equal((await fetch(`${panel.url}/__faults`, { method: "DELETE" })).status, 204);
    const stats = (await (await fetch(`${panel.url}/__stats`)).json()) as Json;
    assert.equal(stats.total, 2);
    assert.equal(stats.pagesServed, 1);
    assert.deepEqual(stats.byRoute, { "GET /api/application/servers": 2 });
  });
});
