// The caller model: admin rules, actors and the one reading of a request's client.
import { describe, expect, it } from "vitest";
import type { User } from "./db/schema/index.ts";
import { actingAs, actorOf, clientMeta, isAdminUser, isSuperAdmin, SYSTEM_ACTOR } from "./principal.ts";

const user = (roles: string[], isSystemAdmin = false) =>
  ({ id: "u-1", roles, isSystemAdmin }) as unknown as User;

describe("caller model", () => {
  it("treats system admins, SUPER_ADMIN and ADMINISTRATOR as admins, and nobody else", () => {
    expect(isAdminUser(user(["MEMBER"], true))).toBe(true);
    expect(isAdminUser(user(["ADMINISTRATOR"]))).toBe(true);
    expect(isAdminUser(user(["SUPER_ADMIN"]))).toBe(true);
    expect(isAdminUser(user(["SUPPORT_TEAM", "TECH_TEAM"]))).toBe(false);
    expect(isSuperAdmin(user(["ADMINISTRATOR"], true))).toBe(false);
    expect(isSuperAdmin(user(["SUPER_ADMIN"]))).toBe(true);
  });

  it("turns principals into actors with the client's address", () => {
    const meta = { ip: "203.0.113.9", userAgent: "curl/8" };
    expect(actorOf(undefined, meta)).toEqual({ type: "anonymous", id: null, ...meta });
    expect(actorOf({ kind: "user", user: user([]), isAdmin: false }, meta)).toEqual({
      type: "user",
      id: "u-1",
      ...meta,
    });
    expect(actorOf({ kind: "service", keyId: "k-1", name: "ci", scopes: [] }, meta)).toMatchObject({
      type: "api_key",
      id: "k-1",
    });
    expect(actingAs(actorOf(undefined, meta), "user", "u-2")).toEqual({ type: "user", id: "u-2", ...meta });
    expect(SYSTEM_ACTOR).toEqual({ type: "system", id: null, ip: null, userAgent: null });
  });

  it("reads CF-Connecting-IP only (never X-Forwarded-For) and bounds the user agent", () => {
    const headers = new Headers({ "x-forwarded-for": "198.51.100.1", "user-agent": "x".repeat(2000) });
    expect(clientMeta(headers).ip).toBeNull();
    expect(clientMeta(headers).userAgent).toHaveLength(512);
    headers.set("cf-connecting-ip", "2001:db8::1");
    expect(clientMeta(headers).ip).toBe("2001:db8::1");
  });
});
