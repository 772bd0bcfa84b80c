// `npm run bench:ratelimit`: (1) requests/s of a rate-limited route (GET /api/panel/counts under
// the per-IP `public.stats` limit, capacity raised so nothing is rejected) as a ratio to the same
// route with the limit switched off, two `wrangler dev` workers on one database, alternating
// rounds; (2) over-admission under concurrency: one e-mail from one network admits exactly its
// 10 failures; from 50 networks at once exactly the e-mail's 30 plus one per network.
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

  const attempt = async (email: string, ip: string) => {
    const res = await fetch(`${withLimit}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": ip },
      body: JSON.stringify({ email, password: "Wrong-password-1" }),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const admittedOf = (answers: number[]) => answers.filter((s) => s !== 429).length;
  // (a) one e-mail, one network: exactly its 10 failures (15 at once stays under the per-network 20).
  const one = `bench-one-${Date.now()}@example.com`;
  const a = admittedOf(await Promise.all(Array.from({ length: 15 }, () => attempt(one, "10.9.0.1"))));
  // (b) one e-mail, 50 networks at once: all admitted (30 from the e-mail's allowance, then one per
  // network); the same 50 again: exactly the 30 networks whose one attempt is still unspent.
  const many = `bench-many-${Date.now()}@example.com`;
  const nets = Array.from({ length: 50 }, (_, i) => `10.8.${Math.floor(i / 250)}.${i % 250}`);
  const b1 = admittedOf(await Promise.all(nets.map((ip) => attempt(many, ip))));
  const b2 = admittedOf(await Promise.all(nets.map((ip) => attempt(many, ip))));
  const over = a - 10 + (b1 - 50) + (b2 - 30);
  console.log(
    `over-admission: one network 15 at once → ${a} admitted (exactly 10); 50 networks → ${b1} (exactly 50), again → ${b2} (exactly 30); over-admitted ${over} (must be 0)`,
  );
  if (a !== 10 || b1 !== 50 || b2 !== 30) process.exitCode = 1;
} finally {
  await Promise.all(workers.map((w) => w.stop()));
  await db.stop();
}
