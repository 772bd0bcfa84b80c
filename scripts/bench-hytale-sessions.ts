// `npm run bench:hytale-sessions`: 10,000 servers holding Hytale game sessions, through
// `wrangler dev`, the real local queues and the Neon shim, against the local sessions peer and a
// demo panel of 10,000 servers (their eggs carrying the two hidden token variables). Prints:
// (a) broker mode: the */5 sweep refreshing and re-delivering every due session (all 10,000 due
//     at once, the worst case) as a ratio to the 5-minute window, and against this run's
//     baseline (the same refresh + GET + PATCH from Node at the same concurrency);
// (b) the panel requests that used, against the panel's budget (240/min) for the window, for the
//     worst case and for the steady state (sessions live an hour: 1/12 of the fleet per window);
// (c) the 02:00 expiry sweep removing 10,000 expired rows, as a ratio to the window.
// BENCH_SERVERS changes the count.
import type { webcrypto } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { startDemoPanel } from "./demo-panel/server.ts";
import { startFakeHytaleSessions } from "./fakes/hytale-sessions.ts";
import { repoRoot } from "./lib/dev-state.ts";
import { benchVars, startLocalDatabase } from "./lib/local-database.ts";
import { type DevWorker, startWranglerDev } from "./lib/wrangler-dev.ts";

const SERVERS = Number(process.env.BENCH_SERVERS ?? 10_000);
const WINDOW_MS = 5 * 60_000;
const PANEL_BUDGET_PER_MIN = 240;
const ENCRYPTION_KEY = Buffer.from("bench-only-hytale-encryption-key").toString("base64");
const ACCOUNT = "bench-account";
const SESSION_VAR = "HYTALE_SERVER_SESSION_TOKEN";
const IDENTITY_VAR = "HYTALE_SERVER_IDENTITY_TOKEN";
const CONCURRENCY = 10;

const local = await startLocalDatabase();
const sessions = await startFakeHytaleSessions({
  ownerOf: (t) => (t.startsWith("bench-") ? t : undefined),
  owns: () => true,
});
const panel = await startDemoPanel({
  sizes: {
    servers: SERVERS,
    users: 50,
    allocations: SERVERS + 50,
    nodes: 5,
    locations: 2,
    variablesPerEgg: 3,
  },
  seed: 11,
  rateLimitPerMinute: 10_000_000,
});
const client = new pg.Client({ connectionString: local.pg.url });
await client.connect();
let worker: DevWorker | undefined;

async function seal(key: webcrypto.CryptoKey, plaintext: string, place: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(place) },
      key,
      new TextEncoder().encode(plaintext),
    ),
  );
  return `enc:v2:k1:${Buffer.concat([iv, ct]).toString("base64")}`;
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function newSession(sub: string) {
  const res = await fetch(`${sessions.url}/game-session/new`, {
    method: "POST",
    headers: { authorization: `Bearer ${sub}`, "content-type": "application/json" },
    body: JSON.stringify({ uuid: crypto.randomUUID() }),
  });
  if (!res.ok) throw new Error(`sessions peer answered ${res.status}`);
  return (await res.json()) as { sessionToken: string; identityToken: string };
}

/** Every egg's 2nd and 3rd variable become the hidden token variables. */
function hideTokenVariables() {
  const byEgg = new Map<
    number,
    { envVariable: string; userViewable: boolean; userEditable: boolean; rules: string }[]
  >();
  for (const v of panel.data.tables.eggVariables.values()) {
    const list = byEgg.get(v.eggId) ?? [];
    list.push(v);
    byEgg.set(v.eggId, list);
  }
  for (const vars of byEgg.values()) {
    for (const [v, name] of [
      [vars[1], SESSION_VAR],
      [vars[2], IDENTITY_VAR],
    ] as const) {
      if (!v) continue;
      Object.assign(v, {
        envVariable: name,
        userViewable: false,
        userEditable: false,
        rules: "nullable|string|max:4096",
      });
    }
  }
}

async function seed() {
  const key = await crypto.subtle.importKey("raw", Buffer.from(ENCRYPTION_KEY, "base64"), "AES-GCM", false, [
    "encrypt",
  ]);
  await fetch(`${sessions.url}/__account`, {
    method: "POST",
    body: JSON.stringify({ sub: "bench-access", unlimited: true }),
  });
  const list = [...panel.data.tables.servers.values()];
  const tokens: { sessionToken: string; identityToken: string }[] = new Array(list.length);
  await pool(
    list.map((_, i) => i),
    50,
    async (i) => {
      tokens[i] = await newSession("bench-access");
    },
  );
  const now = Date.now();
  for (let start = 0; start < list.length; start += 500) {
    const sv: unknown[] = [];
    const srows: string[] = [];
    const gv: unknown[] = [];
    const grows: string[] = [];
    for (let i = start; i < Math.min(start + 500, list.length); i++) {
      const s = list[i] as { id: number; uuid: string };
      const id = `bench-srv-${s.id}`;
      let n = sv.length;
      srows.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, 'offline')`);
      sv.push(id, s.uuid, s.id, `Bench ${s.id}`);
      const t = tokens[i] as { sessionToken: string; identityToken: string };
      n = gv.length;
      grows.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, 'delivered')`);
      gv.push(
        ACCOUNT,
        crypto.randomUUID(),
        id,
        await seal(key, t.sessionToken, `hytale_game_sessions.session_token:${ACCOUNT}`),
        await seal(key, t.identityToken, `hytale_game_sessions.identity_token:${ACCOUNT}`),
        // Due: 2–4 minutes left.
        new Date(now + 2 * 60_000 + (i % 120) * 1000),
      );
    }
    await client.query(
      `insert into servers (id, uuid, "pterodactylId", name, status) values ${srows.join(",")}`,
      sv,
    );
    await client.query(
      `insert into hytale_game_sessions (account_id, profile_uuid, server_id, session_token, identity_token, expires_at, delivery_status) values ${grows.join(",")}`,
      gv,
    );
  }
  await client.query(
    `insert into config (key, value) values ('hytale_session_refresh_mode', 'broker'), ('panel_requests_per_minute', '10000000')
     on conflict (key) do update set value = excluded.value`,
  );
}

/** Node alone: refresh + GET + PATCH for as many fresh sessions, CONCURRENCY at a time. */
async function baseline(): Promise<number> {
  const list = [...panel.data.tables.servers.values()];
  const tokens: string[] = [];
  await pool(
    list.map((_, i) => i),
    50,
    async (i) => {
      tokens[i] = (await newSession("bench-access")).sessionToken;
    },
  );
  const headers = {
    authorization: `Bearer ${panel.applicationKey}`,
    accept: "application/json",
    "content-type": "application/json",
    "user-agent": "bench",
  };
  const started = performance.now();
  await pool(
    list.map((s, i) => ({ id: s.id, token: tokens[i] as string })),
    CONCURRENCY,
    async ({ id, token }) => {
      const r = await fetch(`${sessions.url}/game-session/refresh`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      const t = (await r.json()) as { sessionToken: string; identityToken: string };
      const got = await fetch(`${panel.url}/api/application/servers/${id}?include=variables`, { headers });
      const body = (await got.json()) as {
        attributes: {
          egg: number;
          container: { startup_command: string; image: string };
          relationships: {
            variables: {
              data: {
                attributes: {
                  env_variable: string;
                  server_value: string | null;
                  default_value: string | null;
                };
              }[];
            };
          };
        };
      };
      const a = body.attributes;
      const environment: Record<string, string | null> = {};
      for (const { attributes: v } of a.relationships.variables.data)
        environment[v.env_variable] = v.server_value ?? v.default_value;
      environment[SESSION_VAR] = t.sessionToken;
      environment[IDENTITY_VAR] = t.identityToken;
      const p = await fetch(`${panel.url}/api/application/servers/${id}/startup`, {
        method: "PATCH",
        headers,
        body: JSON.stringify({
          startup: a.container.startup_command,
          environment,
          egg: a.egg,
          image: a.container.image,
          skip_scripts: false,
        }),
      });
      if (!p.ok) throw new Error(`baseline PATCH ${p.status}: ${await p.text()}`);
      await p.arrayBuffer();
    },
  );
  return performance.now() - started;
}

async function waitFor(query: string, done: (n: number) => boolean, label: string, started: number) {
  let last = performance.now();
  for (;;) {
    const n = (await client.query<{ n: number }>(query)).rows[0]?.n ?? 0;
    if (done(n)) return;
    if (performance.now() - last > 15_000) {
      last = performance.now();
      console.log(`  … ${label}: ${n} after ${((last - started) / 1000).toFixed(0)} s`);
    }
    if (performance.now() - started > 6 * WINDOW_MS) throw new Error(`${label}: ${n} after 30 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

try {
  const t0 = performance.now();
  hideTokenVariables();
  await seed();
  console.log(
    `bench:hytale-sessions — ${local.pg.kind} postgres; ${SERVERS} servers with due sessions seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  worker = await startWranglerDev(
    join(repoRoot, "wrangler.toml"),
    {
      ...benchVars(local),
      ENCRYPTION_KEY,
      HYTALE_OAUTH_URL: sessions.url,
      HYTALE_ACCOUNT_DATA_URL: sessions.url,
      HYTALE_SESSIONS_URL: sessions.url,
      PTERODACTYL_URL: panel.url,
      PTERODACTYL_API_KEY: panel.applicationKey,
    },
    { testScheduled: true, verbose: process.env.BENCH_VERBOSE === "1" },
  );
  panel.resetStats();
  const started = performance.now();
  const res = await fetch(`${worker.url}/__scheduled?cron=*/5+*+*+*+*`);
  if (!res.ok) throw new Error(`cron trigger answered ${res.status}`);
  await waitFor(
    `select count(*)::int as n from hytale_game_sessions where last_refreshed_at is not null and delivery_status = 'delivered'`,
    (n) => n >= SERVERS,
    "refreshed and delivered",
    started,
  );
  const ms = performance.now() - started;
  const panelRequests = panel.stats().total;
  const refreshed = sessions.stats().refreshed;
  let delivered = 0;
  for (const s of panel.data.tables.servers.values()) {
    const vars = panel.data.indexes.variablesByEgg.get(s.eggId) ?? [];
    const v = vars.find((x) => x.envVariable === SESSION_VAR);
    if (v && (s.variables.get(v.id) ?? "").split(".").length === 3) delivered++;
  }
  const baselineMs = await baseline();
  console.log(
    `broker mode: ${refreshed} sessions refreshed, ${delivered}/${SERVERS} servers hold a token on the panel, in ${(ms / 1000).toFixed(1)} s; Node alone (refresh + GET + PATCH, ${CONCURRENCY} at a time): ${(baselineMs / 1000).toFixed(1)} s (ratio ${(ms / baselineMs).toFixed(2)})`,
  );
  console.log(
    `(a) refresh + delivery of ${SERVERS} due sessions / 5-minute window → ratio ${(ms / WINDOW_MS).toFixed(3)} (budget ≤ 1.000)`,
  );
  const windowBudget = PANEL_BUDGET_PER_MIN * 5;
  console.log(
    `(b) panel requests ${panelRequests} (${(panelRequests / SERVERS).toFixed(2)} per session) vs the panel's ${windowBudget} per window → ratio ${(panelRequests / windowBudget).toFixed(2)} worst case (all due at once); steady state (1/12 of the fleet per window) ${(panelRequests / 12 / windowBudget).toFixed(2)} (fits when ≤ 1.00)`,
  );
  await client.query(`update hytale_game_sessions set expires_at = now() - interval '1 minute'`);
  const sweepStart = performance.now();
  const cron = await fetch(`${worker.url}/__scheduled?cron=0+2+*+*+*`);
  if (!cron.ok) throw new Error(`02:00 trigger answered ${cron.status}`);
  await waitFor(
    `select count(*)::int as n from hytale_game_sessions`,
    (n) => n === 0,
    "expired rows left",
    sweepStart,
  );
  const sweepMs = performance.now() - sweepStart;
  console.log(
    `(c) 02:00 expiry sweep of ${SERVERS} sessions in ${(sweepMs / 1000).toFixed(1)} s / 5-minute window → ratio ${(sweepMs / WINDOW_MS).toFixed(3)}`,
  );
} finally {
  await worker?.stop();
  await client.end();
  await sessions.close();
  await panel.close();
  await local.stop();
}
