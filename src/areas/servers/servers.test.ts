// A customer's server through the backend against the demo panel: start it, send a command, edit
// a file, back it up, restore it, read the startup variables; each action audited with the
// customer as actor. Resources are cached 20 s per server.
import { and, asc, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  allowManyClientRequests,
  api,
  consoleOf,
  controlEnv,
  panelRequestsFor,
  seedServer,
} from "../../../test/control-panel.ts";
import { countingEnv, eventually, testDb } from "../../../test/helpers.ts";
import { createTestUser } from "../../../test/users.ts";
import { auditLogs } from "../../platform/db/schema/index.ts";

beforeAll(allowManyClientRequests);

type Data<T> = { success: boolean; data: T };

async function auditOf(serverId: string) {
  return testDb()
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.targetType, "server"), eq(auditLogs.targetId, serverId)))
    .orderBy(asc(auditLogs.id));
}

describe("a customer's server through the backend", () => {
  it("start, console command, file edit, backup and restore, all audited as the customer", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    const at = (p = "") => `/api/v1/servers/${s.id}${p}`;
    const as = { token: owner.token };

    const details = await api<Data<{ state: string; role: string; featureLimits: { backups: number } }>>(
      at(),
      as,
    );
    expect(details.res.status, details.text).toBe(200);
    expect(details.body.data).toMatchObject({
      state: "offline",
      role: "owner",
      featureLimits: { backups: 5 },
    });

    const started = await api(at("/power"), { ...as, method: "POST", body: { signal: "start" } });
    expect(started.res.status, started.text).toBe(202);
    const live = await api<Data<{ state: string; cached: boolean }>>(at("/resources"), as);
    expect(live.body.data).toMatchObject({ state: "running", cached: false });

    const cmd = await api(at("/command"), { ...as, method: "POST", body: { command: "say hello world" } });
    expect(cmd.res.status, cmd.text).toBe(202);
    expect(await consoleOf(s.panelId)).toContain("> say hello world");

    const listing = await api<Data<{ files: { name: string; isFile: boolean }[] }>>(
      at("/files?directory=/"),
      as,
    );
    expect(listing.body.data.files.map((f) => f.name)).toEqual(
      expect.arrayContaining(["plugins", "logs", "server.properties", "eula.txt"]),
    );
    const file = "/plugins/config.yml";
    const v1 = await api(at(`/files/contents?file=${file}`), {
      ...as,
      method: "PUT",
      body: { content: "version: 1\n" },
    });
    expect(v1.res.status, v1.text).toBe(200);
    const read = await api<Data<{ content: string }>>(at(`/files/contents?file=${file}`), as);
    expect(read.body.data.content).toBe("version: 1\n");

    const made = await api<Data<{ uuid: string; isSuccessful: boolean }>>(at("/backups"), {
      ...as,
      method: "POST",
      body: { name: "before v2" },
    });
    expect(made.res.status, made.text).toBe(202);
    expect(made.body.data.isSuccessful).toBe(false);
    const backup = made.body.data.uuid;
    await eventually(async () => {
      const b = await api<Data<{ isSuccessful: boolean; bytes: number }>>(at(`/backups/${backup}`), as);
      return b.body.data.isSuccessful && b.body.data.bytes > 0 ? true : undefined;
    });
    const link = await api<Data<{ url: string }>>(at(`/backups/${backup}/download`), as);
    expect(link.res.status, link.text).toBe(200);
    expect(link.body.data.url).toMatch(/^https?:\/\/[^/]+\/download\/backup\?token=[\w-]+\.[\w-]+\.[\w-]+$/);
    // The customer follows the link to Wings (the demo panel's fake): the archive, once.
    const archive = await fetch(link.body.data.url);
    expect(archive.status).toBe(200);
    expect(archive.headers.get("content-disposition")).toContain(`${backup}.tar.gz`);
    await archive.arrayBuffer();
    expect((await fetch(link.body.data.url)).status).toBe(404);
    // An upload through a signed link lands in the server's files, readable through us.
    const upload = await api<Data<{ url: string }>>(at("/files/upload"), as);
    expect(upload.res.status, upload.text).toBe(200);
    const form = new FormData();
    form.append("files", new File(["uploaded: yes\n"], "upload.yml"));
    const sent = await fetch(`${upload.body.data.url}&directory=/plugins`, { method: "POST", body: form });
    expect(sent.status, await sent.text()).toBe(204);
    const uploaded = await api<Data<{ content: string }>>(at("/files/contents?file=/plugins/upload.yml"), as);
    expect(uploaded.body.data.content).toBe("uploaded: yes\n");
    const list = await api<Data<{ backups: { uuid: string; name: string }[]; backupCount: number }>>(
      at("/backups"),
      as,
    );
    expect(list.body.data).toMatchObject({ backupCount: 1, backups: [{ uuid: backup, name: "before v2" }] });

    await api(at(`/files/contents?file=${file}`), {
      ...as,
      method: "PUT",
      body: { content: "version: 2\n" },
    });
    const restore = await api(at(`/backups/${backup}/restore`), {
      ...as,
      method: "POST",
      body: { truncate: true },
    });
    expect(restore.res.status, restore.text).toBe(202);
    // While it restores the panel refuses actions: 409 with the reason.
    const busy = await api(at("/power"), { ...as, method: "POST", body: { signal: "start" } });
    expect(busy.res.status, busy.text).toBe(409);
    expect(busy.body).toMatchObject({
      code: "CONFLICT",
      details: [{ path: "reason", message: "restoring" }],
    });
    const restored = await eventually(async () => {
      const r = await api<Data<{ content: string }>>(at(`/files/contents?file=${file}`), as);
      return r.res.status === 200 ? r.body.data.content : undefined;
    });
    expect(restored).toBe("version: 1\n");

    // Power's audit row is written after its 202 (waitUntil): wait for both.
    const rows = await eventually(async () => {
      const all = await auditOf(s.id);
      return all.filter((r) => r.action === "server.power").length === 2 ? all : undefined;
    });
    const byAction = (a: string) => rows.filter((r) => r.action === a);
    for (const r of rows) expect(r).toMatchObject({ actorType: "user", actorId: owner.user.id });
    expect(byAction("server.power").map((r) => r.details)).toEqual([
      { signal: "start", role: "owner", outcome: "ok" },
      { signal: "start", role: "owner", outcome: "CONFLICT" },
    ]);
    expect(byAction("server.command")[0]?.details).toEqual({
      command: "say hello world",
      role: "owner",
      outcome: "ok",
    });
    const writes = byAction("server.file.write").map((r) => r.details);
    expect(writes).toEqual([
      { file, bytes: 11, role: "owner", outcome: "ok" },
      { file, bytes: 11, role: "owner", outcome: "ok" },
    ]);
    expect(JSON.stringify(writes)).not.toContain("version");
    expect(byAction("server.backup.create")[0]?.details).toMatchObject({ name: "before v2", outcome: "ok" });
    expect(byAction("server.backup.restore")[0]?.details).toMatchObject({
      backup,
      truncate: true,
      outcome: "ok",
    });
  });

  it("serves resources from a 20 s cache: a second read does not reach the panel", async () => {
    const owner = await createTestUser();
    const s = await seedServer(owner);
    const first = await api<Data<{ cached: boolean }>>(`/api/v1/servers/${s.id}/resources`, {
      token: owner.token,
    });
    expect(first.body.data.cached).toBe(false);
    const calls = (await panelRequestsFor(s.uuid)).filter((r) => r.path.endsWith("/resources")).length;
    const second = await api<Data<{ cached: boolean }>>(`/api/v1/servers/${s.uuid}/resources`, {
      token: owner.token,
    });
    expect(second.body.data.cached).toBe(true);
    expect((await panelRequestsFor(s.uuid)).filter((r) => r.path.endsWith("/resources")).length).toBe(calls);
  });

  it("reads the user row and the server's door in ONE database request, then none while the door is fresh", async () => {
    const [owner, stranger] = await Promise.all([createTestUser(), createTestUser()]);
    const s = await seedServer(owner);
    // A DATABASE_URL of its own: a configuration this isolate has no door decisions for yet.
    const { env, sqlRequests } = countingEnv();
    const bindings = { ...controlEnv(), DATABASE_URL: env.DATABASE_URL };
    const first = await api(`/api/v1/servers/${s.id}/resources`, { token: owner.token }, bindings);
    expect(first.res.status, first.text).toBe(200);
    expect(await sqlRequests()).toBe(1);
    const again = await api(`/api/v1/servers/${s.uuid}/startup`, { token: owner.token }, bindings);
    expect(again.res.status, again.text).toBe(200);
    // A different spelling of the server is another door: user row and door again, together.
    expect(await sqlRequests()).toBe(2);
    await api(`/api/v1/servers/${s.id}/resources`, { token: owner.token }, bindings);
    expect(await sqlRequests()).toBe(3); // the user row alone: the door is remembered
    // A refusal read along with the user row serves its own request only, never the next one.
    for (let i = 0; i < 2; i++) {
      const denied = await api(`/api/v1/servers/${s.id}/resources`, { token: stranger.token }, bindings);
      expect(denied.res.status, denied.text).toBe(404);
    }
    expect(await sqlRequests()).toBe(5);
  });

  it("startup: the customer sees viewable variables and edits only editable ones; a subuser's change names the subuser", async () => {
    const [owner, sub] = await Promise.all([createTestUser(), createTestUser()]);
    const s = await seedServer(owner, [[sub, ["startup.read", "startup.update"]]]);
    const at = `/api/v1/servers/${s.id}/startup`;
    const startup = await api<Data<{ variables: { envVariable: string; isEditable: boolean }[] }>>(at, {
      token: sub.token,
    });
    expect(startup.res.status, startup.text).toBe(200);
    const vars = startup.body.data.variables;
    const editable = vars.find((v) => v.isEditable);
    const readOnly = vars.find((v) => !v.isEditable);
    if (!editable || !readOnly) throw new Error(`the demo egg needs both kinds: ${startup.text}`);

    const set = await api<Data<{ serverValue: string }>>(`${at}/variable`, {
      token: sub.token,
      method: "PUT",
      body: { key: "SERVER_JARFILE", value: "paper-1.21.jar" },
    });
    expect(set.res.status, set.text).toBe(200);
    expect(set.body.data.serverValue).toBe("paper-1.21.jar");
    const bad = await api(`${at}/variable`, {
      token: sub.token,
      method: "PUT",
      body: { key: "SERVER_JARFILE", value: "not a jar" },
    });
    expect(bad.res.status, bad.text).toBe(400);
    expect(bad.body).toMatchObject({ code: "INVALID_REQUEST", error: "The value format is invalid." });

    const before = (await panelRequestsFor(s.uuid)).filter((r) => r.method === "PUT").length;
    const ro = await api(`${at}/variable`, {
      token: sub.token,
      method: "PUT",
      body: { key: readOnly.envVariable, value: "x" },
    });
    expect(ro.res.status, ro.text).toBe(403);
    const missing = await api(`${at}/variable`, {
      token: sub.token,
      method: "PUT",
      body: { key: "NO_SUCH_VAR", value: "x" },
    });
    expect(missing.res.status, missing.text).toBe(404);
    const token = await api(`${at}/variable`, {
      token: owner.token,
      method: "PUT",
      body: { key: "HYTALE_SESSION_TOKEN", value: "x" },
    });
    expect(token.res.status, token.text).toBe(403);
    expect((await panelRequestsFor(s.uuid)).filter((r) => r.method === "PUT").length).toBe(before);

    const rows = (await auditOf(s.id)).filter((r) => r.action === "server.startup.update");
    expect(rows.map((r) => [r.actorId, r.details])).toEqual([
      [sub.user.id, { variable: "SERVER_JARFILE", role: "subuser", outcome: "ok" }],
      [sub.user.id, { variable: "SERVER_JARFILE", role: "subuser", outcome: "INVALID_REQUEST" }],
    ]);
  });
});
