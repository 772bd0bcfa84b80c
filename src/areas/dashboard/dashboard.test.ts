// The member dashboard: any signed-in member, own and shared servers only, website fields.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callJson, eventually, testDb, uid, uniqueInt } from "../../../test/helpers.ts";
import {
  bearer,
  createAdmin,
  createTestUser,
  emailsTo,
  linkParams,
  TEST_PASSWORD,
} from "../../../test/users.ts";
import {
  allocations,
  eggs,
  locations,
  nests,
  nodes,
  serverSubusers,
  servers,
  users,
} from "../../platform/db/schema/index.ts";

async function seedServers(ownerId: string, sharedWith?: string) {
  const db = testDb();
  const [loc, node, nest, egg] = [uniqueInt(), uniqueInt(), uniqueInt(), uniqueInt()];
  const ids = { online: uid("srv"), offline: uid("srv"), suspended: uid("srv") };
  await db.batch([
    db.insert(locations).values({ id: loc, shortCode: uid("loc") }),
    db.insert(nodes).values({ id: node, uuid: uid("n"), name: "Node A", fqdn: "a.example", locationId: loc }),
    db.insert(nests).values({ id: nest, uuid: uid("nest"), name: "Games" }),
    db.insert(eggs).values({ id: egg, uuid: uid("egg"), name: "Minecraft", nestId: nest }),
    db.insert(servers).values([
      {
        id: ids.online,
        name: "alpha",
        ownerId,
        status: "online",
        nodeId: node,
        eggId: egg,
        memory: 2048,
        cpu: 200,
        disk: 10000,
      },
      { id: ids.offline, name: "beta", ownerId, status: "offline", nodeId: node, eggId: egg },
      { id: ids.suspended, name: "gamma", ownerId, status: "suspended", isSuspended: true, nodeId: node },
    ]),
    db.insert(allocations).values({
      id: uniqueInt(),
      ip: "10.1.1.1",
      port: 25565,
      nodeId: node,
      isAssigned: true,
      serverId: ids.online,
    }),
  ]);
  if (sharedWith)
    await db.insert(serverSubusers).values({ id: uid("su"), serverId: ids.online, userId: sharedWith });
  return ids;
}

const json = (token: string, method: string, body?: unknown) => ({
  method,
  headers: { ...bearer(token), "content-type": "application/json" },
  body: body === undefined ? undefined : JSON.stringify(body),
});

describe("dashboard for members", () => {
  it("counts the member's servers with lowercase statuses and numeric fields", async () => {
    const member = await createTestUser();
    await testDb().update(users).set({ accountBalance: "12.50" }).where(eq(users.id, member.user.id));
    await seedServers(member.user.id);
    const r = await callJson<{
      data: {
        servers: object;
        recentServers: Record<string, unknown>[];
        accountBalance: number;
        openTickets: number;
      };
    }>("/api/v1/dashboard/stats", { headers: bearer(member.token) });
    expect(r.res.status, r.text).toBe(200);
    expect(r.body.data.servers).toEqual({ total: 3, online: 1, offline: 1, suspended: 1 });
    expect(r.body.data.accountBalance).toBe(12.5);
    expect(r.body.data.openTickets).toBe(0);
    const alpha = r.body.data.recentServers.find((s) => s.name === "alpha");
    expect(alpha).toMatchObject({
      status: "online",
      game: "Minecraft",
      node: "Node A",
      ip: "10.1.1.1",
      port: 25565,
    });
    expect(alpha?.resources).toEqual({
      memory: { used: 0, limit: 2048 },
      cpu: { used: 0, limit: 200 },
      disk: { used: 0, limit: 10000 },
    });
  });

  it("lists own and shared servers, filters by status, and view_all only for admins", async () => {
    const owner = await createTestUser();
    const friend = await createTestUser();
    const admin = await createAdmin();
    const ids = await seedServers(owner.user.id, friend.user.id);
    const own = await callJson<{ data: { id: string; status: string }[]; meta: object }>(
      "/api/v1/dashboard/servers?page=1&per_page=12&status=running",
      { headers: bearer(owner.token) },
    );
    expect(own.body.data.map((s) => s.id)).toEqual([ids.online]);
    expect(own.body.meta).toEqual({
      total: 1,
      page: 1,
      perPage: 12,
      totalPages: 1,
      live: { servers: 0, fromMirror: 0, reason: null },
    });
    const shared = await callJson<{ data: { id: string }[] }>("/api/v1/dashboard/servers?", {
      headers: bearer(friend.token),
    });
    expect(shared.body.data.map((s) => s.id)).toEqual([ids.online]);
    const notAll = await callJson<{ meta: { total: number } }>("/api/v1/dashboard/servers?view_all=true", {
      headers: bearer(friend.token),
    });
    expect(notAll.body.meta.total).toBe(1);
    const all = await callJson<{ meta: { total: number }; data: { owner?: object }[] }>(
      "/api/v1/dashboard/servers?view_all=true&per_page=50",
      {
        headers: bearer(admin.token),
      },
    );
    expect(all.body.meta.total).toBeGreaterThanOrEqual(3);
    expect(all.body.data.some((s) => s.owner)).toBe(true);
  });
});

describe("account", () => {
  it("reads and edits the profile, refusing a silent e-mail switch", async () => {
    const m = await createTestUser();
    const get = await callJson<{ data: Record<string, unknown> }>("/api/v1/dashboard/account?", {
      headers: bearer(m.token),
    });
    expect(get.body.data).toMatchObject({
      id: m.user.id,
      emailVerified: true,
      accountBalance: 0,
      roles: ["MEMBER"],
    });
    const put = await callJson<{ data: Record<string, unknown> }>(
      "/api/v1/dashboard/account",
      json(m.token, "PUT", { firstName: "Ada", lastName: "Lovelace", companyName: "" }),
    );
    expect(put.res.status, put.text).toBe(200);
    expect(put.body.data).toMatchObject({ firstName: "Ada", lastName: "Lovelace", companyName: null });
    const sneaky = await callJson(
      "/api/v1/dashboard/account",
      json(m.token, "PUT", { email: "other@example.com" }),
    );
    expect(sneaky.res.status).toBe(400);
    expect((await callJson("/api/v1/dashboard/account", json(m.token, "PUT", {}))).res.status).toBe(400);
  });

  it("stores free text that Postgres accepts byte for byte: control characters, RTL marks, emoji", async () => {
    const m = await createTestUser();
    const odd = "A\u0001\u001f\u202eda 🚀 'x'; drop table users; --";
    const put = await callJson<{ data: Record<string, unknown> }>(
      "/api/v1/dashboard/account",
      json(m.token, "PUT", { firstName: odd, companyName: "ش\u200fركة" }),
    );
    expect(put.res.status, put.text).toBe(200);
    const get = await callJson<{ data: Record<string, unknown> }>("/api/v1/dashboard/account", {
      headers: bearer(m.token),
    });
    expect(get.body.data).toMatchObject({ firstName: odd, companyName: "ش\u200fركة" });
  });

  it("limits password and e-mail change attempts per user", async () => {
    const m = await createTestUser();
    const pw: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await callJson(
        "/api/v1/dashboard/account/password",
        json(m.token, "PUT", { currentPassword: `Wrong-${i}-pass`, newPassword: "New-passw0rd-1" }),
      );
      pw.push(r.res.status);
    }
    expect(pw).toEqual([401, 401, 401, 401, 401, 429]);
    const mail: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await callJson(
        "/api/v1/dashboard/account/change-email",
        json(m.token, "POST", { newEmail: `n${i}@example.com`, currentPassword: "Wrong-pass-1" }),
      );
      mail.push(r.res.status);
    }
    expect(mail).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it("changes the password only with the current one, and signs other sessions out", async () => {
    const m = await createTestUser();
    const login = await callJson<{ refreshToken: string }>(
      "/api/v1/auth/login",
      json(m.token, "POST", { email: m.user.email, password: TEST_PASSWORD }),
    );
    const wrong = await callJson(
      "/api/v1/dashboard/account/password",
      json(m.token, "PUT", { currentPassword: "nope", newPassword: "N3w-Passw0rd" }),
    );
    expect(wrong.res.status).toBe(401);
    const weak = await callJson(
      "/api/v1/dashboard/account/password",
      json(m.token, "PUT", { currentPassword: TEST_PASSWORD, newPassword: "weak" }),
    );
    expect(weak.res.status).toBe(400);
    const ok = await callJson(
      "/api/v1/dashboard/account/password",
      json(m.token, "PUT", { currentPassword: TEST_PASSWORD, newPassword: "N3w-Passw0rd" }),
    );
    expect(ok.res.status, ok.text).toBe(200);
    const refresh = await callJson(
      "/api/v1/auth/refresh",
      json(m.token, "POST", { refreshToken: login.body.refreshToken }),
    );
    expect(refresh.res.status).toBe(401);
    const relogin = await callJson(
      "/api/v1/auth/login",
      json(m.token, "POST", { email: m.user.email, password: "N3w-Passw0rd" }),
    );
    expect(relogin.res.status).toBe(200);
  });

  it("changes the e-mail only after the new address confirms", async () => {
    const m = await createTestUser();
    const taken = await createTestUser();
    const newEmail = `${uid("moved")}@example.com`;
    expect(
      (
        await callJson(
          "/api/v1/dashboard/account/change-email",
          json(m.token, "POST", { newEmail: taken.user.email, currentPassword: TEST_PASSWORD }),
        )
      ).res.status,
    ).toBe(409);
    const req = await callJson(
      "/api/v1/dashboard/account/change-email",
      json(m.token, "POST", { newEmail, currentPassword: TEST_PASSWORD }),
    );
    expect(req.res.status, req.text).toBe(200);
    const [before] = await testDb().select().from(users).where(eq(users.id, m.user.id));
    expect(before?.email).toBe(m.user.email);
    const [mail] = await eventually(async () =>
      (await emailsTo(newEmail)).length ? emailsTo(newEmail) : undefined,
    );
    const verify = await callJson(
      "/api/v1/auth/verify-email",
      json(m.token, "POST", linkParams(String(mail?.text))),
    );
    expect(verify.res.status, verify.text).toBe(200);
    const [after] = await testDb().select().from(users).where(eq(users.id, m.user.id));
    expect(after?.email).toBe(newEmail);
  });

  it("resends verification only to unverified members", async () => {
    const verified = await createTestUser();
    expect(
      (await callJson("/api/v1/dashboard/account/resend-verification", json(verified.token, "POST"))).res
        .status,
    ).toBe(400);
    const pending = await createTestUser({ verified: false });
    const r = await callJson("/api/v1/dashboard/account/resend-verification", json(pending.token, "POST"));
    expect(r.res.status, r.text).toBe(200);
    await eventually(async () => ((await emailsTo(pending.user.email)).length ? true : undefined));
  });
});
