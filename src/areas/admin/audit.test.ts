// GET /api/admin/audit: filters and pagination over the trail written by other routes.
import { describe, expect, it } from "vitest";
import { callJson, testDb, uid } from "../../../test/helpers.ts";
import { bearer, createAdmin } from "../../../test/users.ts";
import { audit } from "../../services/audit/audit.ts";

describe("GET /api/admin/audit", () => {
  it("filters by action and target and pages newest first", async () => {
    const admin = await createAdmin();
    const target = uid("target");
    for (let i = 0; i < 3; i++) {
      await audit(testDb(), {
        action: "test.event",
        actor: { type: "system", id: null, ip: null, userAgent: null },
        targetType: "thing",
        targetId: target,
        details: { i },
      });
    }
    const page1 = await callJson<{
      logs: { details: { i: number } }[];
      pagination: { total: number; totalPages: number };
    }>(`/api/admin/audit?action=test.event&targetId=${target}&pageSize=2`, { headers: bearer(admin.token) });
    expect(page1.res.status, page1.text).toBe(200);
    expect(page1.body.pagination).toMatchObject({ total: 3, totalPages: 2 });
    expect(page1.body.logs.map((l) => l.details.i)).toEqual([2, 1]);
    const page2 = await callJson<{ logs: unknown[] }>(
      `/api/admin/audit?targetId=${target}&pageSize=2&page=2`,
      { headers: bearer(admin.token) },
    );
    expect(page2.body.logs).toHaveLength(1);
    const bad = await callJson(`/api/admin/audit?since=yesterday`, { headers: bearer(admin.token) });
    expect(bad.res.status).toBe(400);
  });
});
