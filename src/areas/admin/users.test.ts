// Admin users: the list the admin page reads, and role changes with the SUPER_ADMIN guard.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callJson, testDb, uid } from "../../../test/helpers.ts";
import { bearer, createAdmin, createTestUser } from "../../../test/users.ts";
import { auditLogs, servers, users } from "../../platform/db/schema/index.ts";

const setRoles = (token: string, body: unknown) =>
  callJson<{
    success: boolean;
    data: { userId: string; roles: string[]; isSystemAdmin: boolean };
    error?: string;
  }>("/api/admin/users/roles", {
    method: "POST",
    headers: { ...bearer(token), "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("POST /api/admin/users/roles", () => {
  it("lets an admin set ordinary roles, audited with before and after", async () => {
    const admin = await createAdmin();
    const target = await createTestUser();
    const r = await setRoles(admin.token, { userId: target.user.id, roles: ["MEMBER", "SUPPORT_TEAM"] });
    expect(r.res.status, r.text).toBe(200);
    expect(r.body.data).toEqual({
      userId: target.user.id,
      roles: ["MEMBER", "SUPPORT_TEAM"],
      isSystemAdmin: false,
    });
    const [audit] = await testDb().select().from(auditLogs).where(eq(auditLogs.targetId, target.user.id));
    expect(audit?.action).toBe("user.roles_changed");
    expect(audit?.details).toMatchObject({
      before: { roles: ["MEMBER"] },
      after: { roles: ["MEMBER", "SUPPORT_TEAM"] },
    });
  });

  it("only lets a SUPER_ADMIN grant or remove SUPER_ADMIN, and never clears isSystemAdmin silently", async () => {
    const admin = await createAdmin();
    const sup = await createTestUser({ roles: ["MEMBER", "SUPER_ADMIN"] });
    const target = await createTestUser();
    const denied = await setRoles(admin.token, { userId: target.user.id, roles: ["SUPER_ADMIN"] });
    expect(denied.res.status, denied.text).toBe(403);
    const selfPromote = await setRoles(admin.token, { userId: admin.user.id, roles: ["SUPER_ADMIN"] });
    expect(selfPromote.res.status).toBe(403);

    const granted = await setRoles(sup.token, { userId: target.user.id, roles: ["MEMBER", "SUPER_ADMIN"] });
    expect(granted.body.data).toMatchObject({ roles: ["MEMBER", "SUPER_ADMIN"], isSystemAdmin: true });
    expect((await setRoles(admin.token, { userId: target.user.id, roles: ["MEMBER"] })).res.status).toBe(403);

    const sysAdmin = await createTestUser({ isSystemAdmin: true });
    const keep = await setRoles(admin.token, { userId: sysAdmin.user.id, roles: ["MEMBER", "PARTNER"] });
    expect(keep.res.status, keep.text).toBe(200);
    expect(keep.body.data.isSystemAdmin).toBe(true);
    const [row] = await testDb().select().from(users).where(eq(users.id, sysAdmin.user.id));
    expect(row?.isSystemAdmin).toBe(true);
  });

  it("refuses unknown roles and unknown users", async () => {
    const admin = await createAdmin();
    expect((await setRoles(admin.token, { userId: admin.user.id, roles: ["GOD"] })).res.status).toBe(400);
    expect((await setRoles(admin.token, { userId: uid("nobody"), roles: ["MEMBER"] })).res.status).toBe(404);
  });
});

describe("GET /api/admin/users", () => {
  it("finds users by search with non-null usernames and numeric server counts", async () => {
    const admin = await createAdmin();
    const tag = uid("find");
    const target = await createTestUser({ email: `${tag}@example.com` });
    await testDb().update(users).set({ username: null }).where(eq(users.id, target.user.id));
    await testDb()
      .insert(servers)
      .values({ id: uid("srv"), name: "mine", ownerId: target.user.id, status: "online" });
    const r = await callJson<{ users: Record<string, unknown>[]; pagination: { total: number } }>(
      `/api/admin/users?search=${tag}&filter=bogus&sort=email&order=asc&page=1&pageSize=10`,
      { headers: bearer(admin.token) },
    );
    expect(r.res.status, r.text).toBe(200);
    expect(r.body.pagination.total).toBe(1);
    expect(r.body.users[0]).toMatchObject({
      id: target.user.id,
      username: tag,
      serverCount: 1,
      emailVerified: true,
      firstName: "",
    });
  });
});
