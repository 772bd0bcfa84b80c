// `npm run db:adopt`: takes over a database the Go backend (and the website) created. One
// transaction: the schema brought to our baseline (0000_init) by diffing against the migration
// built in a scratch schema, the baseline recorded in drizzle's history, the later migrations
// applied exactly as drizzle's migrator does, then the data whose meaning changes converted
// (secrets, raw refresh tokens, year-0001 game-session expiries, unfinished upstream sync runs),
// and finally the whole schema diffed against all migrations again: anything left aborts. A dry
// run does the same reading and rolls back; it executes no change outside the scratch schema.
// Settings upstream stored but ignored are reported; the operator decides (--set / --keep).

import { createHash } from "node:crypto";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type pg from "pg";
import { SETTINGS } from "../../src/services/settings/keys.ts";
import {
  type Blocker,
  buildReference,
  diffSchema,
  dropReference,
  JSONB_HELPER,
  type Query,
  type Step,
} from "./adopt-schema.ts";
import { migrationsFolder } from "./migrate.ts";
import { type KeyRing, workerSecrets } from "./worker-secrets.ts";

const { decryptSecret, encryptSecret, keyRing } = workerSecrets;
const sha256Hex = (v: string) => createHash("sha256").update(v, "utf8").digest("hex");

export type DatabaseState = "empty" | "upstream" | "managed";

export interface BehaviourChange {
  key: string;
  stored: string | null;
  upstream: string;
  now: string;
  /** A `--set` that keeps upstream's behaviour. */
  keepUpstream: string;
}

export interface AdoptOptions {
  apply: boolean;
  /** Settings to write (`key=value`), deciding behaviour changes. */
  set?: Record<string, string>;
  /** Behaviour changes accepted as reported (the stored value now takes effect). */
  keep?: string[];
  /** ENCRYPTION_KEY / ENCRYPTION_KEYS of the Worker (upstream's key must be ENCRYPTION_KEY). */
  encryptionKey?: string;
  encryptionKeys?: string;
  now?: Date;
}

export interface AdoptReport {
  state: DatabaseState;
  steps: Step[];
  blockers: Blocker[];
  behaviour: BehaviourChange[];
  /** Migrations run (or that would run) after the baseline. */
  migrations: string[];
  applied: boolean;
  /** Steps that change something (create, repair, data); zero on a second run. */
  changes: number;
}

const DRIZZLE = `drizzle.__drizzle_migrations`;
const UPSTREAM_GAME_SESSION_HORIZON_HOURS = 2;

interface Migration {
  tag: string;
  sql: string[];
  folderMillis: number;
  hash: string;
}

function migrations(): Migration[] {
  const files = readMigrationFiles({ migrationsFolder });
  return files.map((m, i) => ({ ...m, tag: String(i).padStart(4, "0") }));
}

function createStatements(ms: Migration[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const stmt of ms.flatMap((m) => m.sql)) {
    const m = /^\s*CREATE TABLE (?:IF NOT EXISTS )?"([^"]+)"/.exec(stmt);
    if (m?.[1]) map.set(m[1], stmt);
  }
  return map;
}

async function detect(query: Query): Promise<{ state: DatabaseState; last: number }> {
  const [r] = await query(
    `select to_regclass('public.users') is not null as users, to_regclass('${DRIZZLE}') is not null as drizzle`,
  );
  if (r?.drizzle) {
    const [m] = await query(`select max(created_at)::bigint as last, count(*)::int as n from ${DRIZZLE}`);
    if (Number(m?.n ?? 0) > 0) return { state: "managed", last: Number(m?.last) };
  }
  return { state: r?.users ? "upstream" : "empty", last: 0 };
}

async function settingText(query: Query, key: string): Promise<string | null> {
  if (!(await tableExists(query, "config"))) return null;
  const [r] = await query(`select value from config where key = $1`, [key]);
  return r ? String(r.value) : null;
}

async function tableExists(query: Query, table: string): Promise<boolean> {
  const [r] = await query(`select to_regclass($1) is not null as ok`, [`public.${table}`]);
  return Boolean(r?.ok);
}

/** Stored values upstream ignored that our code honours (reported on the first adoption only). */
async function behaviourChanges(query: Query): Promise<BehaviourChange[]> {
  const out: BehaviourChange[] = [];
  const reg = await settingText(query, "registration_enabled");
  if (reg !== null && !["true", "1", "yes"].includes(reg.trim().toLowerCase())) {
    out.push({
      key: "registration_enabled",
      stored: reg,
      upstream: "ignored: /register always created accounts",
      now: "POST /api/v1/auth/register answers 403 registration_disabled",
      keepUpstream: "registration_enabled=true",
    });
  }
  const discord = await settingText(query, "discord_notifications_enabled");
  if (discord !== null && !["true", "1", "yes"].includes(discord.trim().toLowerCase())) {
    out.push({
      key: "discord_notifications_enabled",
      stored: discord,
      upstream: "ignored: sync notices went to Discord regardless",
      now: "no Discord notice for finished syncs",
      keepUpstream: "discord_notifications_enabled=true",
    });
  }
  const auto = await settingText(query, "auto_sync_interval");
  const ui = await settingText(query, "sync_interval");
  if (ui !== null && auto === null) {
    out.push({
      key: "sync_interval",
      stored: ui,
      upstream: "ignored: the scheduler read auto_sync_interval (absent, so the env default)",
      now: `automatic syncs every ${ui} seconds`,
      keepUpstream: "auto_sync_interval=<the Go backend's AUTO_SYNC_INTERVAL, in seconds>",
    });
  }
  return out;
}

const isOursSecret = (v: string) => v === "" || v.startsWith("enc:v2:");
const looksEncrypted = (v: string) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length >= 40;

/** Config secrets not yet in our bound format: decrypted (enc:v1, upstream's, or plaintext) and re-encrypted. */
async function convertSecrets(query: Query, ring: KeyRing | undefined, steps: Step[], blockers: Blocker[]) {
  if (!(await tableExists(query, "config"))) return;
  const keys = Object.entries(SETTINGS)
    .filter(([, d]) => d.kind === "secret")
    .map(([k]) => k);
  const rows = await query(`select key, value from config where key = any($1::text[]) order by key`, [keys]);
  for (const row of rows) {
    const key = String(row.key);
    const value = String(row.value);
    if (isOursSecret(value)) continue;
    if (!ring?.primary) {
      blockers.push({
        what: `config ${key} must be re-encrypted: set ENCRYPTION_KEY (upstream's key) for db:adopt`,
      });
      continue;
    }
    let plain: string;
    try {
      plain = await decryptSecret(ring, value);
    } catch (err) {
      blockers.push({ what: `config ${key}: ${(err as Error).message}` });
      continue;
    }
    if (plain === value && looksEncrypted(value)) {
      blockers.push({
        what: `config ${key} looks like upstream ciphertext but does not decrypt with ENCRYPTION_KEY (wrong key?)`,
      });
      continue;
    }
    const sealed = await encryptSecret(ring, plain, `config.value:${key}`);
    if ((await decryptSecret(ring, sealed, `config.value:${key}`)) !== plain) {
      blockers.push({ what: `config ${key}: re-encryption did not round-trip` });
      continue;
    }
    const from = value.startsWith("enc:v1:") ? "enc:v1" : plain === value ? "plaintext" : "upstream AES-GCM";
    steps.push({
      kind: "data",
      what: `config ${key}: ${from} → enc:v2 (bound to its key)`,
      sql: [
        `UPDATE config SET value = '${sealed}', "updatedAt" = now() WHERE key = '${key.replaceAll("'", "''")}'`,
      ],
    });
  }
}

/** Upstream's raw refresh tokens (sessions.sessionToken) become our hashed tokens, one family each. */
async function convertSessions(query: Query, now: Date, steps: Step[]) {
  if (!(await tableExists(query, "sessions"))) return;
  const rows = await query(`select id, "sessionToken" as token, expires > $1 as live from sessions`, [
    now.toISOString(),
  ]);
  if (!rows.length) return;
  const live = rows.filter((r) => r.live === true);
  const sql: string[] = [];
  for (const r of live) {
    const hash = await sha256Hex(String(r.token));
    sql.push(
      `INSERT INTO refresh_tokens (id, "userId", "familyId", "tokenHash", "expiresAt", "createdAt")
       SELECT '${crypto.randomUUID()}', s."userId", '${crypto.randomUUID()}', '${hash}', s.expires, s."createdAt"
       FROM sessions s WHERE s.id = '${String(r.id).replaceAll("'", "''")}' ON CONFLICT ("tokenHash") DO NOTHING`,
    );
  }
  sql.push(`DELETE FROM sessions`);
  steps.push({
    kind: "data",
    what: `sessions: ${live.length} live upstream refresh tokens hashed into refresh_tokens (a family each), ${rows.length - live.length} expired dropped; raw tokens deleted`,
    sql,
  });
}

function jwtExp(token: string): number | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const json = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as { exp?: unknown };
    return typeof json.exp === "number" && json.exp > 0 ? json.exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Game sessions whose expires_at is upstream's year-0001 placeholder: the session token's own
 * `exp` when it is a JWT, else upstream's rule (alive until 2 h after its last refresh), so the
 * 02:00 cleanup removes only what upstream's cleanup would have.
 */
async function convertGameSessions(query: Query, steps: Step[]) {
  if (!(await tableExists(query, "hytale_game_sessions"))) return;
  const rows = await query(
    `select id::text as id, session_token, updated_at from hytale_game_sessions where expires_at < '1970-01-01'`,
  );
  if (!rows.length) return;
  let fromToken = 0;
  const sql = rows.map((r) => {
    const exp = jwtExp(String(r.session_token ?? ""));
    if (exp) fromToken++;
    const id = String(r.id);
    return exp
      ? `UPDATE hytale_game_sessions SET expires_at = '${new Date(exp * 1000).toISOString()}' WHERE id = '${id}'`
      : `UPDATE hytale_game_sessions SET expires_at = updated_at + interval '${UPSTREAM_GAME_SESSION_HORIZON_HOURS} hours' WHERE id = '${id}'`;
  });
  steps.push({
    kind: "data",
    what: `hytale_game_sessions: ${rows.length} year-0001 expiries replaced (${fromToken} from the token's exp, ${rows.length - fromToken} from upstream's 2 h rule after updated_at)`,
    sql,
  });
}

/**
 * Game-session tokens upstream kept in plaintext: encrypted in place, bound to their column and
 * account as src/services/hytale/game-sessions.ts reads them (a session keeps working: the game
 * server holds its own copy, and the backend's is what it deletes upstream at the end).
 */
async function convertGameSessionTokens(
  query: Query,
  ring: KeyRing | undefined,
  steps: Step[],
  blockers: Blocker[],
) {
  if (!(await tableExists(query, "hytale_game_sessions"))) return;
  const rows = await query(
    `select id::text as id, account_id::text as account_id, session_token, identity_token from hytale_game_sessions
     where (session_token <> '' and session_token not like 'enc:v2:%') or (identity_token <> '' and identity_token not like 'enc:v2:%')
     order by id`,
  );
  if (!rows.length) return;
  if (!ring?.primary) {
    blockers.push({
      what: `hytale_game_sessions: ${rows.length} sessions must be encrypted: set ENCRYPTION_KEY for db:adopt`,
    });
    return;
  }
  const sql: string[] = [];
  for (const r of rows) {
    const id = String(r.id);
    const sets: string[] = [];
    try {
      for (const column of ["session_token", "identity_token"] as const) {
        const stored = String(r[column] ?? "");
        if (stored === "" || stored.startsWith("enc:v2:")) continue;
        const place = `hytale_game_sessions.${column}:${String(r.account_id)}`;
        const plain = await decryptSecret(ring, stored);
        const sealed = await encryptSecret(ring, plain, place);
        if ((await decryptSecret(ring, sealed, place)) !== plain)
          throw new Error(`${place}: did not round-trip`);
        sets.push(`${column} = '${sealed}'`);
      }
    } catch (err) {
      blockers.push({ what: `hytale_game_sessions ${id}: ${(err as Error).message}` });
      continue;
    }
    sql.push(`UPDATE hytale_game_sessions SET ${sets.join(", ")} WHERE id = '${id}'`);
  }
  if (!sql.length) return;
  steps.push({
    kind: "data",
    what: `hytale_game_sessions: ${sql.length} sessions' plaintext tokens encrypted in place, bound to their account`,
    sql,
  });
}

/** Upstream runs never finished (and only PENDING/RUNNING may be active, one at a time). */
async function settleUpstreamRuns(query: Query, steps: Step[]) {
  if (!(await tableExists(query, "sync_logs"))) return;
  const [r] = await query(
    `select count(*)::int as n from sync_logs where status not in ('COMPLETED', 'FAILED', 'CANCELLED')`,
  );
  const n = Number(r?.n ?? 0);
  if (!n) return;
  steps.push({
    kind: "data",
    what: `sync_logs: ${n} upstream runs not in COMPLETED/FAILED/CANCELLED settled (upper-cased, cancelling → CANCELLED, unfinished → FAILED)`,
    sql: [
      `UPDATE sync_logs SET
         error = CASE WHEN upper(status) IN ('COMPLETED', 'FAILED', 'CANCELLED', 'CANCELLING') THEN error
                      ELSE coalesce(error, 'unfinished when the database was adopted from the Go backend') END,
         status = CASE WHEN upper(status) IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN upper(status)
                       WHEN upper(status) = 'CANCELLING' THEN 'CANCELLED' ELSE 'FAILED' END
       WHERE status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')`,
    ],
  });
}

/** Run metadata must be a JSON object (runs merge into it): JSON text in a string is parsed, anything else wrapped. */
async function normalizeSyncMetadata(query: Query, steps: Step[]) {
  if (!(await tableExists(query, "sync_logs"))) return;
  const [t] = await query(
    `select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'public.sync_logs'::regclass and attname = 'metadata'`,
  );
  if (t?.type !== "jsonb") return;
  const [r] = await query(
    `select count(*)::int as n from sync_logs where metadata is not null and jsonb_typeof(metadata) <> 'object'`,
  );
  const n = Number(r?.n ?? 0);
  if (!n) return;
  steps.push({
    kind: "data",
    what: `sync_logs.metadata: ${n} values that are not a JSON object (JSON text in a string parsed, others kept under "value")`,
    sql: [
      `UPDATE sync_logs SET metadata = CASE
         WHEN jsonb_typeof(metadata) = 'string' AND jsonb_typeof(pg_temp.adopt_jsonb(metadata #>> '{}')) = 'object'
           THEN pg_temp.adopt_jsonb(metadata #>> '{}')
         ELSE jsonb_build_object('value', metadata) END
       WHERE metadata IS NOT NULL AND jsonb_typeof(metadata) <> 'object'`,
    ],
  });
}

/**
 * Hytale grants upstream kept in plaintext (or in another format than ours): re-encrypted bound to
 * their row, as the HytaleGrant object reads them (src/services/hytale/grant-record.ts). The object
 * of an account that has never held its grant starts from this row, so the adopted refresh token is
 * the one it presents next: nobody re-links. Also filled: the SHA-256 by which the documented
 * `{refresh_token}` client finds its account (upstream returned refresh tokens to callers), and the
 * grant's start (its ~30-day lifetime counts from the device flow: upstream's `created_at`).
 */
async function convertHytaleTokens(
  query: Query,
  ring: KeyRing | undefined,
  steps: Step[],
  blockers: Blocker[],
) {
  if (!(await tableExists(query, "hytale_oauth_tokens"))) return;
  const rows = await query(
    `select id::text as id, account_id::text as account_id, access_token, refresh_token from hytale_oauth_tokens
     where access_token not like 'enc:v2:%' or (refresh_token <> '' and refresh_token not like 'enc:v2:%')
     order by id`,
  );
  if (!rows.length) return;
  if (!ring?.primary) {
    blockers.push({
      what: `hytale_oauth_tokens: ${rows.length} grants must be encrypted: set ENCRYPTION_KEY for db:adopt`,
    });
    return;
  }
  const sql: string[] = [];
  const hashes = new Set<string>();
  for (const r of rows) {
    const id = String(r.id);
    const account = String(r.account_id);
    const seal = async (column: "access_token" | "refresh_token", stored: string) => {
      const place = `hytale_oauth_tokens.${column}:${account}`;
      const plain = await decryptSecret(ring, stored, stored.startsWith("enc:v2:") ? place : undefined);
      const sealed = await encryptSecret(ring, plain, place);
      if ((await decryptSecret(ring, sealed, place)) !== plain)
        throw new Error(`${place}: did not round-trip`);
      return { plain, sealed };
    };
    let access: { plain: string; sealed: string };
    let refresh: { plain: string; sealed: string };
    try {
      access = await seal("access_token", String(r.access_token ?? ""));
      refresh = await seal("refresh_token", String(r.refresh_token ?? ""));
    } catch (err) {
      blockers.push({ what: `hytale_oauth_tokens ${id}: ${(err as Error).message}` });
      continue;
    }
    const hash = refresh.plain ? sha256Hex(`hytale-refresh:${refresh.plain}`) : null;
    if (hash && hashes.has(hash)) {
      blockers.push({ what: `hytale_oauth_tokens ${id}: the same refresh token as another account` });
      continue;
    }
    if (hash) hashes.add(hash);
    sql.push(
      `UPDATE hytale_oauth_tokens SET access_token = '${access.sealed}', refresh_token = '${refresh.sealed}',
         refresh_token_hash = ${hash ? `'${hash}'` : "NULL"}, grant_created_at = coalesce(grant_created_at, created_at),
         needs_relink = needs_relink OR ${refresh.plain ? "false" : "true"}, updated_at = now()
       WHERE id = '${id}'`,
    );
  }
  if (!sql.length) return;
  steps.push({
    kind: "data",
    what: `hytale_oauth_tokens: ${sql.length} upstream grants (plaintext tokens) encrypted in place, bound to their account; their refresh tokens stay valid (no re-link)`,
    sql,
  });
}

async function run(query: Query, steps: Step[]) {
  for (const s of steps) for (const stmt of s.sql) await query(stmt);
}

function recordMigration(m: Migration): string {
  return `INSERT INTO ${DRIZZLE} (hash, created_at) VALUES ('${m.hash}', ${m.folderMillis})`;
}

const DRIZZLE_TABLE = [
  `CREATE SCHEMA IF NOT EXISTS drizzle`,
  `CREATE TABLE IF NOT EXISTS ${DRIZZLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
];

/**
 * Plans and (with apply) performs the adoption in ONE transaction on `client`. Without apply the
 * transaction is rolled back; with blockers or undecided behaviour changes nothing is applied.
 */
export async function adopt(client: pg.Client, opts: AdoptOptions): Promise<AdoptReport> {
  const query: Query = async (text, params) => (await client.query(text, params)).rows;
  const now = opts.now ?? new Date();
  const ring =
    opts.encryptionKey || opts.encryptionKeys
      ? await keyRing({ encryptionKey: opts.encryptionKey, encryptionKeys: opts.encryptionKeys })
      : undefined;
  const all = migrations();
  const creates = createStatements(all);
  await client.query("SET client_min_messages TO warning");
  await client.query("BEGIN");
  try {
    await query(JSONB_HELPER);
    const { state, last } = await detect(query);
    const report: AdoptReport = {
      state,
      steps: [],
      blockers: [],
      behaviour: [],
      migrations: [],
      applied: false,
      changes: 0,
    };
    if (state === "empty") {
      await client.query("ROLLBACK");
      return report;
    }
    const done = state === "managed" ? all.filter((m) => m.folderMillis <= last) : all.slice(0, 1);
    const pending = all.filter((m) => !done.includes(m));
    // 1. the schema as far as the recorded (or baseline) migrations go
    await buildReference(
      query,
      done.flatMap((m) => m.sql),
    );
    const settle: Step[] = [];
    if (state === "upstream") await settleUpstreamRuns(query, settle);
    const diff = await diffSchema(query, creates);
    await dropReference(query);
    report.steps.push(...settle, ...diff.steps);
    report.blockers.push(...diff.blockers);
    if (state === "upstream") report.behaviour = await behaviourChanges(query);
    report.migrations = pending.map((m) => m.tag);

    const undecided = report.behaviour.filter(
      (b) => !opts.keep?.includes(b.key) && opts.set?.[b.key] === undefined,
    );
    if (opts.apply) {
      for (const b of undecided)
        report.blockers.push({ what: `behaviour change ${b.key} undecided (--keep or --set)` });
    }
    const mayApply = opts.apply && report.blockers.length === 0;
    if (mayApply) {
      await run(query, settle);
      await run(query, diff.steps);
      if (state === "upstream") {
        for (const stmt of DRIZZLE_TABLE) await query(stmt);
        await query(recordMigration(all[0] as Migration));
      }
      // 2. the later migrations, as drizzle's migrator runs them
      for (const m of pending) {
        for (const stmt of m.sql) await query(stmt);
        await query(recordMigration(m));
      }
    }
    // 3. data conversions (planned against the migrated schema when applying)
    const data: Step[] = [];
    await convertSecrets(query, ring, data, report.blockers);
    await convertSessions(query, now, data);
    await convertGameSessions(query, data);
    await convertGameSessionTokens(query, ring, data, report.blockers);
    await normalizeSyncMetadata(query, data);
    await convertHytaleTokens(query, ring, data, report.blockers);
    for (const [key, value] of Object.entries(opts.set ?? {})) {
      data.push({
        kind: "data",
        what: `config ${key} = ${SETTINGS[key as keyof typeof SETTINGS]?.kind === "secret" ? "(secret)" : value} (--set)`,
        sql: [
          `INSERT INTO config (key, value, "updatedAt") VALUES ('${key.replaceAll("'", "''")}', '${value.replaceAll("'", "''")}', now())
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, "updatedAt" = now()`,
        ],
      });
    }
    report.steps.push(...data);
    report.changes =
      report.steps.filter((s) => s.kind !== "keep" && s.sql.length > 0).length + report.migrations.length;
    if (!mayApply || report.blockers.length) {
      await client.query("ROLLBACK");
      return report;
    }
    await run(query, data);
    // 4. everything must now be what all migrations build
    await buildReference(
      query,
      all.flatMap((m) => m.sql),
    );
    const after = await diffSchema(query, creates);
    await dropReference(query);
    const left = after.steps.filter((s) => s.kind !== "keep");
    if (left.length || after.blockers.length) {
      throw new Error(
        `adoption left differences, rolled back: ${[...left.map((s) => s.what), ...after.blockers.map((b) => b.what)].join("; ")}`,
      );
    }
    await client.query("COMMIT");
    report.applied = true;
    return report;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

export function formatReport(r: AdoptReport, apply: boolean): string {
  const lines: string[] = [];
  const label: Record<DatabaseState, string> = {
    empty: "no users table: nothing to adopt (run npm run db:migrate)",
    upstream: "created by the Go backend / website (no migration history)",
    managed: "already managed by our migrations",
  };
  lines.push(`database: ${label[r.state]}`);
  const changing = r.steps.filter((s) => s.kind !== "keep");
  const kept = r.steps.filter((s) => s.kind === "keep");
  if (changing.length) {
    lines.push("", apply && r.applied ? "done:" : "plan:");
    for (const s of changing) lines.push(`  [${s.kind}] ${s.what}`);
  }
  if (r.migrations.length) lines.push("", `migrations after the baseline: ${r.migrations.join(", ")}`);
  if (kept.length) {
    lines.push("", `kept as they are (${kept.length}, not part of our schema):`);
    for (const s of kept) lines.push(`  ${s.what}`);
  }
  if (r.behaviour.length) {
    lines.push("", "behaviour changes (decide each with --keep KEY or --set KEY=VALUE):");
    for (const b of r.behaviour) {
      lines.push(`  ${b.key} = ${JSON.stringify(b.stored)}`);
      lines.push(`    upstream: ${b.upstream}`);
      lines.push(`    now:      ${b.now}`);
      lines.push(
        `    keep upstream's behaviour: --set ${b.keepUpstream}; enforce the stored value: --keep ${b.key}`,
      );
    }
  }
  if (r.blockers.length) {
    lines.push("", "blockers (nothing is applied until these are resolved):");
    for (const b of r.blockers) lines.push(`  ${b.what}`);
  }
  lines.push("");
  if (r.applied) lines.push(`applied: ${r.changes} changes in one transaction.`);
  else if (r.changes === 0 && !r.blockers.length) lines.push("no changes needed.");
  else if (apply) lines.push("NOT applied.");
  else lines.push(`dry run: ${r.changes} changes planned; run with --apply to perform them.`);
  return lines.join("\n");
}
