// A Hytale account's grant as its HytaleGrant object keeps it (the authoritative copy, in the
// object's storage) and as `hytale_oauth_tokens` mirrors it (for status, the cron's selection and
// reads). Tokens are AES-256-GCM ciphertext bound to their column and account in both places;
// the mirror only moves forward (`grant_version`), so a late write can never undo a newer one.
import { eq, sql } from "drizzle-orm";
import { sha256Hex } from "../../platform/crypto.ts";
import type { Database } from "../../platform/db/client.ts";
import { type HytaleOauthToken, hytaleOauthTokens } from "../../platform/db/schema/index.ts";
import type { Config } from "../../platform/env.ts";
import { decryptSecret, encryptSecret, keyRing } from "../../platform/secrets.ts";
import { HYTALE_SCOPE } from "./oauth-client.ts";

export interface GrantRecord {
  accountId: string;
  /** Grows with every write (milliseconds, at least previous + 1). */
  version: number;
  /** Ciphertext ("" once the grant is gone). */
  accessToken: string;
  refreshToken: string;
  refreshTokenHash: string | null;
  accessTokenExpiresAt: number;
  tokenType: string;
  scope: string;
  grantCreatedAt: number;
  lastRefreshedAt: number | null;
  needsRelink: boolean;
  relinkReason: string | null;
  /** Whether the database mirror holds this version. */
  mirrored: boolean;
  /** Read from a mirror row that a pre-sharding per-account object may have written. */
  legacy?: boolean;
}

type Keys = Pick<Config, "encryptionKey" | "encryptionKeys">;
const place = (column: "access_token" | "refresh_token", accountId: string) =>
  `hytale_oauth_tokens.${column}:${accountId}`;

export async function seal(config: Keys, accountId: string, tokens: { access: string; refresh: string }) {
  const ring = await keyRing(config);
  return {
    accessToken: await encryptSecret(ring, tokens.access, place("access_token", accountId)),
    refreshToken: await encryptSecret(ring, tokens.refresh, place("refresh_token", accountId)),
  };
}

/** Plaintext of one token (legacy plaintext rows read as they are). */
export async function openToken(config: Keys, record: GrantRecord, which: "access" | "refresh") {
  const ring = await keyRing(config);
  return which === "access"
    ? decryptSecret(ring, record.accessToken, place("access_token", record.accountId))
    : decryptSecret(ring, record.refreshToken, place("refresh_token", record.accountId));
}

export const refreshTokenHash = (token: string) => sha256Hex(`hytale-refresh:${token}`);

export function nextVersion(previous: number | undefined, now: number): number {
  return Math.max((previous ?? 0) + 1, now);
}

/** The mirror row as a grant record (a DO that has never held the grant starts from it). */
export function recordFromRow(row: HytaleOauthToken): GrantRecord {
  return {
    accountId: row.accountId,
    version: row.grantVersion,
    accessToken: row.accessToken,
    refreshToken: row.refreshToken,
    refreshTokenHash: row.refreshTokenHash,
    accessTokenExpiresAt: row.accessTokenExpiry.getTime(),
    tokenType: "bearer",
    scope: row.scope,
    grantCreatedAt: (row.grantCreatedAt ?? row.createdAt).getTime(),
    lastRefreshedAt: row.lastRefreshedAt?.getTime() ?? null,
    needsRelink: row.needsRelink || row.refreshToken === "",
    relinkReason: row.relinkReason,
    mirrored: true,
    legacy: row.legacyGrantObject,
  };
}

/** What a batch job hands an object that may never have held the grant (saves it a read). */
export type GrantSnapshot = Omit<GrantRecord, "mirrored">;

export async function readRecord(db: Database, accountId: string): Promise<GrantRecord | undefined> {
  const [row] = await db.select().from(hytaleOauthTokens).where(eq(hytaleOauthTokens.accountId, accountId));
  return row ? recordFromRow(row) : undefined;
}

function mirrorValues(r: GrantRecord, now: Date) {
  return {
    accessToken: r.accessToken,
    refreshToken: r.refreshToken,
    refreshTokenHash: r.refreshTokenHash,
    accessTokenExpiry: new Date(r.accessTokenExpiresAt),
    scope: r.scope || HYTALE_SCOPE,
    grantCreatedAt: new Date(r.grantCreatedAt),
    lastRefreshedAt: r.lastRefreshedAt === null ? null : new Date(r.lastRefreshedAt),
    grantVersion: r.version,
    needsRelink: r.needsRelink,
    relinkReason: r.relinkReason,
    legacyGrantObject: false,
    updatedAt: now,
  };
}

/**
 * The mirror upsert: writes only when this version is newer than the stored one. `linked` starts
 * a new grant (its lifetime notice is re-armed).
 */
export function mirrorWrite(db: Database, r: GrantRecord, now: Date, linked = false) {
  const values = { ...mirrorValues(r, now), ...(linked ? { grantNoticeSentAt: null } : {}) };
  return db
    .insert(hytaleOauthTokens)
    .values({ accountId: r.accountId, ...values })
    .onConflictDoUpdate({
      target: hytaleOauthTokens.accountId,
      set: values,
      setWhere: sql`${hytaleOauthTokens.grantVersion} < ${r.version}`,
    });
}

const MIRRORED_COLUMNS = [
  "accessToken",
  "refreshToken",
  "refreshTokenHash",
  "accessTokenExpiry",
  "scope",
  "grantCreatedAt",
  "lastRefreshedAt",
  "grantVersion",
  "needsRelink",
  "relinkReason",
  "legacyGrantObject",
  "updatedAt",
] as const;

/**
 * Many records in one upsert (the cron's batch, adopted grants); each row only moves forward.
 * `linked`: these are new grants (their lifetime notice is re-armed).
 */
export function mirrorWriteMany(db: Database, records: GrantRecord[], now: Date, linked = false) {
  const columns = linked ? [...MIRRORED_COLUMNS, "grantNoticeSentAt" as const] : MIRRORED_COLUMNS;
  return db
    .insert(hytaleOauthTokens)
    .values(
      records.map((r) => ({
        accountId: r.accountId,
        ...mirrorValues(r, now),
        ...(linked ? { grantNoticeSentAt: null } : {}),
      })),
    )
    .onConflictDoUpdate({
      target: hytaleOauthTokens.accountId,
      set: Object.fromEntries(
        columns.map((key) => [key, sql.raw(`excluded."${hytaleOauthTokens[key].name}"`)]),
      ),
      setWhere: sql`${hytaleOauthTokens.grantVersion} < excluded.grant_version`,
    });
}
