// `npm run bench:hytale-refresh`: 10,000 linked Hytale accounts whose access tokens are due,
// refreshed by the */5 cron through `wrangler dev`, the real local queue, the HytaleGrant shard
// objects (one writer per account inside them) and the Neon shim, against the local OAuth peer. Prints (a) the time until every
// account holds a fresh token as a ratio to the cron's 5-minute window (budget ≤ 0.5), with the
// peer alone refreshing as many grants from Node (same concurrency) as this run's baseline, and
// (b) OAuth requests per account (budget 1.00). BENCH_ACCOUNTS changes the count.
import type { webcrypto } from "node:crypto";
import { loadavg } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startFakeHytaleOAuth } from "./fakes/hytale-oauth.ts";
import { repoRoot } from "./lib/dev-state.ts";
import { benchVars, startLocalDatabase } from "./lib/local-database.ts";
import { type DevWorker, startWranglerDev } from "./lib/wrangler-dev.ts";

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 10_000);
const WINDOW_MS = 5 * 60_000;
const ENCRYPTION_KEY = Buffer.from("bench-only-hytale-encryption-key").toString("base64");
const CONCURRENCY = 25;

const local = await startLocalDatabase();
const oauth = await startFakeHytaleOAuth();
const client = new pg.Client({ connectionString: local.pg.url });
await client.connect();
let worker: DevWorker | undefined;

/** src/platform/secrets.ts's bound format ("enc:v2:k1:" + base64(iv | ciphertext | tag), AAD = place). */
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

async function seedAccounts(): Promise<string[]> {
  const key = await crypto.subtle.importKey("raw", Buffer.from(ENCRYPTION_KEY, "base64"), "AES-GCM", false, [
    "encrypt",
  ]);
  const ids: string[] = [];
  const now = Date.now();
  for (let start = 0; start < ACCOUNTS; start += 1000) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let i = start; i < Math.min(start + 1000, ACCOUNTS); i++) {
      const id = `bench-${i}`;
      ids.push(id);
      const refresh = oauth.seedGrant(`hy-${i}`);
      const enc = await seal(key, refresh, `hytale_oauth_tokens.refresh_token:${id}`);
      const n = values.length;
      // Written since sharding (legacy_grant_object false): no pre-sharding object to ask.
      rows.push(`($${n + 1}, '', $${n + 2}, $${n + 3}, 1, now(), now(), false)`);
      // Due in 2 minutes: inside the cron's refresh window.
      values.push(id, enc, new Date(now + 2 * 60_000 + (i % 60) * 1000));
    }
    await client.query(
      `insert into hytale_oauth_tokens (account_id, access_token, refresh_token, access_token_expiry, grant_version, grant_created_at, last_refreshed_at, legacy_grant_object) values ${rows.join(",")}`,
      values,
    );
  }
  return ids;
}

/** The peer alone: as many refreshes from Node, CONCURRENCY at a time (fresh grants). */
async function peerOnly(): Promise<number> {
  const tokens = Array.from({ length: ACCOUNTS }, (_, i) => oauth.seedGrant(`baseline-${i}-${Date.now()}`));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < tokens.length) {
        const token = tokens[next++] as string;
        const res = await fetch(`${oauth.url}/oauth2/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            client_id: "hytale-server",
            grant_type: "refresh_token",
            refresh_token: token,
          }),
        });
        if (!res.ok) throw new Error(`baseline refresh ${res.status}`);
        await res.arrayBuffer();
      }
    }),
  );
  return performance.now() - started;
}

try {
  const t0 = performance.now();
  await seedAccounts();
  console.log(
    `bench:hytale-refresh — ${local.pg.kind} postgres; ${ACCOUNTS} due accounts seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  worker = await startWranglerDev(
    join(repoRoot, "wrangler.toml"),
    {
      ...benchVars(local),
      ENCRYPTION_KEY,
      HYTALE_OAUTH_URL: oauth.url,
      HYTALE_ACCOUNT_DATA_URL: oauth.url,
      HYTALE_SESSIONS_URL: oauth.url,
    },
    { testScheduled: true, verbose: process.env.BENCH_VERBOSE === "1" },
  );
  oauth.resetStats();
  const started = performance.now();
  const res = await fetch(`${worker.url}/__scheduled?cron=*/5+*+*+*+*`);
  if (!res.ok) throw new Error(`cron trigger answered ${res.status}`);
  let fresh = 0;
  let relink = 0;
  let lastReport = performance.now();
  while (fresh + relink < ACCOUNTS) {
    await new Promise((r) => setTimeout(r, 250));
    if (performance.now() - lastReport > 15_000) {
      lastReport = performance.now();
      console.log(
        `  … ${fresh} fresh after ${((lastReport - started) / 1000).toFixed(0)} s (${oauth.stats().refreshes} OAuth refreshes)`,
      );
    }
    const q = await client.query<{ fresh: number; relink: number }>(
      `select count(*) filter (where access_token_expiry > now() + interval '50 minutes')::int as fresh,
              count(*) filter (where needs_relink)::int as relink
         from hytale_oauth_tokens where account_id like 'bench-%'`,
    );
    fresh = q.rows[0]?.fresh ?? 0;
    relink = q.rows[0]?.relink ?? 0;
    if (performance.now() - started > 6 * WINDOW_MS)
      throw new Error(`only ${fresh}/${ACCOUNTS} refreshed after 30 minutes`);
  }
  const ms = performance.now() - started;
  const requests = oauth.stats().refreshes;
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const baselineMs = await peerOnly();
  console.log(
    `refreshed ${fresh} accounts (${relink} lost their grant) in ${(ms / 1000).toFixed(1)} s; the peer alone: ${(baselineMs / 1000).toFixed(1)} s (ratio ${(ms / baselineMs).toFixed(2)})`,
  );
  console.log(
    `(a) time to refresh all ${ACCOUNTS} / 5-minute window → ratio ${(ms / WINDOW_MS).toFixed(3)} (budget ≤ 0.500)`,
  );
  console.log(
    `(b) OAuth requests ${requests} for ${ACCOUNTS} accounts → ${(requests / ACCOUNTS).toFixed(2)} per account (budget ≤ 1.00)`,
  );
} finally {
  await worker?.stop();
  await client.end();
  await oauth.close();
  await local.stop();
}
