// What the upstream-shaped test database holds (test/upstream/upstream-db.ts seeds it): pure
// constants, read by the Node adoption test and by the workerd tests that run on the adopted database.

export const UPSTREAM = {
  admin: { id: "up-admin-0001", email: "legacy-admin@upstream.test", username: "legacyadmin" },
  /** Username NULL, booleans NULL: rows the website's Prisma era left. */
  member: { id: "up-member-0002", email: "Legacy.Member@upstream.test" },
  disabled: { id: "up-disabled-0003", email: "legacy-disabled@upstream.test" },
  /** bcrypt `$2b$` hashes of this password (cost 4). */
  password: "Upstream-Passw0rd",
  /** A live raw refresh token in `sessions` (64 hex, as upstream issues them). */
  sessionToken: "a1".repeat(32),
  expiredSessionToken: "b2".repeat(32),
  /** A raw token the Go backend wrote after the adoption (still in `sessions`). */
  lateSessionToken: "c3".repeat(32),
  /** Secrets upstream left in `config`: one plaintext, one in upstream's AES-GCM format. */
  plaintextSecret: { key: "virtfusion_api_key", value: "vf_upstreamPlaintextKey0001" },
  encryptedSecret: { key: "crowdin_personal_token", value: "crowdin-upstream-secret-0002" },
  location: { id: 9101, shortCode: "up-loc" },
  node: { id: 9201, name: "upstream-node" },
  server: { id: "up-server-0001", uuid: "0b6f3b4e-0000-4000-8000-000000000001", pterodactylId: 990001 },
  /** A linked Hytale account as upstream stored it: plaintext tokens, account id chosen by the caller. */
  hytale: {
    accountId: "33333333-3333-4333-8333-333333333333",
    accessToken: "upstream-hytale-access-0001",
    refreshToken: "upstream-hytale-refresh-0001",
  },
  /** A grant upstream kept with an empty refresh token (nothing to refresh with). */
  hytaleNoRefresh: { accountId: "44444444-4444-4444-8444-444444444444" },
  gameSessionWithJwt: { id: "11111111-1111-4111-8111-111111111111", exp: 4102444800 },
  gameSessionOpaque: { id: "22222222-2222-4222-8222-222222222222" },
  syncLog: { stale: "up-sync-stale", done: "up-sync-done", empty: "up-sync-empty", prose: "up-sync-prose" },
} as const;
