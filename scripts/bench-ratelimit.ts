// `npm run bench:ratelimit`: (1) requests/s of a rate-limited route (GET /api/panel/counts under
// the per-IP `public.stats` limit, capacity raised so nothing is rejected) as a ratio to the same
// route with the limit switched off, two `wrangler dev` workers on one database, alternating
// rounds; (2) over-admission: 50 concurrent logins for one e-mail must admit exactly capacity (10).
import { join } from "node:path";
import { setConfig } from "./lib/config-rows.ts";
import { repoRoot } from "./lib/dev-state.ts";
import { compareLoad } from "./lib/load.ts";
import { benchVars, startLocalDatabase } from "./lib/local-database.ts";
import { type DevWorker, startWranglerDev } from "./lib/wrangler-dev.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ROUTE = "/api/panel/counts";
const KEY = "rate_limit.public.stats";

const db = await startLocalDatabase();
const { pg } = db;
const vars = benchVars(db);
const workers: DevWorker[] = [];
const config = join(repoRoot, "wrangler.toml");

/** Each worker caches the override for 30 s from its first request, so warm it right after setting it. */
async function workerWith(override: object): Promise<string> {
  await setConfig(pg.url, KEY, JSON.stringify(override));
  const w = await startWranglerDev(config, vars);
  workers.push(w);
  await (await fetch(`${w.url}${ROUTE}`)).arrayBuffer();
  return w.url;
}

async function limited(url: string): Promise<boolean> {
  const res = await fetch(`${url}${ROUTE}`);
  await res.arrayBuffer();
  return res.headers.get("x-ratelimit-limit") !== null;
}

try {
  const withLimit = await workerWith({ capacity: 1_000_000_000, periodSeconds: 60 });
  const without = await workerWith({ enabled: false });
  if (!(await limited(withLimit)) || (await limited(without)))
    throw new Error("workers did not pick up their limit settings");

  const r = await compareLoad(
    { limited: `${withLimit}${ROUTE}`, unlimited: `${without}${ROUTE}` },
    { connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS },
  );
  if (!(await limited(withLimit)) || (await limited(without)))
    throw new Error("limit settings changed during the run");
  const rl = r.limited?.rps ?? 0;
  const un = r.unlimited?.rps ?? 0;
  console.log(
    `bench:ratelimit — ${pg.kind} postgres, ${CONNECTIONS} connections, ${SECONDS}s × ${ROUNDS} rounds`,
  );
  console.log(
    `${ROUTE} limited ${rl.toFixed(0)} req/s, unlimited ${un.toFixed(0)} req/s, ratio ${(rl / un).toFixed(2)} (budget ≥ 0.50); errors ${r.limited?.errors}/${r.unlimited?.errors}`,
  );

  const email = `bench-${Date.now()}@example.com`;
  const answers = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const res = await fetch(`${withLimit}/api/v1/auth/login`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "cf-connecting-ip": `10.9.${Math.floor(i / 250)}.${i % 250}`,
        },
        body: JSON.stringify({ email, password: "Wrong-password-1" }),
      });
      await res.arrayBuffer();
      return res.status;
    }),
  );
  const admitted = answers.filter((s) => s !== 429).length;
  console.log(
    `over-admission: 50 concurrent logins for one e-mail → ${admitted} admitted, capacity 10 → over-admitted ${admitted - 10} (must be 0)`,
  );
  if (admitted !== 10) process.exitCode = 1;
} finally {
  await Promise.all(workers.map((w) => w.stop()));
  await db.stop();
}
