// `npm run db:adopt` against an upstream-shaped database (test/upstream/): the dry run changes
// nothing, undecided behaviour changes and duplicate data block, --apply keeps every row and
// converts what changes meaning, a second run changes nothing, and db:migrate continues from it.
// Runs on PGlite, or on system PostgreSQL with PG_BACKEND=system.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { type AdoptOptions, adopt, formatReport } from "../scripts/lib/adopt.ts";
import { applyMigrations } from "../scripts/lib/migrate.ts";
import { type PgBackend, startPostgres } from "../scripts/lib/postgres.ts";
import { workerSecrets } from "../scripts/lib/worker-secrets.ts";
import { TEST_SECRETS } from "./test-secrets.ts";
import { UPSTREAM } from "./upstream/fixture.ts";
import { createUpstreamDatabase } from "./upstream/upstream-db.ts";

const KEY = TEST_SECRETS.ENCRYPTION_KEY;
const DECIDED: AdoptOptions = {
  apply: true,
  encryptionKey: KEY,
  set: { registration_enabled: "true" },
  keep: ["discord_notifications_enabled", "sync_interval"],
};

const { decryptSecret, keyRing } = workerSecrets;
const sha256Hex = async (v: string) => createHash("sha256").update(v, "utf8").digest("hex");

let server: PgBackend;
let client: pg.Client;
const rows = async (text: string, params: unknown[] = []) => (await client.query(text, params)).rows;
const count = async (table: string) => Number((await rows(`select count(*)::int as n from ${table}`))[0].n);

/** Every upstream table's row count (what must survive the adoption). */
async function counts(): Promise<Record<string, number>> {
  const tables = await rows(
    `select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and relkind = 'r' order by relname`,
  );
  const out: Record<string, number> = {};
  for (const t of tables) out[t.relname] = await count(`"${t.relname}"`);
  return out;
}

async function freshUpstream(extra?: (c: pg.Client) => Promise<void>) {
  await client.query(
    "drop schema if exists drizzle cascade; drop schema public cascade; create schema public",
  );
  await createUpstreamDatabase(client, KEY);
  await extra?.(client);
}

before(async () => {
  server = await startPostgres();
  client = new pg.Client({ connectionString: server.url });
  await client.connect();
});
after(async () => {
  await client.end();
  await server.stop();
});

describe("db:adopt on an upstream-shaped database", () => {
  it("dry run: reports the plan and the behaviour changes, changes nothing", async () => {
    await freshUpstream();
    const before = await counts();
    const report = await adopt(client, { apply: false, encryptionKey: KEY });
    assert.equal(report.state, "upstream");
    assert.equal(report.applied, false);
    assert.ok(report.changes > 50, `changes ${report.changes}`);
    assert.deepEqual(report.behaviour.map((b) => b.key).sort(), [
      "discord_notifications_enabled",
      "registration_enabled",
      "sync_interval",
    ]);
    const text = formatReport(report, false);
    assert.match(text, /registration_enabled = "false"/);
    assert.match(text, /allocations: drop unique allocations_ip_port_key/);
    assert.match(text, /config virtfusion_api_key: plaintext → enc:v2/);
    assert.match(text, /config crowdin_personal_token: upstream AES-GCM → enc:v2/);
    assert.doesNotMatch(text, new RegExp(UPSTREAM.plaintextSecret.value));
    assert.match(text, /hytale_oauth_tokens: 2 upstream grants \(plaintext tokens\) encrypted in place/);
    assert.doesNotMatch(text, new RegExp(UPSTREAM.hytale.refreshToken));
    assert.deepEqual(await counts(), before);
    assert.equal((await rows(`select to_regclass('drizzle.__drizzle_migrations') as t`))[0].t, null);
    assert.equal((await rows(`select to_regnamespace('adopt_ref') as s`))[0].s, null);
    const [gh] = await rows(`select value from config where key = $1`, [UPSTREAM.plaintextSecret.key]);
    assert.equal(gh.value, UPSTREAM.plaintextSecret.value);
  });

  it("--apply refuses while a behaviour change is undecided", async () => {
    const report = await adopt(client, { apply: true, encryptionKey: KEY });
    assert.equal(report.applied, false);
    assert.ok(report.blockers.some((b) => /registration_enabled undecided/.test(b.what)));
    assert.equal(await count("sessions"), 2);
  });

  it("--apply keeps every row, converts what changes meaning, and records the history", async () => {
    const before = await counts();
    const report = await adopt(client, DECIDED);
    assert.equal(report.applied, true, formatReport(report, true));
    const afterCounts = await counts();
    for (const [table, n] of Object.entries(before)) {
      if (table === "sessions") continue;
      assert.equal(afterCounts[table], n, `rows of ${table}`);
    }
    assert.equal(afterCounts.sessions, 0);
    for (const t of ["refresh_tokens", "audit_logs", "api_keys", "hytale_audit_logs", "sync_quarantine"]) {
      assert.ok(t in afterCounts, `${t} created`);
    }
    // drizzle history: every migration, so db:migrate has nothing left to do
    const history = await rows(
      `select hash, created_at from drizzle.__drizzle_migrations order by created_at`,
    );
    assert.equal(history.length, report.migrations.length + 1);
    await applyMigrations(server.url);
    assert.equal(await count("drizzle.__drizzle_migrations"), history.length);

    // secrets: ours, bound to their key, same plaintext
    const ring = await keyRing({ encryptionKey: KEY });
    for (const s of [UPSTREAM.plaintextSecret, UPSTREAM.encryptedSecret]) {
      const [r] = await rows(`select value from config where key = $1`, [s.key]);
      assert.match(r.value, /^enc:v2:k1:/);
      assert.equal(await decryptSecret(ring, r.value, `config.value:${s.key}`), s.value);
    }
    // the operator's decision, and the other settings untouched
    const config = Object.fromEntries(
      (await rows(`select key, value from config`)).map((r) => [r.key, r.value]),
    );
    assert.equal(config.registration_enabled, "true");
    assert.equal(config.discord_notifications_enabled, "false");
    assert.equal(config.sync_interval, "3600");

    // raw refresh token → our hash, one family, upstream's expiry
    const [rt] = await rows(
      `select "userId", "familyId", "expiresAt" from refresh_tokens where "tokenHash" = $1`,
      [await sha256Hex(UPSTREAM.sessionToken)],
    );
    assert.equal(rt.userId, UPSTREAM.admin.id);
    assert.ok(new Date(rt.expiresAt).getTime() > Date.now() + 79 * 86_400_000);
    assert.equal(
      (
        await rows(`select 1 from refresh_tokens where "tokenHash" = $1`, [
          await sha256Hex(UPSTREAM.expiredSessionToken),
        ])
      ).length,
      0,
    );

    // game sessions: the token's exp, else upstream's 2 h rule
    const sessions = await rows(
      `select id::text, expires_at, updated_at from hytale_game_sessions order by id`,
    );
    const jwt = sessions.find((s) => s.id === UPSTREAM.gameSessionWithJwt.id);
    const opaque = sessions.find((s) => s.id === UPSTREAM.gameSessionOpaque.id);
    assert.equal(new Date(jwt.expires_at).getTime(), UPSTREAM.gameSessionWithJwt.exp * 1000);
    assert.equal(
      new Date(opaque.expires_at).getTime(),
      new Date(opaque.updated_at).getTime() + 2 * 3_600_000,
    );

    // game-session tokens: encrypted in place, bound to their column and account
    for (const s of await rows(
      `select account_id::text, session_token, identity_token from hytale_game_sessions`,
    )) {
      assert.match(s.session_token, /^enc:v2:/);
      assert.match(s.identity_token, /^enc:v2:/);
      const at = (c: string) => `hytale_game_sessions.${c}:${s.account_id}`;
      assert.match(await decryptSecret(ring, s.identity_token, at("identity_token")), /^identity-/);
      assert.ok((await decryptSecret(ring, s.session_token, at("session_token"))).length > 0);
    }

    // Hytale grants: plaintext tokens encrypted bound to their account, hash and grant start filled
    const grants = Object.fromEntries(
      (await rows(`select * from hytale_oauth_tokens`)).map((r) => [r.account_id, r]),
    );
    const linked = grants[UPSTREAM.hytale.accountId];
    assert.match(linked.access_token, /^enc:v2:/);
    assert.match(linked.refresh_token, /^enc:v2:/);
    const place = (c: string) => `hytale_oauth_tokens.${c}:${UPSTREAM.hytale.accountId}`;
    assert.equal(
      await decryptSecret(ring, linked.access_token, place("access_token")),
      UPSTREAM.hytale.accessToken,
    );
    assert.equal(
      await decryptSecret(ring, linked.refresh_token, place("refresh_token")),
      UPSTREAM.hytale.refreshToken,
    );
    await assert.rejects(decryptSecret(ring, linked.refresh_token, place("access_token")));
    assert.equal(
      linked.refresh_token_hash,
      await sha256Hex(`hytale-refresh:${UPSTREAM.hytale.refreshToken}`),
    );
    assert.equal(new Date(linked.grant_created_at).getTime(), new Date(linked.created_at).getTime());
    assert.equal(linked.needs_relink, false);
    const empty = grants[UPSTREAM.hytaleNoRefresh.accountId];
    assert.match(empty.access_token, /^enc:v2:/);
    assert.equal(empty.refresh_token, "");
    assert.equal(empty.refresh_token_hash, null);
    assert.equal(empty.needs_relink, true);

    // sync logs: text metadata → JSON objects, unfinished runs settled, times kept (UTC)
    const logs = Object.fromEntries((await rows(`select * from sync_logs`)).map((r) => [r.id, r]));
    assert.deepEqual(logs[UPSTREAM.syncLog.done].metadata, { servers: 12 });
    assert.deepEqual(logs[UPSTREAM.syncLog.empty].metadata, {});
    assert.deepEqual(logs[UPSTREAM.syncLog.prose].metadata, { text: "panel unreachable" });
    assert.deepEqual(logs[UPSTREAM.syncLog.stale].metadata, { step: "servers" });
    assert.equal(logs[UPSTREAM.syncLog.stale].status, "FAILED");
    assert.match(logs[UPSTREAM.syncLog.stale].error, /unfinished/);
    assert.equal(logs[UPSTREAM.syncLog.done].status, "COMPLETED");
    assert.equal(new Date(logs[UPSTREAM.syncLog.stale].startedAt).toISOString(), "2025-03-01T10:00:00.000Z");

    // users: NULL booleans → false, NULL username kept, bcrypt hash untouched
    const [member] = await rows(`select * from users where id = $1`, [UPSTREAM.member.id]);
    assert.equal(member.isVirtfusionAdmin, false);
    assert.equal(member.username, null);
    assert.match(member.password, /^\$2b\$/);
    // allocations: upstream's cross-node UNIQUE(ip, port) is gone, ours (per node) holds
    await client.query(
      `insert into locations (id, "shortCode") values (9102, 'up-loc-2');
       insert into nodes (id, uuid, name, fqdn, "locationId") values (9202, 'n2', 'n2', 'n2.test', 9102);
       insert into allocations (id, ip, port, "nodeId") values (990002, '10.9.9.9', 25565, 9202)`,
    );
    await assert.rejects(
      client.query(
        `insert into allocations (id, ip, port, "nodeId") values (990003, '10.9.9.9', 25565, 9202)`,
      ),
      /allocations_nodeId_ip_port_key/,
    );
    await client.query(
      `delete from allocations where id = 990002; delete from nodes where id = 9202; delete from locations where id = 9102`,
    );
  });

  it("a second run changes nothing", async () => {
    const before = await counts();
    const dry = await adopt(client, { apply: false, encryptionKey: KEY });
    assert.equal(dry.state, "managed");
    assert.equal(dry.changes, 0, formatReport(dry, false));
    const again = await adopt(client, { ...DECIDED, set: {} });
    assert.equal(again.changes, 0, formatReport(again, true));
    assert.deepEqual(await counts(), before);
  });

  it("case-variant duplicate e-mails block the adoption; nothing is applied", async () => {
    await freshUpstream(async (c) => {
      await c.query(`insert into users (id, email) values ('dup', upper($1))`, [UPSTREAM.admin.email]);
    });
    const report = await adopt(client, DECIDED);
    assert.equal(report.applied, false);
    assert.ok(
      report.blockers.some((b) => /users_email_lower_key: 1 duplicate/.test(b.what)),
      formatReport(report, true),
    );
    assert.equal((await rows(`select to_regclass('public.refresh_tokens') as t`))[0].t, null);
  });

  it("an upstream secret that does not decrypt with ENCRYPTION_KEY blocks instead of being taken as plaintext", async () => {
    await freshUpstream();
    const other = Buffer.alloc(32, 7).toString("base64");
    const report = await adopt(client, { ...DECIDED, encryptionKey: other });
    assert.equal(report.applied, false);
    assert.ok(
      report.blockers.some((b) => /crowdin_personal_token looks like upstream ciphertext/.test(b.what)),
    );
    const [r] = await rows(`select value from config where key = $1`, [UPSTREAM.encryptedSecret.key]);
    assert.doesNotMatch(r.value, /^enc:/);
  });
});
