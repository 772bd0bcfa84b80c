// How the panel's refusals reach the customer: 429 (the panel's throttle, the backup throttle,
// our interactive budget) with Retry-After, 409 with the reason, 502 on a command → 503 "offline",
// the backup limit, 5xx retried only for reads, a missing or refused client key; per-user limits;
// paths checked before anything reaches the panel.
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  allowManyClientRequests,
  api,
  controlEnv,
  controlFault,
  mutateControlPanel,
  panelRequestsFor,
  seedServer,
} from "../../../test/control-panel.ts";
import { testDeps } from "../../../test/helpers.ts";
import { createTestUser } from "../../../test/users.ts";
import type { Bindings } from "../../platform/env.ts";
import { panelClientCall } from "../../services/panel/client-api.ts";
import { panelDeps } from "../../services/panel/panel-client.ts";

beforeAll(allowManyClientRequests);

describe("panel refusals", () => {
  it("a panel 429 is RATE_LIMITED with the panel's Retry-After", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    await controlFault({ path: `${s.uuid}/power`, kind: "429", retryAfter: 17, times: 1 });
    const r = await api(`/api/v1/servers/${s.id}/power`, {
      token: owner.token,
      method: "POST",
      body: { signal: "start" },
    });
    expect(r.res.status, r.text).toBe(429);
    expect(r.body).toMatchObject({ code: "RATE_LIMITED" });
    expect(r.res.headers.get("retry-after")).toBe("17");
  });

  it("the backup throttle (2 per 10 minutes) is 429 with Retry-After; the backup limit is 409 backup_limit", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    const make = () =>
      api(`/api/v1/servers/${s.id}/backups`, { token: owner.token, method: "POST", body: {} });
    expect((await make()).res.status).toBe(202);
    expect((await make()).res.status).toBe(202);
    const third = await make();
    expect(third.res.status, third.text).toBe(429);
    expect(third.body).toMatchObject({
      code: "RATE_LIMITED",
      error: expect.stringContaining("Only 2 backups"),
    });
    const retryAfter = Number(third.res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(500);
    expect(retryAfter).toBeLessThanOrEqual(600);

    const none = await seedServer(owner, [], { backupLimit: 0 });
    const refused = await api(`/api/v1/servers/${none.id}/backups`, {
      token: owner.token,
      method: "POST",
      body: {},
    });
    expect(refused.res.status, refused.text).toBe(409);
    expect(refused.body).toMatchObject({
      code: "CONFLICT",
      details: [{ path: "reason", message: "backup_limit" }],
    });
  });

  it("409 carries the reason: suspended (resources still readable) and installing", async () => {
    const owner = await createTestUser();
    const suspended = await seedServer(owner, [], { status: "suspended" });
    const power = await api(`/api/v1/servers/${suspended.id}/power`, {
      token: owner.token,
      method: "POST",
      body: { signal: "start" },
    });
    expect(power.res.status, power.text).toBe(409);
    expect(power.body).toMatchObject({
      code: "CONFLICT",
      details: [{ path: "reason", message: "suspended" }],
    });
    const res = await api<{ data: { isSuspended: boolean } }>(`/api/v1/servers/${suspended.id}/resources`, {
      token: owner.token,
    });
    expect(res.res.status, res.text).toBe(200);
    expect(res.body.data.isSuspended).toBe(true);

    const installing = await seedServer(owner, [], { status: "installing" });
    const files = await api(`/api/v1/servers/${installing.id}/files`, { token: owner.token });
    expect(files.res.status, files.text).toBe(409);
    expect(files.body).toMatchObject({ details: [{ path: "reason", message: "installing" }] });
    // The details stand without live state while installing.
    const details = await api<{ data: { isInstalling: boolean; resources: unknown } }>(
      `/api/v1/servers/${installing.id}`,
      { token: owner.token },
    );
    expect(details.res.status, details.text).toBe(200);
    expect(details.body.data).toMatchObject({ isInstalling: true, resources: null });
  });

  it("a command to an offline server is 503 UNAVAILABLE 'offline', audited with its text", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    const r = await api(`/api/v1/servers/${s.id}/command`, {
      token: owner.token,
      method: "POST",
      body: { command: "list" },
    });
    expect(r.res.status, r.text).toBe(503);
    expect(r.body).toMatchObject({ code: "UNAVAILABLE", error: "The server is offline" });
  });

  it("reads are retried once on a 5xx; an action never is", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    await controlFault({ path: `${s.uuid}/backups$`, method: "GET", kind: "status", status: 500, times: 1 });
    const read = await api(`/api/v1/servers/${s.id}/backups`, { token: owner.token });
    expect(read.res.status, read.text).toBe(200);

    await controlFault({ path: `${s.uuid}/power`, kind: "status", status: 500, times: 1 });
    const act = await api(`/api/v1/servers/${s.id}/power`, {
      token: owner.token,
      method: "POST",
      body: { signal: "start" },
    });
    expect(act.res.status, act.text).toBe(502);
    expect(act.body).toMatchObject({ code: "UPSTREAM_ERROR" });
    expect((await panelRequestsFor(s.uuid)).filter((r) => r.path.endsWith("/power"))).toHaveLength(1);
  });

  it("no client key → 503 without a panel call; a refused key → 503", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    const { PTERODACTYL_CLIENT_API_KEY: _, ...rest } = controlEnv();
    const none = await api(`/api/v1/servers/${s.id}/backups`, { token: owner.token }, rest as Bindings);
    expect(none.res.status, none.text).toBe(503);
    expect(await panelRequestsFor(s.uuid)).toEqual([]);
    const wrong = {
      ...controlEnv(),
      PTERODACTYL_CLIENT_API_KEY: "ptlc_wrongwrongwrongwrongwrongwrongwrongwrong",
    };
    const refused = await api(`/api/v1/servers/${s.id}/backups`, { token: owner.token }, wrong as Bindings);
    expect(refused.res.status, refused.text).toBe(503);
    expect(refused.body).toMatchObject({ code: "UNAVAILABLE" });
  });

  it("a file bigger than 512 KiB is 413; a missing one 404", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    const big = await api(`/api/v1/servers/${s.id}/files/contents?file=/logs/old.log`, {
      token: owner.token,
    });
    expect(big.res.status, big.text).toBe(413);
    const missing = await api(`/api/v1/servers/${s.id}/files/contents?file=/nope.txt`, {
      token: owner.token,
    });
    expect(missing.res.status, missing.text).toBe(404);
  });
});

describe("budget and per-user limits", () => {
  it("the interactive share, once spent, answers 429 without calling the panel", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    const deps = testDeps();
    // A connection of its own (another host name, so another bucket) whose sync budget leaves
    // exactly one request a minute of the client API's 720 to customers.
    const url = inject("controlPanelUrl").replace("127.0.0.1", "localhost");
    const conn = {
      url,
      apiKey: "unused",
      clientApiKey: inject("controlPanelClientKey"),
      requestsPerMinute: 719,
      clientRequestsPerMinute: 720,
    };
    const panel = panelDeps(deps, conn);
    const first = await panelClientCall(panel, `/servers/${s.uuid}/backups`);
    expect(first.status).toBe(200);
    const second = await panelClientCall(panel, `/servers/${s.uuid}/backups`).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: "RATE_LIMITED", context: { source: "budget" } });
    expect((second as { headers: Record<string, string> }).headers["Retry-After"]).toMatch(/^\d+$/);
    expect(await panelRequestsFor(s.uuid)).toHaveLength(1);
  });

  it("power actions are limited per user (20 a minute), before the server is even looked up", async () => {
    const [owner, stranger] = await Promise.all([createTestUser(), createTestUser()]);
    const s = await seedServer(owner);
    const power = () =>
      api(`/api/v1/servers/${s.id}/power`, {
        token: stranger.token,
        method: "POST",
        body: { signal: "start" },
      });
    // A token bucket of 20 refilling one token per 3 s: the 21st to 23rd request is refused.
    let notFound = 0;
    let limited = await power();
    while (limited.res.status === 404 && notFound < 30) {
      notFound++;
      limited = await power();
    }
    expect(notFound).toBeGreaterThanOrEqual(20);
    expect(notFound).toBeLessThan(24);
    expect(limited.res.status, limited.text).toBe(429);
    expect(limited.body).toMatchObject({ code: "RATE_LIMITED" });
    expect(Number(limited.res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await panelRequestsFor(s.uuid)).toEqual([]);
  });
});

describe("paths", () => {
  const hostile = [
    "../etc/passwd",
    "/plugins/../../etc/passwd",
    "..",
    "%2e%2e/etc",
    "/plugins/%2E%2E/x",
    "/a\\..\\b",
    "/a\u0000b",
    "/a\nb",
    `/${"a".repeat(1100)}`,
  ];
  it("refuses traversal, encoded dots, backslashes, NUL and control characters before the panel", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    for (const p of hostile) {
      const q = encodeURIComponent(p);
      for (const [method, path, body] of [
        ["GET", `/files?directory=${q}`, undefined],
        ["GET", `/files/contents?file=${q}`, undefined],
        ["PUT", `/files/contents?file=${q}`, { content: "x" }],
      ] as const) {
        const r = await api(`/api/v1/servers/${s.id}${path}`, { token: owner.token, method, body });
        expect(r.res.status, `${method} ${path}: ${r.text}`).toBe(400);
        expect(r.body).toMatchObject({ code: "INVALID_REQUEST" });
      }
    }
    const root = await api(`/api/v1/servers/${s.id}/files/contents?file=/`, { token: owner.token });
    expect(root.res.status, root.text).toBe(400);
    expect(await panelRequestsFor(s.uuid)).toEqual([]);
  });

  it("sends the canonical path: duplicate slashes and '.' folded", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    const r = await api<{ data: { directory: string } }>(
      `/api/v1/servers/${s.id}/files?directory=${encodeURIComponent("//plugins/./")}`,
      { token: owner.token },
    );
    expect(r.res.status, r.text).toBe(200);
    expect(r.body.data.directory).toBe("/plugins");
    expect((await panelRequestsFor(s.uuid)).map((x) => x.query)).toEqual(["?directory=%2Fplugins"]);
  });

  it("a suspended owner changes nothing in the panel's data", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner, [], { status: "suspended" });
    const w = await api(`/api/v1/servers/${s.id}/files/contents?file=/eula.txt`, {
      token: owner.token,
      method: "PUT",
      body: { content: "eula=false\n" },
    });
    expect(w.res.status, w.text).toBe(409);
    await mutateControlPanel("updateServer", s.panelId, { status: null });
    const read = await api<{ data: { content: string } }>(
      `/api/v1/servers/${s.id}/files/contents?file=/eula.txt`,
      {
        token: owner.token,
      },
    );
    expect(read.body.data.content).toBe("eula=true\n");
  });
});
