// The demo panel's fake Wings websocket on its own (node --test): the token route's shape, the
// Origin check, auth, the permission filter of events and actions, token expiring/expired and
// renewal on the same socket, install output and daemon error detail only for admin tokens.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "undici";
import type { Server } from "./model.ts";
import { type DemoPanel, startDemoPanel } from "./server.ts";

let panel: DemoPanel;
let n = 0;

before(async () => {
  panel = await startDemoPanel({
    sizes: { servers: 10, users: 4, allocations: 60, nodes: 2, locations: 1 },
    seed: 9,
    clientKeyRootAdmin: true,
  });
});
after(() => panel.close());

function server(): Server {
  const s = [...panel.data.tables.servers.values()][n++];
  if (!s) throw new Error("out of servers");
  Object.assign(s, { status: null });
  return s;
}

async function token(s: Server): Promise<{ token: string; socket: string }> {
  const res = await fetch(`${panel.url}/api/client/servers/${s.uuid}/websocket`, {
    headers: { authorization: `Bearer ${panel.clientKey}`, accept: "application/json", "user-agent": "t" },
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: { token: string; socket: string } }).data;
}

interface Client {
  ws: WebSocket;
  frames: { event: string; args: string[] }[];
  next(event: string, from?: number, timeoutMs?: number): Promise<{ event: string; args: string[] }>;
  send(event: string, ...args: string[]): void;
}

async function open(url: string, origin = panel.url): Promise<Client> {
  const ws = new WebSocket(url, { headers: { origin } });
  const frames: Client["frames"] = [];
  ws.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data))));
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error("refused")), { once: true });
  });
  return {
    ws,
    frames,
    async next(event, from = 0, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const f = frames.slice(from).find((x) => x.event === event);
        if (f) return f;
        if (Date.now() > end) throw new Error(`no ${event} in ${JSON.stringify(frames)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    send: (event, ...args) => ws.send(JSON.stringify({ event, args })),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("fake Wings", () => {
  it("mints a 10-minute token for the server's socket (WebsocketController's shape)", async () => {
    const s = server();
    const t = await token(s);
    assert.match(t.socket, new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/api/servers/${s.uuid}/ws$`));
    const claims = JSON.parse(Buffer.from(t.token.split(".")[1] ?? "", "base64url").toString()) as Record<
      string,
      unknown
    >;
    assert.equal(claims.server_uuid, s.uuid);
    assert.equal(Number(claims.exp) - Number(claims.iat), 600);
    assert.ok((claims.permissions as string[]).includes("admin.websocket.install"));
  });

  it("refuses an upgrade from another origin (403, as CheckOrigin)", async () => {
    const t = await token(server());
    await assert.rejects(open(t.socket, "https://evil.example"));
  });

  it("authenticates, sends the status, relays commands and power, renews on the same socket", async () => {
    const s = server();
    panel.wings.setTokenSeconds(2, s.uuid);
    const t = await token(s);
    const c = await open(t.socket);
    c.send("send command", "before auth");
    await c.next("jwt error");
    c.send("auth", t.token);
    await c.next("auth success");
    assert.deepEqual((await c.next("status")).args, ["offline"]);
    c.send("set state", "start");
    await c.next("console output");
    c.send("send command", "say hi");
    const echo = await c.next(
      "console output",
      c.frames.findIndex((f) => f.args[0] === "[demo] server started") + 1,
    );
    assert.equal(echo.args[0], "> say hi");
    await c.next("token expiring", 0, 4000);
    const fresh = await token(s);
    const at = c.frames.length;
    c.send("auth", fresh.token);
    await c.next("auth success", at);
    await sleep(1200);
    assert.equal(
      c.frames.slice(at).some((f) => f.event === "token expired"),
      false,
    );
    const rec = panel.wings.connections(s.uuid).at(-1);
    assert.equal(rec?.auths, 2);
    c.ws.close();
  });

  it("sends token expired when nobody renews", async () => {
    const s = server();
    panel.wings.setTokenSeconds(1, s.uuid);
    const t = await token(s);
    const c = await open(t.socket);
    c.send("auth", t.token);
    await c.next("auth success");
    await c.next("token expired", 0, 4000);
    c.send("send command", "late");
    await c.next("jwt error");
    c.ws.close();
  });

  it("gives an admin token install output and the error detail", async () => {
    const s = server();
    const t = await token(s);
    const admin = await open(t.socket);
    admin.send("auth", t.token);
    await admin.next("auth success");
    panel.wings.broadcast(s.uuid, "install output", ["step 1"]);
    panel.wings.daemonError(s.uuid, "disk quota exceeded");
    await admin.next("install output");
    assert.match((await admin.next("daemon error")).args[0] ?? "", /disk quota exceeded/);
    admin.ws.close();
  });
});
