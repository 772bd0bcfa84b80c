// The demo panel's server-control routes on their own (node --test): keys, the state conflicts,
// power and console, files, backups with their throttle and limit, startup variable flags.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Server } from "./model.ts";
import { type DemoPanel, startDemoPanel } from "./server.ts";

let panel: DemoPanel;
let n = 0;

before(async () => {
  panel = await startDemoPanel({
    sizes: { servers: 12, users: 4, allocations: 60, nodes: 2, locations: 1 },
    seed: 5,
    runtimeTiming: { backupMs: 30, restoreMs: 400 },
  });
});
after(() => panel.close());

/** A fresh ready server (each test its own). */
function server(patch: Partial<Server> = {}): Server {
  const s = [...panel.data.tables.servers.values()][n++];
  if (!s) throw new Error("out of servers");
  Object.assign(s, { status: null, backupLimit: 2, eggId: 1 }, patch);
  return s;
}

async function call(
  s: Server,
  path: string,
  init: { method?: string; body?: unknown; key?: string | null; text?: string } = {},
) {
  const headers: Record<string, string> = { accept: "application/json" };
  const key = init.key === undefined ? panel.clientKey : init.key;
  if (key) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.body);
  } else if (init.text !== undefined) {
    headers["content-type"] = "text/plain";
    body = init.text;
  }
  const res = await fetch(`${panel.url}/api/client/servers/${s.uuid}${path}`, {
    method: init.method ?? "GET",
    headers,
    body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the panel's JSON by path
  return { status: res.status, headers: res.headers, text, json: json as Record<string, any> };
}

describe("keys", () => {
  it("refuses a missing or unknown key (401) and the application key (403)", async () => {
    const s = server();
    assert.equal(
      (await call(s, "/power", { method: "POST", body: { signal: "start" }, key: null })).status,
      401,
    );
    assert.equal(
      (await call(s, "/power", { method: "POST", body: { signal: "start" }, key: "ptlc_nope" })).status,
      401,
    );
    assert.equal(
      (await call(s, "/power", { method: "POST", body: { signal: "start" }, key: panel.applicationKey }))
        .status,
      403,
    );
    assert.equal(panel.runtime.of(s).state, "offline");
  });
});

describe("power and console", () => {
  it("keeps the power state, answers 502 to a command while offline and logs commands while running", async () => {
    const s = server();
    const offline = await call(s, "/command", { method: "POST", body: { command: "list" } });
    assert.equal(offline.status, 502);
    assert.equal(offline.json.errors[0].detail, "Server must be online in order to send commands.");
    assert.equal((await call(s, "/power", { method: "POST", body: { signal: "start" } })).status, 204);
    assert.equal((await call(s, "/resources")).json.attributes.current_state, "running");
    assert.equal((await call(s, "/command", { method: "POST", body: { command: "list" } })).status, 204);
    assert.ok(panel.runtime.consoleOf(s.id).includes("> list"));
    assert.equal((await call(s, "/power", { method: "POST", body: { signal: "bogus" } })).status, 422);
  });

  it("409 for suspended and installing servers; a suspended server's resources still answer", async () => {
    const suspended = server({ status: "suspended" });
    const r = await call(suspended, "/power", { method: "POST", body: { signal: "start" } });
    assert.equal(r.status, 409);
    assert.equal(r.json.errors[0].code, "ServerStateConflictException");
    assert.equal((await call(suspended, "/resources")).status, 200);
    const installing = server({ status: "installing" });
    assert.equal((await call(installing, "/resources")).status, 409);
    assert.equal((await call(installing, "/files/list?directory=/")).status, 409);
  });
});

describe("files", () => {
  it("lists, reads and writes the small tree", async () => {
    const s = server();
    const root = await call(s, "/files/list?directory=/");
    assert.deepEqual(
      root.json.data.map((f: { attributes: { name: string } }) => f.attributes.name),
      ["logs", "plugins", "eula.txt", "server.properties"],
    );
    assert.equal(
      (await call(s, "/files/write?file=/plugins/new/a.txt", { method: "POST", text: "hi\n" })).status,
      204,
    );
    const read = await call(s, "/files/contents?file=/plugins/new/a.txt");
    assert.equal(read.text, "hi\n");
    assert.match(read.headers.get("content-type") ?? "", /text\/plain/);
    assert.equal((await call(s, "/files/list?directory=/plugins/new")).json.data.length, 1);
    assert.equal((await call(s, "/files/contents?file=/missing")).status, 404);
  });
});

describe("backups", () => {
  it("throttles to 2 per 600 s (429, Retry-After), honours backup_limit (400), completes and restores", async () => {
    const s = server({ backupLimit: 5 });
    const first = await call(s, "/backups", { method: "POST", body: { name: "one" } });
    assert.equal(first.status, 200);
    assert.equal(first.json.attributes.is_successful, false);
    assert.equal((await call(s, "/backups", { method: "POST", body: {} })).status, 200);
    const third = await call(s, "/backups", { method: "POST", body: {} });
    assert.equal(third.status, 429);
    assert.ok(Number(third.headers.get("retry-after")) > 590);
    await new Promise((r) => setTimeout(r, 50));
    const done = await call(s, `/backups/${first.json.attributes.uuid}`);
    assert.equal(done.json.attributes.is_successful, true);

    await call(s, "/files/write?file=/eula.txt", { method: "POST", text: "eula=false\n" });
    assert.equal(
      (await call(s, `/backups/${first.json.attributes.uuid}/restore`, { method: "POST", body: {} })).status,
      204,
    );
    assert.equal((await call(s, "/files/contents?file=/eula.txt")).status, 409);
    await new Promise((r) => setTimeout(r, 450));
    assert.equal((await call(s, "/files/contents?file=/eula.txt")).text, "eula=true\n");

    const none = server({ backupLimit: 0 });
    const refused = await call(none, "/backups", { method: "POST", body: {} });
    assert.equal(refused.status, 400);
    assert.equal(refused.json.errors[0].code, "TooManyBackupsException");
  });
});

describe("startup", () => {
  it("lists viewable variables only and edits only editable ones, by the egg's rules", async () => {
    const s = server();
    const vars = (await call(s, "/startup")).json.data.map(
      (d: { attributes: Record<string, unknown> }) => d.attributes,
    );
    const ro = vars.find((v: { is_editable: boolean }) => !v.is_editable);
    assert.ok(ro, "a read-only variable");
    const refused = await call(s, "/startup/variable", {
      method: "PUT",
      body: { key: ro.env_variable, value: "x" },
    });
    assert.equal(refused.status, 400);
    assert.match(refused.json.errors[0].detail, /read-only/);
    const invalid = await call(s, "/startup/variable", {
      method: "PUT",
      body: { key: "SERVER_JARFILE", value: "nope" },
    });
    assert.equal(invalid.status, 422);
    const ok = await call(s, "/startup/variable", {
      method: "PUT",
      body: { key: "SERVER_JARFILE", value: "a.jar" },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.attributes.server_value, "a.jar");
  });
});

describe("request log", () => {
  it("records what reached the panel", async () => {
    const s = server();
    await call(s, "/resources");
    assert.ok(panel.requests().some((r) => r.path.endsWith(`${s.uuid}/resources`)));
  });
});
