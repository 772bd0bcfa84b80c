// Managed API keys: created once in plaintext, stored hashed, listed without secrets, usable by
// header or ?api_key= (redacted from logs), scoped, revocable, audited, lastUsedAt recorded.
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { callJson, eventually, testDb } from "../../../test/helpers.ts";
import { bearer, createAdmin, createTestUser } from "../../../test/users.ts";
import { apiKeys, auditLogs } from "../../platform/db/schema/index.ts";

afterEach(() => vi.restoreAllMocks());

async function createKey(adminToken: string, body: unknown) {
  return callJson<{ key: string; apiKey: { id: string; prefix: string; scopes: string[] } }>(
    "/api/admin/api-keys",
    {
      method: "POST",
      headers: { ...bearer(adminToken), "content-type": "application/json" },
      body: JSON.stringify(body),
    },
  );
}

describe("managed API keys", () => {
  it("creates a key shown once, stores only its hash, and lists it without secrets", async () => {
    const admin = await createAdmin();
    const created = await createKey(admin.token, { name: "website", scopes: ["stats"] });
    expect(created.res.status, created.text).toBe(201);
    expect(created.body.key).toMatch(/^nb_[a-z0-9]{8}_[a-z0-9]{40}$/);
    expect(created.body.key.startsWith(`nb_${created.body.apiKey.prefix}_`)).toBe(true);

    const [row] = await testDb().select().from(apiKeys).where(eq(apiKeys.id, created.body.apiKey.id));
    expect(row?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(created.body.key);

    const list = await callJson<{ apiKeys: Record<string, unknown>[] }>("/api/admin/api-keys", {
      headers: bearer(admin.token),
    });
    expect(list.res.status).toBe(200);
    const listed = list.body.apiKeys.find((k) => k.id === created.body.apiKey.id);
    expect(listed).toMatchObject({ name: "website", scopes: ["stats"], revokedAt: null });
    expect(list.text).not.toContain(created.body.key);
    expect(list.text).not.toContain(String(row?.keyHash));

    const audit = await testDb()
      .select()
      .from(auditLogs)
      .where(eq(auditLogs.targetId, created.body.apiKey.id));
    expect(audit.map((a) => a.action)).toEqual(["api_key.created"]);
  });

  it("authenticates by header or ?api_key= (redacted from logs), enforces scopes, then stops after revoke", async () => {
    const admin = await createAdmin();
    const member = await createTestUser();
    const { body } = await createKey(admin.token, { name: "svc", scopes: ["stats"] });
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation(
      (...a: unknown[]) => void lines.push(a.map(String).join(" ")),
    );
    vi.spyOn(console, "info").mockImplementation(
      (...a: unknown[]) => void lines.push(a.map(String).join(" ")),
    );

    const viaHeader = await callJson(`/api/v1/auth/users/${member.user.id}`, {
      headers: { "x-api-key": body.key },
    });
    expect(viaHeader.res.status, viaHeader.text).toBe(200);
    const viaQuery = await callJson(`/api/v1/auth/users/does-not-exist?api_key=${body.key}`);
    expect(viaQuery.res.status, viaQuery.text).toBe(404);
    expect(lines.join("\n")).toContain("api_key=[redacted]");
    expect(lines.join("\n")).not.toContain(body.key);

    await eventually(async () => {
      const [row] = await testDb().select().from(apiKeys).where(eq(apiKeys.id, body.apiKey.id));
      return row?.lastUsedAt ?? undefined;
    });

    const revoke = await callJson(`/api/admin/api-keys/${body.apiKey.id}`, {
      method: "DELETE",
      headers: bearer(admin.token),
    });
    expect(revoke.res.status, revoke.text).toBe(200);
    const after = await callJson(`/api/v1/auth/users/${member.user.id}`, {
      headers: { "x-api-key": body.key },
    });
    expect(after.res.status).toBe(401);
    expect(
      (
        await callJson(`/api/admin/api-keys/${crypto.randomUUID()}`, {
          method: "DELETE",
          headers: bearer(admin.token),
        })
      ).res.status,
    ).toBe(404);
  });

  it("refuses unknown scopes and empty names", async () => {
    const admin = await createAdmin();
    expect((await createKey(admin.token, { name: "x", scopes: ["root"] })).res.status).toBe(400);
    expect((await createKey(admin.token, { name: " ", scopes: ["sync"] })).res.status).toBe(400);
    expect((await createKey(admin.token, { name: "x", scopes: [] })).res.status).toBe(400);
  });
});
