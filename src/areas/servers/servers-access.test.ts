// Who may do what on /api/v1/servers/{server}, route by route: a subuser holding only the route's
// permission succeeds, a subuser holding every other permission gets 403, a stranger gets 404, the
// owner and an admin succeed; the stranger's and the refused subuser's requests never reach the
// panel (its request log has nothing for the server).
import { beforeAll, describe, expect, it } from "vitest";
import {
  allowManyClientRequests,
  api,
  panelRequestsFor,
  type SeededServer,
  seedServer,
} from "../../../test/control-panel.ts";
import { eventually } from "../../../test/helpers.ts";
import { createAdmin, createTestUser, type TestUser } from "../../../test/users.ts";

beforeAll(allowManyClientRequests);

/** The panel's permission strings that these routes check (Permission::permissions()). */
const ALL = [
  "control.console",
  "control.start",
  "control.stop",
  "control.restart",
  "backup.read",
  "backup.create",
  "backup.delete",
  "backup.restore",
  "backup.download",
  "file.read",
  "file.read-content",
  "file.create",
  "file.update",
  "startup.read",
  "startup.update",
  "websocket.connect",
];

interface Case {
  name: string;
  /** Permissions any one of which allows the route; null: any relation to the server. */
  permissions: string[] | null;
  method: string;
  path: (s: SeededServer, backup: string) => string;
  body?: unknown;
  ok: number;
  /** Done as the admin first (start the server, make backups). */
  setup?: (s: SeededServer, admin: TestUser) => Promise<string>;
  /** Each role acts on a server of its own (the backup throttle, a restore in progress). */
  fresh?: boolean;
}

const base = (s: SeededServer) => `/api/v1/servers/${s.id}`;

async function start(s: SeededServer, admin: TestUser): Promise<string> {
  const r = await api(`${base(s)}/power`, { method: "POST", token: admin.token, body: { signal: "start" } });
  expect(r.res.status, r.text).toBe(202);
  return "";
}

async function finishedBackup(s: SeededServer, admin: TestUser): Promise<string> {
  const r = await api<{ data: { uuid: string } }>(`${base(s)}/backups`, {
    method: "POST",
    token: admin.token,
    body: {},
  });
  expect(r.res.status, r.text).toBe(202);
  const uuid = r.body.data.uuid;
  await eventually(async () => {
    const g = await api<{ data: { isSuccessful: boolean } }>(`${base(s)}/backups/${uuid}`, {
      token: admin.token,
    });
    return g.body?.data?.isSuccessful ? true : undefined;
  });
  return uuid;
}

const CASES: Case[] = [
  { name: "details", permissions: null, method: "GET", path: base, ok: 200 },
  { name: "resources", permissions: null, method: "GET", path: (s) => `${base(s)}/resources`, ok: 200 },
  {
    name: "power start",
    permissions: ["control.start"],
    method: "POST",
    path: (s) => `${base(s)}/power`,
    body: { signal: "start" },
    ok: 202,
  },
  {
    name: "power stop",
    permissions: ["control.stop"],
    method: "POST",
    path: (s) => `${base(s)}/power`,
    body: { signal: "stop" },
    ok: 202,
  },
  {
    name: "power kill",
    permissions: ["control.stop"],
    method: "POST",
    path: (s) => `${base(s)}/power`,
    body: { signal: "kill" },
    ok: 202,
  },
  {
    name: "power restart",
    permissions: ["control.restart"],
    method: "POST",
    path: (s) => `${base(s)}/power`,
    body: { signal: "restart" },
    ok: 202,
  },
  {
    name: "command",
    permissions: ["control.console"],
    method: "POST",
    path: (s) => `${base(s)}/command`,
    body: { command: "say hello" },
    ok: 202,
    setup: start,
  },
  {
    name: "startup",
    permissions: ["startup.read"],
    method: "GET",
    path: (s) => `${base(s)}/startup`,
    ok: 200,
  },
  {
    name: "startup variable",
    permissions: ["startup.update"],
    method: "PUT",
    path: (s) => `${base(s)}/startup/variable`,
    body: { key: "SERVER_JARFILE", value: "paper.jar" },
    ok: 200,
  },
  {
    name: "files",
    permissions: ["file.read"],
    method: "GET",
    path: (s) => `${base(s)}/files?directory=/plugins`,
    ok: 200,
  },
  {
    name: "file contents",
    permissions: ["file.read-content"],
    method: "GET",
    path: (s) => `${base(s)}/files/contents?file=/eula.txt`,
    ok: 200,
  },
  {
    name: "file write",
    permissions: ["file.create", "file.update"],
    method: "PUT",
    path: (s) => `${base(s)}/files/contents?file=/plugins/config.yml`,
    body: { content: "enabled: false\n" },
    ok: 200,
  },
  {
    name: "file download link",
    permissions: ["file.read-content"],
    method: "GET",
    path: (s) => `${base(s)}/files/download?file=/eula.txt`,
    ok: 200,
  },
  {
    name: "file upload link",
    permissions: ["file.create"],
    method: "GET",
    path: (s) => `${base(s)}/files/upload`,
    ok: 200,
  },
  {
    name: "backup download link",
    permissions: ["backup.download"],
    method: "GET",
    path: (s, b) => `${base(s)}/backups/${b}/download`,
    ok: 200,
    setup: finishedBackup,
  },
  {
    name: "backups",
    permissions: ["backup.read"],
    method: "GET",
    path: (s) => `${base(s)}/backups`,
    ok: 200,
  },
  {
    name: "backup create",
    permissions: ["backup.create"],
    method: "POST",
    path: (s) => `${base(s)}/backups`,
    body: { name: "nightly" },
    ok: 202,
    fresh: true,
  },
  {
    name: "backup show",
    permissions: ["backup.read"],
    method: "GET",
    path: (s, b) => `${base(s)}/backups/${b}`,
    ok: 200,
    setup: finishedBackup,
  },
  {
    name: "backup delete",
    permissions: ["backup.delete"],
    method: "DELETE",
    path: (s, b) => `${base(s)}/backups/${b}`,
    ok: 200,
    setup: finishedBackup,
    fresh: true,
  },
  {
    name: "backup restore",
    permissions: ["backup.restore"],
    method: "POST",
    path: (s, b) => `${base(s)}/backups/${b}/restore`,
    body: { truncate: false },
    ok: 202,
    setup: finishedBackup,
    fresh: true,
  },
];

describe("server routes: owner, subusers, stranger, admin", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const [owner, admin, stranger, withIt, withoutIt] = await Promise.all([
        createTestUser(),
        createAdmin(),
        createTestUser(),
        createTestUser(),
        createTestUser(),
      ]);
      const granted = c.permissions ?? [];
      const withPerms = c.permissions ? [granted[0] as string] : [];
      const withoutPerms = ALL.filter((p) => !granted.includes(p));
      const subs: [TestUser, string[]][] = [
        [withIt, withPerms],
        [withoutIt, withoutPerms],
      ];
      const shared = await seedServer(owner, subs);
      const serverFor = async () => (c.fresh ? seedServer(owner, subs) : shared);
      const send = (s: SeededServer, backup: string, who: TestUser) =>
        api(c.path(s, backup), { method: c.method, token: who.token, body: c.body });

      // Refused callers first: nothing of theirs may reach the panel.
      const backup0 = c.setup ? await c.setup(shared, admin) : "";
      const before = (await panelRequestsFor(shared.uuid)).length;
      const byStranger = await send(shared, backup0, stranger);
      expect(byStranger.res.status, byStranger.text).toBe(404);
      expect(byStranger.body).toMatchObject({ code: "NOT_FOUND" });
      if (c.permissions) {
        const byOther = await send(shared, backup0, withoutIt);
        expect(byOther.res.status, byOther.text).toBe(403);
        expect(byOther.body).toMatchObject({ code: "FORBIDDEN" });
      }
      expect((await panelRequestsFor(shared.uuid)).length).toBe(before);

      for (const [role, who] of [
        ["subuser with the permission", withIt],
        ["owner", owner],
        ["admin", admin],
      ] as const) {
        const s = role === "subuser with the permission" ? shared : await serverFor();
        const backup = s === shared ? backup0 : c.setup ? await c.setup(s, admin) : "";
        const r = await send(s, backup, who);
        expect(r.res.status, `${role}: ${r.text}`).toBe(c.ok);
        expect(r.body, role).toMatchObject({ success: true });
      }
    });
  }

  it("finds the server by our id, the panel uuid and its short id, and reports the caller's role", async () => {
    const [owner, admin, sub] = await Promise.all([createTestUser(), createAdmin(), createTestUser()]);
    const s = await seedServer(owner, [[sub, ["control.start", "file.read"]]]);
    for (const key of [s.id, s.uuid, s.identifier]) {
      const r = await api<{ data: Record<string, unknown> }>(`/api/v1/servers/${key}`, {
        token: owner.token,
      });
      expect(r.res.status, r.text).toBe(200);
      expect(r.body.data).toMatchObject({ id: s.id, uuid: s.uuid, identifier: s.identifier, role: "owner" });
    }
    const bySub = await api<{ data: Record<string, unknown> }>(`/api/v1/servers/${s.identifier}`, {
      token: sub.token,
    });
    expect(bySub.body.data).toMatchObject({ role: "subuser", permissions: ["control.start", "file.read"] });
    const byAdmin = await api<{ data: Record<string, unknown> }>(`/api/v1/servers/${s.uuid}`, {
      token: admin.token,
    });
    expect(byAdmin.body.data).toMatchObject({ role: "admin", state: "offline" });
  });

  it("refuses a missing token with 401 before anything else", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    const r = await api(`/api/v1/servers/${s.id}/power`, { method: "POST", body: { signal: "start" } });
    expect(r.res.status, r.text).toBe(401);
    expect(await panelRequestsFor(s.uuid)).toEqual([]);
  });
});
