// `npm run bench:http`: our Worker and a bare Hono worker (scripts/bench/bare-worker.ts), both
// under `wrangler dev` on 127.0.0.1 against the same embedded Postgres + Neon shim, loaded in
// alternating rounds; prints requests/s per route and the ratio to the bare worker (budget ≥ 0.8).
import { join } from "node:path";
import { setConfig } from "./lib/config-rows.ts";
import { repoRoot } from "./lib/dev-state.ts";
import { compareLoad, runLoad } from "./lib/load.ts";
import { benchVars, startLocalDatabase } from "./lib/local-database.ts";
import { type DevWorker, startWranglerDev } from "./lib/wrangler-dev.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ROUTES = ["/health", "/api/panel/counts"];

const db = await startLocalDatabase();
const { pg } = db;
// The per-IP limit on public stats is measured by bench:ratelimit; here it is off so the DB read
// path is compared with the bare worker's.
await setConfig(pg.url, "rate_limit.public.stats", JSON.stringify({ enabled: false }));
const vars = benchVars(db);

const workers: DevWorker[] = [];
async function startWorker(config: string): Promise<string> {
  const worker = await startWranglerDev(config, vars);
  workers.push(worker);
  return worker.url;
}

async function cleanup() {
  await Promise.all(workers.map((w) => w.stop()));
  await db.stop();
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
    const r = await compareLoad(
      { ours: `${ours}${route}`, bare: `${bare}${route}` },
      { connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS },
    );
    const oursRps = r.ours?.rps ?? 0;
    const bareRps = r.bare?.rps ?? 0;
    console.log(
      `${route.padEnd(20)} ours ${oursRps.toFixed(0).padStart(6)} req/s  bare hono ${bareRps.toFixed(0).padStart(6)} req/s  ratio ${(oursRps / bareRps).toFixed(2)} (budget ≥ 0.80)  errors ${r.ours?.errors}/${r.bare?.errors}`,
    );
  }
} finally {
  await cleanup();
}
