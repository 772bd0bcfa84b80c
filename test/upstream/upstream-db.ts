// Builds an upstream-shaped database (Node): the Go backend's schema (upstream-schema.sql) and
// rows as upstream and the website write them — text metadata, plaintext and upstream-encrypted
// secrets in `config`, year-0001 game-session expiries, raw refresh tokens in `sessions`, users
// with NULL usernames and NULL booleans, settings saved as `false` by upstream's settings page.
import { readFileSync } from "node:fs";
import bcrypt from "bcryptjs";
import type pg from "pg";
import { UPSTREAM } from "./fixture.ts";

const schemaSql = readFileSync(new URL("./upstream-schema.sql", import.meta.url), "utf8");

/** Upstream's format (§4.4): base64(nonce ‖ AES-256-GCM ciphertext ‖ tag), no prefix, no AAD. */
export async function upstreamEncrypt(keyB64: string, plaintext: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", Buffer.from(keyB64, "base64"), "AES-GCM", false, [
    "encrypt",
  ]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext)),
  );
  return Buffer.concat([iv, ct]).toString("base64");
}

function fakeJwt(exp: number): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "EdDSA", typ: "JWT" })}.${part({ sub: "profile", exp })}.c2lnbmF0dXJl`;
}

export async function createUpstreamDatabase(client: pg.Client, encryptionKey: string): Promise<void> {
  await client.query("SET client_min_messages TO warning");
  await client.query(schemaSql);
  const hash = (await bcrypt.hash(UPSTREAM.password, 4)).replace(/^\$2a\$/, "$2b$");
  const u = UPSTREAM;
  const day = 24 * 60 * 60 * 1000;
  const inDays = (n: number) =>
    new Date(Date.now() + n * day).toISOString().replace("T", " ").replace("Z", "");
  await client.query(
    `insert into users (id, email, password, username, roles, "isSystemAdmin", "emailVerified", "createdAt") values
       ($1, $2, $3, $4, '{MEMBER,SUPER_ADMIN}', true, '2025-01-02 03:04:05', '2025-01-01 00:00:00')`,
    [u.admin.id, u.admin.email, hash, u.admin.username],
  );
  await client.query(
    `insert into users (id, email, password, username, "isVirtfusionAdmin", "isMigrated", "emailVerified", "accountBalance")
     values ($1, $2, $3, null, null, null, '2025-02-03 04:05:06', null)`,
    [u.member.id, u.member.email, hash],
  );
  await client.query(
    `insert into users (id, email, password, username, "isActive", "emailVerified") values ($1, $2, $3, 'gone', false, now())`,
    [u.disabled.id, u.disabled.email, hash],
  );
  await client.query(
    `insert into sessions (id, "sessionToken", "userId", expires) values
       ('up-sess-live', $1, $3, $4), ('up-sess-expired', $2, $3, '2020-01-01 00:00:00')`,
    [u.sessionToken, u.expiredSessionToken, u.admin.id, inDays(80)],
  );
  await client.query(
    `insert into verification_tokens (identifier, token, expires, type) values ($1, repeat('d', 64), $2, 'password_reset')`,
    [u.member.id, inDays(1)],
  );
  const config: [string, string][] = [
    ["registration_enabled", "false"],
    ["maintenance_mode", "false"],
    ["email_notifications_enabled", "false"],
    ["discord_notifications_enabled", "false"],
    ["auto_sync_enabled", "false"],
    ["sync_interval", "3600"],
    ["site_name", "NodeByte Hosting"],
    ["cache_timeout", "60"],
    [u.plaintextSecret.key, u.plaintextSecret.value],
    [u.encryptedSecret.key, await upstreamEncrypt(encryptionKey, u.encryptedSecret.value)],
  ];
  for (const [key, value] of config) {
    await client.query(`insert into config (id, key, value) values (gen_random_uuid()::text, $1, $2)`, [
      key,
      value,
    ]);
  }
  await client.query(`insert into locations (id, "shortCode", description) values ($1, $2, null)`, [
    u.location.id,
    u.location.shortCode,
  ]);
  await client.query(
    `insert into nodes (id, uuid, name, fqdn, "locationId", memory, disk) values ($1, gen_random_uuid()::text, $2, 'node.upstream.test', $3, 8192, 100000)`,
    [u.node.id, u.node.name, u.location.id],
  );
  await client.query(
    `insert into nests (id, uuid, name) values (9301, gen_random_uuid()::text, 'Upstream nest')`,
  );
  await client.query(
    `insert into eggs (id, uuid, name, "nestId") values (9401, gen_random_uuid()::text, 'Upstream egg', 9301)`,
  );
  await client.query(`insert into products (id, name) values ('prod-1', 'Legacy plan')`);
  await client.query(
    `insert into servers (id, uuid, "uuidShort", "pterodactylId", name, status, "ownerId", "nodeId", "eggId", "productId", memory, disk, cpu)
     values ($1, $2, left($2, 8), $3, 'Upstream server', 'online', $4, $5, 9401, 'prod-1', 2048, 10000, 100)`,
    [u.server.id, u.server.uuid, u.server.pterodactylId, u.member.id, u.node.id],
  );
  await client.query(
    `insert into allocations (id, ip, port, "isAssigned", "nodeId", "serverId") values (990001, '10.9.9.9', 25565, true, $1, $2)`,
    [u.node.id, u.server.id],
  );
  await client.query(
    `insert into sync_logs (id, type, status, "startedAt", metadata) values
       ($1, 'full', 'in_progress', '2025-03-01 10:00:00', '{"step":"servers"}'),
       ($2, 'full', 'COMPLETED', '2025-03-01 09:00:00', '{"servers":12}'),
       ($3, 'locations', 'pending', null, ''),
       ($4, 'nodes', 'FAILED', '2025-03-01 08:00:00', 'panel unreachable')`,
    [u.syncLog.stale, u.syncLog.done, u.syncLog.empty, u.syncLog.prose],
  );
  await client.query(
    `insert into hytale_oauth_tokens (account_id, access_token, refresh_token, access_token_expiry, created_at) values
       ($1, $2, $3, $4, now() - interval '10 days'),
       ($5, 'plain-access-2', '', $4, now() - interval '3 days')`,
    [u.hytale.accountId, u.hytale.accessToken, u.hytale.refreshToken, inDays(1), u.hytaleNoRefresh.accountId],
  );
  await client.query(
    `insert into hytale_game_sessions (id, account_id, profile_uuid, server_id, session_token, identity_token, expires_at, updated_at) values
       ($1, gen_random_uuid(), gen_random_uuid(), $3, $4, 'identity-1', '0001-01-01 00:00:00', now()),
       ($2, gen_random_uuid(), gen_random_uuid(), null, 'opaque-session', 'identity-2', '0001-01-01 00:00:00', now())`,
    [u.gameSessionWithJwt.id, u.gameSessionOpaque.id, u.server.id, fakeJwt(u.gameSessionWithJwt.exp)],
  );
}
