// `npm run bench:hytale-sessions`: 10,000 servers holding Hytale game sessions, through
// `wrangler dev`, the real local queues and the Neon shim, against the local sessions peer and a
// demo panel of 10,000 servers (their eggs carrying the two hidden token variables), broker mode.
//
// BENCH_SCENARIO=steady (default): the sessions' expiries spread uniformly over their lifetime
// (the peer's 1 h), so one */5 sweep finds ≈ 1/12 of the fleet due. The panel and our shared
// panel budget run at the panel's real 240 requests/min. Prints the time to refresh and deliver
// every due session as a ratio to the 5-minute window, the panel requests that used against the
// panel's 1,200 per window (and what is left for the sync), requests per session, sessions lost.
// BENCH_SCENARIO=burst: every session due at once, budget unthrottled (to measure throughput);
// prints how many windows delivery would need at the budget's pace (arithmetic).
// Both: a baseline (Node alone doing refresh + list read + PATCH for as many sessions, on a second
// demo panel) and the 02:00 expiry sweep of every row. BENCH_SERVERS changes the count.
import { execSync } from "node:child_process";
import type { webcrypto } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { startDemoPanel } from "./demo-panel/server.ts";
import { startFakeHytaleSessions } from "./fakes/hytale-sessions.ts";
import { repoRoot } from "./lib/dev-state.ts";
import { benchVars, startLocalDatabase } from "./lib/local-database.ts";
import { type DevWorker, startWranglerDev } from "./lib/wrangler-dev.ts";

const SCENARIO = process.env.BENCH_SCENARIO === "burst" ? "burst" : "steady";
const SERVERS = Number(process.env.BENCH_SERVERS ?? 10_000);
const WINDOW_MS = 5 * 60_000;
/** The peer's session lifetime (the fake's default, as Hytale's). */
const LIFETIME_S = 3600;
const PANEL_BUDGET_PER_MIN = 240;
const WINDOW_BUDGET = PANEL_BUDGET_PER_MIN * 5;
const UNTHROTTLED = 10_000_000;
const PER_MIN = SCENARIO === "steady" ? PANEL_BUDGET_PER_MIN : UNTHROTTLED;
const ENCRYPTION_KEY = Buffer.from("bench-only-hytale-encryption-key").toString("base64");
const ACCOUNT = "bench-account";
const SESSION_VAR = "HYTALE_SERVER_SESSION_TOKEN";
const IDENTITY_VAR = "HYTALE_SERVER_IDENTITY_TOKEN";
const CONCURRENCY = 10;

const uptime = () => execSync("uptime").toString().trim();
const local = await startLocalDatabase();
const sessions = await startFakeHytaleSessions({
  ownerOf: (t) => (t.startsWith("bench-") ? t : undefined),
  owns: () => true,
  sessionTtl: LIFETIME_S,
});
const sizes = {
  servers: SERVERS,
  users: 50,
  allocations: SERVERS + 50,
  nodes: 5,
  locations: 2,
  variablesPerEgg: 3,
};
const panel = await startDemoPanel({ sizes, seed: 11, rateLimitPerMinute: PER_MIN });
const client = new pg.Client({ connectionString: local.pg.url });
await client.connect();
let worker: DevWorker | undefined;

const place = (column: string) => `hytale_game_sessions.${column}:${ACCOUNT}`;
async function aesKey(): Promise<webcrypto.CryptoKey> {
  return crypto.subtle.importKey("raw", Buffer.from(ENCRYPTION_KEY, "base64"), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
}
async function seal(key: webcrypto.CryptoKey, plaintext: string, where: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(where) },
      key,
      new TextEncoder().encode(plaintext),
    ),
  );
  return `enc:v2:k1:${Buffer.concat([iv, ct]).toString("base64")}`;
}
async function open(key: webcrypto.CryptoKey, sealed: string, where: string): Promise<string> {
  const raw = Buffer.from(sealed.split(":")[3] ?? "", "base64");
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: raw.subarray(0, 12), additionalData: new TextEncoder().encode(where) },
    key,
    raw.subarray(12),
  );
  return new TextDecoder().decode(pt);
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
function hideTokenVariables(p: typeof panel) {
  const byEgg = new Map<
    number,
    { envVariable: string; userViewable: boolean; userEditable: boolean; rules: string }[]
  >();
  for (const v of p.data.tables.eggVariables.values()) {
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
  const key = await aesKey();
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
  const later = new Date(Date.now() + LIFETIME_S * 1000);
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
        await seal(key, t.sessionToken, place("session_token")),
        await seal(key, t.identityToken, place("identity_token")),
        later, // set per scenario just before the cron fires
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
    `insert into config (key, value) values ('hytale_session_refresh_mode', 'broker'), ('panel_requests_per_minute', $1)
     on conflict (key) do update set value = excluded.value`,
    [String(PER_MIN)],
  );
}

/** Expiries as the scenario wants them, relative to now; returns the ids the sweep will find due. */
async function setExpiries(): Promise<string[]> {
  if (SCENARIO === "steady") {
    // Uniform over the lifetime: server k of N expires k/N of an hour from now (plus the few
    // seconds until the sweep runs: a session with less left was due at the previous sweep).
    await client.query(`
      update hytale_game_sessions g set expires_at = now() + interval '5 seconds' + ((r.rn - 0.5) / r.n) * interval '${LIFETIME_S} seconds'
      from (select id, row_number() over (order by server_id) as rn, count(*) over () as n from hytale_game_sessions) r
      where r.id = g.id`);
  } else {
    // All due: 2–4 minutes left.
    await client.query(`
      update hytale_game_sessions g set expires_at = now() + interval '2 minutes' + (r.rn % 120) * interval '1 second'
      from (select id, row_number() over (order by server_id) as rn from hytale_game_sessions) r
      where r.id = g.id`);
  }
  const due = await client.query<{ id: string }>(
    `select id from hytale_game_sessions where expires_at < now() + interval '5 minutes'`,
  );
  return due.rows.map((r) => r.id);
}

/** Node alone, on a panel of its own (unthrottled): refresh + one list read per 100 + PATCH. */
async function baseline(count: number): Promise<number> {
  const own = await startDemoPanel({ sizes, seed: 11, rateLimitPerMinute: UNTHROTTLED });
  try {
    hideTokenVariables(own);
    const list = [...own.data.tables.servers.values()].slice(0, count);
    const tokens: string[] = [];
    await pool(
      list.map((_, i) => i),
      50,
      async (i) => {
        tokens[i] = (await newSession("bench-access")).sessionToken;
      },
    );
    const headers = {
      authorization: `Bearer ${own.applicationKey}`,
      accept: "application/json",
      "content-type": "application/json",
      "user-agent": "bench",
    };
    type Attrs = {
      id: number;
      uuid: string;
      egg: number;
      container: { startup_command: string; image: string };
      relationships: {
        variables: {
          data: {
            attributes: { env_variable: string; server_value: string | null; default_value: string | null };
          }[];
        };
      };
    };
    const started = performance.now();
    const chunks: number[][] = [];
    for (let i = 0; i < list.length; i += 100) chunks.push(list.slice(i, i + 100).map((_, j) => i + j));
    await pool(chunks, Math.max(1, Math.ceil(CONCURRENCY / 10)), async (chunk) => {
      const fresh = new Map<number, { sessionToken: string; identityToken: string }>();
      await pool(chunk, CONCURRENCY, async (i) => {
        const r = await fetch(`${sessions.url}/game-session/refresh`, {
          method: "POST",
          headers: { authorization: `Bearer ${tokens[i]}` },
        });
        fresh.set(i, (await r.json()) as { sessionToken: string; identityToken: string });
      });
      const filter = chunk.map((i) => list[i]?.uuid).join(",");
      const got = await fetch(
        `${own.url}/api/application/servers?filter[uuid]=${filter}&include=variables&per_page=100`,
        { headers },
      );
      const byUuid = new Map(
        ((await got.json()) as { data: { attributes: Attrs }[] }).data.map((d) => [d.attributes.uuid, d]),
      );
      await pool(chunk, CONCURRENCY, async (i) => {
        const a = byUuid.get(list[i]?.uuid ?? "")?.attributes;
        const t = fresh.get(i);
        if (!a || !t) throw new Error("baseline: server or tokens missing");
        const environment: Record<string, string | null> = {};
        for (const { attributes: v } of a.relationships.variables.data)
          environment[v.env_variable] = v.server_value ?? v.default_value;
        environment[SESSION_VAR] = t.sessionToken;
        environment[IDENTITY_VAR] = t.identityToken;
        const p = await fetch(`${own.url}/api/application/servers/${a.id}/startup`, {
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
      });
    });
    return performance.now() - started;
  } finally {
    await own.close();
  }
}

/** Polls until `done`; false (not an exception) when the guard ran out, so the figures still print. */
async function waitFor(
  query: string,
  params: unknown[],
  done: (n: number) => boolean,
  label: string,
  started: number,
  guardMs: number,
  tick?: () => Promise<void>,
): Promise<boolean> {
  let last = performance.now();
  for (;;) {
    await tick?.();
    const n = (await client.query<{ n: number }>(query, params)).rows[0]?.n ?? 0;
    if (done(n)) return true;
    if (performance.now() - last > 15_000) {
      last = performance.now();
      console.log(`  … ${label}: ${n} after ${((last - started) / 1000).toFixed(0)} s`);
    }
    if (performance.now() - started > guardMs) {
      console.log(`  ! ${label}: ${n} when the ${guardMs / 1000} s guard stopped the wait`);
      return false;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Due sessions that are gone for good: row ended/removed, or its token no longer current upstream. */
async function lostAndDelivered(dueIds: string[]) {
  const key = await aesKey();
  const rows = await client.query<{ id: string; server_id: string; session_token: string; ended: boolean }>(
    `select id, server_id, session_token, ended_at is not null as ended from hytale_game_sessions where id = any($1)`,
    [dueIds],
  );
  const byServer = new Map<number, { envVariable: string; id: number }[]>();
  for (const v of panel.data.tables.eggVariables.values()) {
    const l = byServer.get(v.eggId) ?? [];
    l.push(v);
    byServer.set(v.eggId, l);
  }
  let lost = dueIds.length - rows.rows.length;
  let delivered = 0;
  for (const r of rows.rows) {
    const token = await open(key, r.session_token, place("session_token"));
    if (r.ended || !sessions.isCurrent(token)) lost++;
    const s = panel.data.tables.servers.get(Number(r.server_id.replace("bench-srv-", "")));
    const v = s && (byServer.get(s.eggId) ?? []).find((x) => x.envVariable === SESSION_VAR);
    if (s && v && s.variables.get(v.id) === token) delivered++;
  }
  return { lost, delivered };
}

async function diagnostics(dueIds: string[]) {
  const states = await client.query<{ state: string; n: number }>(
    `select case when ended_at is not null then 'ended'
                 when last_refreshed_at is null then 'not refreshed'
                 else 'refreshed, ' || delivery_status end as state, count(*)::int as n
     from hytale_game_sessions where id = any($1) group by 1 order by 1`,
    [dueIds],
  );
  const dead = await client.query<{ job: string; n: number }>(
    `select "jobType" as job, count(*)::int as n from dead_jobs group by 1`,
  );
  return {
    states: Object.fromEntries(states.rows.map((r) => [r.state, r.n])),
    deadJobs: Object.fromEntries(dead.rows.map((r) => [r.job, r.n])),
  };
}

try {
  const t0 = performance.now();
  console.log(`bench:hytale-sessions (${SCENARIO}) — start: ${uptime()}`);
  hideTokenVariables(panel);
  await seed();
  console.log(
    `${local.pg.kind} postgres; ${SERVERS} servers with sessions seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s; panel and panel budget at ${PER_MIN === UNTHROTTLED ? "no limit" : `${PER_MIN}/min`}`,
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
  const dueIds = await setExpiries();
  panel.resetStats();
  panel.resetRateLimits();
  const refreshedBefore = sessions.stats().refreshed;
  const started = performance.now();
  let crons = 0;
  const res = await fetch(`${worker.url}/__scheduled?cron=*/5+*+*+*+*`);
  if (!res.ok) throw new Error(`cron trigger answered ${res.status}`);
  const finished = await waitFor(
    `select count(*)::int as n from hytale_game_sessions where id = any($1) and last_refreshed_at is not null and delivery_status = 'delivered'`,
    [dueIds],
    (n) => n >= dueIds.length,
    "due sessions refreshed and delivered",
    started,
    (SCENARIO === "steady" ? 3 : 6) * WINDOW_MS,
    // The */5 cron fires again every 5 minutes, as in production (its sweep re-queues failures).
    async () => {
      if (performance.now() - started < WINDOW_MS * (crons + 1)) return;
      crons++;
      console.log(`  … */5 cron again at ${((performance.now() - started) / 1000).toFixed(0)} s`);
      const again = await fetch(`${worker?.url}/__scheduled?cron=*/5+*+*+*+*`);
      await again.arrayBuffer();
    },
  );
  const ms = performance.now() - started;
  const stats = panel.stats();
  const panelRequests = stats.total;
  const refreshed = sessions.stats().refreshed - refreshedBefore;
  const { lost, delivered } = await lostAndDelivered(dueIds);
  const diag = await diagnostics(dueIds);
  const perSession = panelRequests / Math.max(1, delivered);
  console.log(`end of the round: ${uptime()}`);
  console.log(
    `broker mode, ${SCENARIO}: ${dueIds.length} of ${SERVERS} sessions due (${((dueIds.length / SERVERS) * 100).toFixed(1)} %); ${refreshed} refreshed upstream, ${delivered}/${dueIds.length} servers hold their current token, ${finished ? "all" : "NOT all"} in ${(ms / 1000).toFixed(1)} s; states ${JSON.stringify(diag.states)}, dead jobs ${JSON.stringify(diag.deadJobs)}`,
  );
  console.log(
    `(a) refresh + delivery of the due sessions / 5-minute window → ratio ${(ms / WINDOW_MS).toFixed(3)} (budget ≤ 1.000)${SCENARIO === "steady" ? ", paced by the 240/min panel budget" : ", unthrottled"}`,
  );
  const rl = stats.byStatus[429] ?? 0;
  console.log(
    `(b) panel requests ${panelRequests} (${rl} answered 429) = ${perSession.toFixed(3)} per delivered session; per 5-minute window the panel allows ${WINDOW_BUDGET}`,
  );
  if (SCENARIO === "steady") {
    console.log(
      `    steady state: ${panelRequests} / ${WINDOW_BUDGET} → ratio ${(panelRequests / WINDOW_BUDGET).toFixed(3)} (must be ≤ 1); left for the sync in that window: ${WINDOW_BUDGET - panelRequests}`,
    );
  } else {
    const windows = panelRequests / WINDOW_BUDGET;
    console.log(
      `    burst (arithmetic from the measured requests): ${panelRequests} requests at ${PANEL_BUDGET_PER_MIN}/min need ${windows.toFixed(2)} windows (${((panelRequests / PANEL_BUDGET_PER_MIN) * 1).toFixed(1)} min) with nothing left for the sync`,
    );
  }
  console.log(`(d) sessions lost: ${lost} (must be 0)`);
  const baselineMs = await baseline(dueIds.length);
  console.log(
    `baseline: Node alone (refresh + list read per 100 + PATCH, ${CONCURRENCY} at a time, unthrottled) for ${dueIds.length}: ${(baselineMs / 1000).toFixed(1)} s (ratio ${(ms / baselineMs).toFixed(2)})`,
  );
  await client.query(`update hytale_game_sessions set expires_at = now() - interval '1 minute'`);
  const sweepStart = performance.now();
  const cron = await fetch(`${worker.url}/__scheduled?cron=0+2+*+*+*`);
  if (!cron.ok) throw new Error(`02:00 trigger answered ${cron.status}`);
  await waitFor(
    `select count(*)::int as n from hytale_game_sessions`,
    [],
    (n) => n === 0,
    "expired rows left",
    sweepStart,
    6 * WINDOW_MS,
  );
  const sweepMs = performance.now() - sweepStart;
  console.log(
    `(c) 02:00 expiry sweep of ${SERVERS} sessions in ${(sweepMs / 1000).toFixed(1)} s / 5-minute window → ratio ${(sweepMs / WINDOW_MS).toFixed(3)}`,
  );
  console.log(`end: ${uptime()}`);
} finally {
  await worker?.stop();
  await client.end();
  await sessions.close();
  await panel.close();
  await local.stop();
}
