// Who may see and act on a server: the owner, a subuser with the panel's permission strings, an
// admin, nobody else; found by our id, the panel uuid or its short identifier.
import { describe, expect, it } from "vitest";
import { testDb, uid } from "../../../test/helpers.ts";
import { createAdmin, createTestUser } from "../../../test/users.ts";
import { serverSubusers, servers } from "../../platform/db/schema/index.ts";
import type { Principal } from "../../platform/principal.ts";
import { may, serverAccess } from "./servers.ts";

describe("serverAccess", () => {
  it("grants owners and admins everything, subusers their permissions, strangers nothing", async () => {
    const db = testDb();
    const [owner, sub, stranger, admin] = await Promise.all([
      createTestUser(),
      createTestUser(),
      createTestUser(),
      createAdmin(),
    ]);
    const id = uid("srv");
    const uuid = crypto.randomUUID();
    await db
      .insert(servers)
      .values({ id, uuid, uuidShort: uuid.slice(0, 8), name: "access test", ownerId: owner.user.id });
    await db.insert(serverSubusers).values({
      serverId: id,
      userId: sub.user.id,
      permissions: ["control.start", "control.console"],
    });
    const as = (u: typeof owner, isAdmin = false): Principal => ({ kind: "user", user: u.user, isAdmin });

    const own = await serverAccess(db, as(owner), id);
    expect(own).toEqual({ serverId: id, uuid, role: "owner", permissions: ["*"] });
    expect(own && may(own, "file.update")).toBe(true);

    const shared = await serverAccess(db, as(sub), uuid);
    expect(shared).toMatchObject({ serverId: id, role: "subuser" });
    expect(shared && may(shared, "control.start")).toBe(true);
    expect(shared && may(shared, "control.stop")).toBe(false);

    expect(await serverAccess(db, as(admin, true), uuid.slice(0, 8))).toMatchObject({ role: "admin" });
    expect(await serverAccess(db, as(stranger), id)).toBeUndefined();
    expect(await serverAccess(db, as(owner), uid("no-such-server"))).toBeUndefined();
    expect(
      await serverAccess(db, { kind: "service", keyId: "root", name: "root", scopes: [] }, id),
    ).toBeUndefined();
  });
});
