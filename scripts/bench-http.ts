// `npm run bench:http`: our Worker and a bare Hono worker (scripts/bench/bare-worker.ts), both
// under `wrangler dev` on 127.0.0.1 against the same embedded Postgres + Neon shim, loaded in
// alternating rounds; prints requests/s per route and the ratio to the bare worker (budget ≥ 0.8).
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./lib/dev-state.ts";
import { runLoad, waitFor } from "./lib/load.ts";
import { applyMigrations } from "./lib/migrate.ts";
import { startNeonShim } from "./lib/neon-shim.ts";
import { freePort, startPostgres } from "./lib/postgres.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ROUTES = ["/health", "/api/panel/counts"];

const pg = await startPostgres();
await applyMigrations(pg.url);
const shim = await startNeonShim({ backendUrl: pg.url, poolMax: pg.poolMax });
const vars = {
  DATABASE_URL: pg.url,
  NEON_FETCH_ENDPOINT: shim.endpoint,
  ENVIRONMENT: "development",
  JWT_SECRET: "bench-only-jwt-secret-0123456789abcdef",
};

const children: ChildProcess[] = [];
async function startWorker(config: string): Promise<string> {
  const port = await freePort();
  const inspector = await freePort();
  const args = [
    "dev",
    "-c",
    config,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
  ];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn(join(repoRoot, "node_modules", ".bin", "wrangler"), args, {
    cwd: repoRoot,
    stdio: "ignore",
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_LOG: "error",
    },
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/health`);
  return base;
}

async function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode === null ? c.once("exit", r) : r(null)))),
  );
  await shim.close();
  await pg.stop();
}

try {
  const ours = await startWorker(join(repoRoot, "wrangler.toml"));
  const bare = await startWorker(join(repoRoot, "scripts", "bench", "bare.wrangler.toml"));
  console.log(
    `bench:http — ${pg.kind} postgres, ${CONNECTIONS} connections, ${SECONDS}s × ${ROUNDS} rounds per route`,
  );
  for (const route of ROUTES) {
    // warm both isolates
    await runLoad(`${ours}${route}`, { connections: 2, seconds: 1 });
    await runLoad(`${bare}${route}`, { connections: 2, seconds: 1 });
    const totals = { ours: { n: 0, s: 0, e: 0 }, bare: { n: 0, s: 0, e: 0 } };
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, base] of [
        ["ours", ours],
        ["bare", bare],
      ] as const) {
        const r = await runLoad(`${base}${route}`, { connections: CONNECTIONS, seconds: SECONDS });
        totals[name].n += r.requests;
        totals[name].s += r.seconds;
        totals[name].e += r.errors;
      }
    }
    const oursRps = totals.ours.n / totals.ours.s;
    const bareRps = totals.bare.n / totals.bare.s;
    console.log(
      `${route.padEnd(20)} ours ${oursRps.toFixed(0).padStart(6)} req/s  bare hono ${bareRps.toFixed(0).padStart(6)} req/s  ratio ${(oursRps / bareRps).toFixed(2)} (budget ≥ 0.80)  errors ${totals.ours.e}/${totals.bare.e}`,
    );
  }
} finally {
  await cleanup();
}
