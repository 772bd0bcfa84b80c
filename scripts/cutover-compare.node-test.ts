// cutover:compare against two local backends that differ the way a cutover can: a missing field,
// null where the other sends a string, another status, an extra field (harmless), the admin token
// sent only with --token, and the CLI's exit code.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { compareBackends, diffShapes, formatComparison, shapeOf } from "./lib/cutover-compare.ts";

type Routes = Record<string, { status?: number; body: unknown; admin?: boolean }>;
const TOKEN = "admin-token-for-compare";
const seenAuth: string[] = [];

function serve(routes: Routes): Promise<Server> {
  const server = createServer((req, res) => {
    const route = routes[req.url ?? ""];
    if (req.headers.authorization) seenAuth.push(req.headers.authorization);
    if (!route)
      return void res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
    if (route.admin && req.headers.authorization !== `Bearer ${TOKEN}`) {
      return void res.writeHead(401, { "content-type": "application/json" }).end('{"error":"unauthorized"}');
    }
    res
      .writeHead(route.status ?? 200, { "content-type": "application/json" })
      .end(JSON.stringify(route.body));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

const OLD: Routes = {
  "/health": { body: { status: "healthy", database: { status: "connected" }, version: "1.0.0" } },
  "/api/stats": { body: { success: true, data: { totalServers: 3, totalUsers: 2, activeUsers: 0 } } },
  "/api/panel/counts": { body: { success: true, data: { nodes: 1 } } },
  "/api/admin/locations": {
    admin: true,
    body: { success: true, locations: [{ id: 1, shortCode: "fra", description: null, nodeCount: 2 }] },
  },
};
const NEW: Routes = {
  "/health": {
    body: { status: "healthy", database: { status: "connected" }, version: "0.1.0", requestId: "x" },
  },
  "/api/stats": { body: { success: true, data: { totalServers: 30, totalUsers: 20 } } },
  "/api/panel/counts": { status: 500, body: { success: false, error: "boom" } },
  "/api/admin/locations": {
    admin: true,
    body: { success: true, locations: [{ id: 7, shortCode: "ams", description: "", nodeCount: 1 }] },
  },
};
const probes = [
  { path: "/health" },
  { path: "/api/stats" },
  { path: "/api/panel/counts" },
  { path: "/api/admin/locations", admin: true },
];

let oldServer: Server;
let newServer: Server;
before(async () => {
  oldServer = await serve(OLD);
  newServer = await serve(NEW);
});
after(() => {
  oldServer.close();
  newServer.close();
});

describe("cutover:compare", () => {
  it("shapes ignore values and merge array elements", () => {
    assert.deepEqual(shapeOf({ a: 1, b: [{ x: "s" }, { y: null }] }), {
      a: "number",
      b: { "[]": { x: "string", y: "null" } },
    });
    assert.deepEqual(diffShapes(shapeOf({ a: 1 }), shapeOf({ a: 2 })), []);
    assert.deepEqual(diffShapes(shapeOf({ a: [] }), shapeOf({ a: [{ b: 1 }] })), []);
  });

  it("reports missing fields, type changes, other statuses; extra fields are not noticeable", async () => {
    const results = await compareBackends({ old: url(oldServer), new: url(newServer), token: TOKEN, probes });
    const by = Object.fromEntries(results.map((r) => [r.path, r]));
    assert.equal(by["/health"]?.noticeable, false);
    assert.deepEqual(by["/health"]?.differences, [{ path: "$.requestId", kind: "extra", new: "string" }]);
    assert.deepEqual(by["/api/stats"]?.differences, [
      { path: "$.data.activeUsers", kind: "missing", old: "number" },
    ]);
    assert.equal(by["/api/stats"]?.noticeable, true);
    assert.deepEqual([by["/api/panel/counts"]?.old.status, by["/api/panel/counts"]?.new.status], [200, 500]);
    assert.deepEqual(by["/api/admin/locations"]?.differences, [
      { path: "$.locations[].description", kind: "type", old: "null", new: "string" },
    ]);
    const text = formatComparison(results, { old: "o", new: "n", skippedAdmin: false });
    assert.match(text, /DIFF GET \/api\/stats {2}200 → 200/);
    assert.match(text, /- \$\.data\.activeUsers \(number\) missing in the new answer/);
    assert.match(text, /3 with differences/);
  });

  it("sends the token only to admin probes, and skips them without one", async () => {
    seenAuth.length = 0;
    const results = await compareBackends({ old: url(oldServer), new: url(newServer), probes });
    assert.equal(results.length, 3);
    assert.equal(seenAuth.length, 0);
  });

  it("the CLI prints the comparison and exits 1 when the website could notice", async () => {
    const same = await cli(["--old", url(oldServer), "--new", url(oldServer)]);
    assert.equal(same.status, 0, same.stderr);
    assert.match(same.stdout, /0 with differences/);
    assert.match(same.stdout, /admin lists skipped/);
    const diff = await cli(["--old", url(oldServer), "--new", url(newServer)]);
    assert.equal(diff.status, 1);
    assert.match(diff.stdout, /DIFF/);
    assert.equal((await cli(["--old", url(oldServer)])).status, 2);
  });
});

/** Runs the CLI without blocking this process's event loop (the two servers live here). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["scripts/cutover-compare.ts", ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
