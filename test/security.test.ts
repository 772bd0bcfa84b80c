// The shared security generator: every protected route in /openapi.json (by its `x-access`)
// gets missing, malformed, forged, alg:none, expired, wrong-audience/issuer and wrong-role
// credentials, and a valid credential as the positive control.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { ACCESS_KINDS } from "../src/access/route-access.ts";
import { apiKeys, users } from "../src/platform/db/schema/index.ts";
import { ERROR_CODES } from "../src/platform/errors.ts";
import { createApiKey } from "../src/services/api-keys/api-keys.ts";
import { call, testDb } from "./helpers.ts";
import { bearer, createAdmin, createTestUser, hostileTokens, type TestUser } from "./users.ts";

interface Operation {
  "x-access"?: string;
  "x-scope"?: string;
}
const doc = (await (await call("/openapi.json")).json()) as {
  paths: Record<string, Record<string, Operation>>;
};
const protectedOps = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods)
    .filter(([, op]) => op["x-access"] && op["x-access"] !== "public")
    .map(([method, op]) => ({
      path,
      method: method.toUpperCase(),
      access: String(op["x-access"]),
      scope: op["x-scope"],
    })),
);

let admin: TestUser;
let member: TestUser;
let disabledAdmin: TestUser;
let deletedAdmin: TestUser;
let hostile: Record<string, string>;
let keys: { wrongScope: string; revoked: string; expired: string };

beforeAll(async () => {
  admin = await createAdmin();
  member = await createTestUser();
  disabledAdmin = await createTestUser({ roles: ["SUPER_ADMIN"], active: false });
  deletedAdmin = await createAdmin();
  await testDb().delete(users).where(eq(users.id, deletedAdmin.user.id));
  hostile = await hostileTokens(admin.user);
  const db = testDb();
  const wrongScope = await createApiKey(db, {
    name: "no-scope",
    scopes: [],
    createdBy: null,
    expiresAt: null,
  });
  const revoked = await createApiKey(db, {
    name: "revoked",
    scopes: ["sync", "stats", "email", "webhook", "hytale", "server-logs"],
    createdBy: null,
    expiresAt: null,
  });
  await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, revoked.row.id));
  const expired = await createApiKey(db, {
    name: "expired",
    scopes: ["sync", "stats", "email", "webhook", "hytale", "server-logs"],
    createdBy: null,
    expiresAt: new Date(Date.now() - 1000),
  });
  keys = { wrongScope: wrongScope.key, revoked: revoked.key, expired: expired.key };
});

const POISON = {
  id: 0,
  type: 0,
  target: 0,
  skip_users: "no",
  requested_by: 0,
  email: 0,
  name: 0,
  newEmail: 0,
};

async function send(op: (typeof protectedOps)[number], headers: Record<string, string>) {
  const path = op.path.replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000000");
  const init: RequestInit = { method: op.method, headers: { ...headers } };
  if (op.method !== "GET" && op.method !== "DELETE") {
    init.headers = { ...headers, "content-type": "application/json" };
    // Wrong-typed common fields: a request that passes auth stops at validation (400), so the
    // positive control never starts a sync, cancels one, or sends mail.
    init.body = JSON.stringify(POISON);
  }
  const res = await call(path, init);
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

function expectRefused(
  r: { status: number; text: string; body: Record<string, unknown> },
  status: number,
  label: string,
) {
  expect(r.status, `${label}: ${r.text}`).toBe(status);
  expect(r.body.success, label).toBe(false);
  expect(ERROR_CODES as string[], label).toContain(r.body.code);
}

describe("security generator over /openapi.json", () => {
  it("finds routes of every access kind, and no route without one", () => {
    const declared = Object.values(doc.paths).flatMap((methods) =>
      Object.values(methods).map((op) => op["x-access"]),
    );
    expect(new Set(declared)).toEqual(new Set(ACCESS_KINDS));
    expect(new Set(protectedOps.map((o) => o.access))).toEqual(
      new Set(ACCESS_KINDS.filter((k) => k !== "public")),
    );
  });

  for (const op of protectedOps) {
    const label = `${op.method} ${op.path} (${op.access})`;
    it(`${label} refuses bad credentials and admits good ones`, async () => {
      const usesBearer = op.access !== "service";
      const usesKey = op.access === "service" || op.access === "member-or-service";
      expectRefused(await send(op, {}), 401, `${label} no credentials`);
      if (usesBearer) {
        expectRefused(await send(op, { authorization: "Basic YWRtaW46YWRtaW4=" }), 401, `${label} basic`);
        expectRefused(await send(op, { authorization: "Bearer" }), 401, `${label} empty bearer`);
        for (const [name, token] of Object.entries(hostile)) {
          expectRefused(await send(op, bearer(token)), 401, `${label} ${name}`);
        }
        expectRefused(await send(op, bearer(disabledAdmin.token)), 401, `${label} disabled user`);
        expectRefused(await send(op, bearer(deletedAdmin.token)), 401, `${label} deleted user`);
        if (op.access === "admin")
          expectRefused(await send(op, bearer(member.token)), 403, `${label} non-admin`);
        const good = await send(op, bearer(admin.token));
        expect([401, 403], `${label} admin token: ${good.text}`).not.toContain(good.status);
        expect(good.status, `${label} admin token: ${good.text}`).toBeLessThan(500);
      }
      if (usesKey) {
        expectRefused(await send(op, { "x-api-key": "wrong-key" }), 401, `${label} wrong key`);
        expectRefused(await send(op, { "x-api-key": keys.revoked }), 401, `${label} revoked key`);
        expectRefused(await send(op, { "x-api-key": keys.expired }), 401, `${label} expired key`);
        expectRefused(await send(op, { "x-api-key": keys.wrongScope }), 403, `${label} key without scope`);
        const good = await send(op, { "x-api-key": "test-backend-api-key" });
        expect([401, 403], `${label} root key: ${good.text}`).not.toContain(good.status);
        expect(good.status, `${label} root key: ${good.text}`).toBeLessThan(500);
      }
    });
  }
});
