// The demo panel's server-control routes on their own (node --test): keys, the state conflicts,
// power and console, files, backups with their throttle and limit, startup variable flags.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
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

describe("signed links (the fake Wings)", () => {
  const link = async (s: Server, path: string) => {
    const r = await call(s, path);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, "signed_url");
    return new URL(r.json.attributes.url as string);
  };

  it("a download link works once; tampered or expired is Wings' 500, reused or unknown 404", async () => {
    const s = server();
    const url = await link(s, "/files/download?file=/eula.txt");
    assert.equal(url.origin, panel.url);
    const got = await fetch(url);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get("content-type"), "application/octet-stream");
    assert.equal(got.headers.get("content-disposition"), 'attachment; filename="eula.txt"');
    assert.equal(await got.text(), "eula=true\n");
    const again = await fetch(url);
    assert.equal(again.status, 404);
    assert.match(await again.text(), /not found on this server/);

    const fresh = await link(s, "/files/download?file=/eula.txt");
    const token = fresh.searchParams.get("token") ?? "";
    const [h, p, sig] = token.split(".");
    const claims = JSON.parse(Buffer.from(p ?? "", "base64url").toString("utf8"));
    const forged = Buffer.from(JSON.stringify({ ...claims, file_path: "/server.properties" })).toString(
      "base64url",
    );
    fresh.searchParams.set("token", `${h}.${forged}.${sig}`);
    const tampered = await fetch(fresh);
    assert.equal(tampered.status, 500);
    assert.match(((await tampered.json()) as { request_id: string }).request_id, /^[0-9a-f-]{36}$/);
    assert.equal((await fetch(`${panel.url}/download/file?token=nope`)).status, 500);
    // Signed right, but past its `exp`.
    const secret = panel.data.tables.nodes.get(s.nodeId)?.uuid ?? "node";
    const stale = Buffer.from(JSON.stringify({ ...claims, exp: Math.floor(Date.now() / 1000) - 1 })).toString(
      "base64url",
    );
    const staleSig = createHmac("sha256", secret).update(`${h}.${stale}`).digest("base64url");
    fresh.searchParams.set("token", `${h}.${stale}.${staleSig}`);
    assert.equal((await fetch(fresh)).status, 500);
  });

  it("an upload link writes multipart `files` under ?directory=, once, within the node's limit", async () => {
    const s = server();
    const url = await link(s, "/files/upload");
    url.searchParams.set("directory", "/plugins");
    const form = new FormData();
    form.append("files", new File(["name: demo\n"], "demo.yml"));
    const up = await fetch(url, { method: "POST", body: form });
    assert.equal(up.status, 204, await up.text());
    assert.equal((await call(s, "/files/contents?file=/plugins/demo.yml")).text, "name: demo\n");
    assert.equal((await fetch(url, { method: "POST", body: form })).status, 404);

    const empty = await link(s, "/files/upload");
    const none = await fetch(empty, { method: "POST", body: new FormData() });
    assert.equal(none.status, 400);

    const node = panel.data.tables.nodes.get(s.nodeId);
    assert.ok(node);
    const before = node.uploadSize;
    node.uploadSize = 1;
    try {
      const big = new FormData();
      big.append("files", new File(["x".repeat(1024 * 1024 + 1)], "big.bin"));
      const tooBig = await fetch(await link(s, "/files/upload"), { method: "POST", body: big });
      assert.equal(tooBig.status, 400);
      assert.match(
        ((await tooBig.json()) as { error: string }).error,
        /larger than the maximum file upload size of 1 MB/,
      );
    } finally {
      node.uploadSize = before;
    }
  });

  it("a backup download link serves the completed backup's archive", async () => {
    const s = server({ backupLimit: 5 });
    const made = await call(s, "/backups", { method: "POST", body: { name: "for download" } });
    assert.equal(made.status, 200);
    await new Promise((r) => setTimeout(r, 60));
    const url = await link(s, `/backups/${made.json.attributes.uuid}/download`);
    const got = await fetch(url);
    assert.equal(got.status, 200);
    assert.equal(
      got.headers.get("content-disposition"),
      `attachment; filename="${made.json.attributes.uuid}.tar.gz"`,
    );
    const bytes = Buffer.from(await got.arrayBuffer());
    assert.equal(bytes[0], 0x1f); // gzip
    assert.equal(bytes[1], 0x8b);
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
