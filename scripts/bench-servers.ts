// `npm run bench:servers`: what the backend adds to a customer's server call. Our Worker under
// `wrangler dev` against a demo panel, both on 127.0.0.1: requests one after another (p50/p99
// latency) and under load (requests/s) for GET …/resources (a cache hit, but for one panel call
// per 20 s: the panel caches 20 s too) and POST …/power (always reaches the panel), each as a
// ratio to calling the demo panel's Client API directly in the same run. Twice: against the
// in-memory panel as it is (half a millisecond: the ratio then measures only our own work), and
// with PANEL_LATENCY_MS (default 40) added by the panel to every Client API request, direct or
// through us alike (a "slow" fault rule), as a real panel across the internet answers. Budget:
// ≤ 1.3× the direct p50, judged on the second (docs/servers.md "What it costs"); printed, not
// asserted. A third column, a bare Worker that only forwards to the panel under the same `wrangler
// dev` (scripts/bench/bare-proxy.ts), splits what we add into the harness's share (bare − direct:
// wrangler's dev proxy and workerd's local fetch, which a deployed Worker does not pay) and our
// own work (ours − bare). The load average (`uptime`) is printed before and after.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { Agent, request } from "undici";
import { signAccessToken } from "../src/services/accounts/jwt.ts";
import { startDemoPanel } from "./demo-panel/server.ts";
import { setConfig } from "./lib/config-rows.ts";
import { repoRoot } from "./lib/dev-state.ts";
import { benchVars, startDatabaseProcess } from "./lib/local-database.ts";
import { startWranglerDev } from "./lib/wrangler-dev.ts";

/** Sequential requests per target. */
const N = Number(process.env.BENCH_REQUESTS ?? 200);
/** What the panel adds per Client API request in the second run (a real panel over the internet). */
const PANEL_LATENCY_MS = Number(process.env.PANEL_LATENCY_MS ?? 40);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

interface Target {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

async function once(agent: Agent, t: Target): Promise<number> {
  const started = performance.now();
  const res = await request(t.url, { method: t.method, headers: t.headers, body: t.body, dispatcher: agent });
  await res.body.arrayBuffer();
  if (res.statusCode >= 300) throw new Error(`${t.method} ${t.url}: ${res.statusCode}`);
  return performance.now() - started;
}

async function latency(t: Target): Promise<{ p50: number; p99: number }> {
  const agent = new Agent({ connections: 1 });
  for (let i = 0; i < 20; i++) await once(agent, t);
  const samples: number[] = [];
  for (let i = 0; i < N; i++) samples.push(await once(agent, t));
  await agent.close();
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(N / 2)] ?? 0, p99: samples[Math.min(N - 1, Math.floor(N * 0.99))] ?? 0 };
}

const load = () => execFileSync("uptime", { encoding: "utf8" }).trim();

async function throughput(t: Target): Promise<number> {
  const agent = new Agent({ connections: CONNECTIONS });
  const deadline = performance.now() + SECONDS * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        await once(agent, t);
        done++;
      }
    }),
  );
  await agent.close();
  return done / ((performance.now() - started) / 1000);
}

const db = await startDatabaseProcess();
const panel = await startDemoPanel({
  sizes: { servers: 4, users: 3 },
  seed: 11,
  rateLimitPerMinute: 1_000_000,
});
const vars = {
  ...benchVars(db),
  PTERODACTYL_URL: panel.url,
  PTERODACTYL_API_KEY: panel.applicationKey,
  PTERODACTYL_CLIENT_API_KEY: panel.clientKey,
};
// The per-user power limit and the interactive share would throttle a load test: the limit off,
// and the budget told what this demo panel really allows (as an operator of such a panel would).
await setConfig(db.pg.url, "rate_limit.servers.power", JSON.stringify({ enabled: false }));
await setConfig(db.pg.url, "panel_client_requests_per_minute", "1000000");
const server = [...panel.data.tables.servers.values()][0];
if (!server) throw new Error("no demo server");
server.status = null;

const client = new pg.Client({ connectionString: db.pg.url });
await client.connect();
const userId = `bench-${Date.now()}`;
const [user] = (
  await client.query(
    `insert into users (id, email, password, username, roles, "isSystemAdmin", "emailVerified", "isActive")
     values ($1, $2, 'x', $3, '{MEMBER}', false, now(), true) returning *`,
    [userId, `${userId}@bench.test`, userId.slice(0, 20)],
  )
).rows;
await client.query(
  `insert into servers (id, uuid, "uuidShort", name, status, "ownerId") values ($1, $2, $3, 'bench', 'offline', $4)`,
  [`srv-${userId}`, server.uuid, server.identifier, userId],
);
await client.end();
const token = await signAccessToken(user, String((vars as Record<string, string>).JWT_SECRET));

const worker = await startWranglerDev(join(repoRoot, "wrangler.toml"), vars);
const bare = await startWranglerDev(join(repoRoot, "scripts", "bench", "bare-proxy.wrangler.toml"), {
  PANEL_URL: panel.url,
});
try {
  const ours = `${worker.url}/api/v1/servers/srv-${userId}`;
  const direct = `${panel.url}/api/client/servers/${server.uuid}`;
  const json = { "content-type": "application/json" };
  // Our own floor: an authenticated route with one database read, no panel.
  const floor = await latency({
    url: `${worker.url}/api/v1/dashboard/account`,
    method: "GET",
    headers: { authorization: `Bearer ${token}` },
  });
  console.log(`load before: ${load()}`);
  const fmt = (r: { p50: number; p99: number }) => `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`;
  console.log(`floor: GET /api/v1/dashboard/account (auth + 1 SQL) ${fmt(floor)}`);
  const harness = await latency({ url: `${bare.url}/health`, method: "GET", headers: {} });
  console.log(`harness: a Worker answering "ok" under wrangler dev ${fmt(harness)}`);
  const pairs: [string, Target, Target][] = [
    [
      "GET  …/resources",
      { url: `${ours}/resources`, method: "GET", headers: { authorization: `Bearer ${token}` } },
      {
        url: `${direct}/resources`,
        method: "GET",
        headers: {
          authorization: `Bearer ${panel.clientKey}`,
          accept: "application/json",
          "user-agent": "bench-servers",
        },
      },
    ],
    [
      "POST …/power    ",
      {
        url: `${ours}/power`,
        method: "POST",
        headers: { authorization: `Bearer ${token}`, ...json },
        body: '{"signal":"start"}',
      },
      {
        url: `${direct}/power`,
        method: "POST",
        headers: {
          authorization: `Bearer ${panel.clientKey}`,
          accept: "application/json",
          "user-agent": "bench-servers",
          ...json,
        },
        body: '{"signal":"start"}',
      },
    ],
  ];
  console.log(
    `bench:servers — ${N} sequential requests per target, then ${CONNECTIONS} connections × ${SECONDS}s`,
  );
  for (const latencyMs of [0, PANEL_LATENCY_MS]) {
    const rule = latencyMs
      ? panel.faults.add({ path: /^\/api\/client\//, kind: "slow", delayMs: latencyMs })
      : undefined;
    console.log(
      latencyMs
        ? `— the panel answers every Client API request ${latencyMs} ms later (direct and through us alike):`
        : "— the in-memory demo panel as it is:",
    );
    for (const [name, viaUs, viaPanel] of pairs) {
      const viaBare = { ...viaPanel, url: viaPanel.url.replace(panel.url, bare.url) };
      const a = await latency(viaUs);
      const b = await latency(viaPanel);
      const f = await latency(viaBare);
      const ra = await throughput(viaUs);
      const rb = await throughput(viaPanel);
      console.log(
        `${name}  ours ${fmt(a)} | direct ${fmt(b)} | p50 ratio ${(a.p50 / b.p50).toFixed(2)}× (budget ≤ 1.30×) | ${ra.toFixed(0)} / ${rb.toFixed(0)} req/s`,
      );
      console.log(
        `${" ".repeat(name.length)}  bare forwarding Worker ${fmt(f)} | added at p50: harness ${(f.p50 - b.p50).toFixed(1)} ms, ours ${(a.p50 - f.p50).toFixed(1)} ms | ours ÷ bare ${(a.p50 / f.p50).toFixed(2)}×`,
      );
    }
    if (rule) panel.faults.remove(rule.id);
  }
  console.log(`load after: ${load()}`);
} finally {
  await worker.stop();
  await bare.stop();
  await panel.close();
  await db.stop();
}
