// Refresh tokens: random, stored as SHA-256 only, rotated on every use within a family; reuse
// of a rotated (or revoked) token revokes the whole family. Logout and password change revoke.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { randomHex, sha256Hex } from "../../platform/crypto.ts";
import type { Database } from "../../platform/db/client.ts";
import { refreshTokens } from "../../platform/db/schema/index.ts";
import type { ClientMeta } from "../../platform/principal.ts";

export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** A new family's first token: the insert (for a caller's batch) and the raw token to hand out. */
export async function newRefreshToken(db: Database, userId: string, meta: ClientMeta, now = new Date()) {
  const token = randomHex(32);
  const insert = db.insert(refreshTokens).values({
    id: crypto.randomUUID(),
    userId,
    familyId: crypto.randomUUID(),
    tokenHash: await sha256Hex(token),
    expiresAt: new Date(now.getTime() + REFRESH_TOKEN_TTL_MS),
    ip: meta.ip,
    userAgent: meta.userAgent,
  });
  return { token, insert };
}

export type RotateResult =
  | { ok: true; userId: string; token: string }
  | { ok: false; reason: "unknown" | "expired" | "reused"; userId?: string; familyId?: string };

/**
 * A token rotated less than this long ago still yields a successor: two tabs refreshing at once,
 * or a response lost on the way, must not log the user out. After it, reuse revokes the family.
 */
export const ROTATION_GRACE_MS = 30_000;

/**
 * Exchanges a refresh token for the next one of its family in ONE statement: the old row is
 * marked rotated only if it was live, and the new row is inserted only from that update. A token
 * presented again within ROTATION_GRACE_MS of its rotation gets an equivalent successor (a
 * sibling in the same family, never when the family is revoked); later, reuse revokes the family.
 */
export async function rotateRefreshToken(
  db: Database,
  presented: string,
  meta: ClientMeta,
  now = new Date(),
  /** Statements (the reuse audit row) that commit with the family's revocation. */
  onReuse: (known: { userId: string; familyId: string }) => BatchItem<"pg">[] = () => [],
): Promise<RotateResult> {
  const hash = await sha256Hex(presented);
  const next = randomHex(32);
  const nextHash = await sha256Hex(next);
  const iso = now.toISOString();
  const expires = new Date(now.getTime() + REFRESH_TOKEN_TTL_MS).toISOString();
  const res = await db.execute<{ userId: string }>(sql`
    with old as (
      update refresh_tokens set "rotatedAt" = ${iso}::timestamptz
      where "tokenHash" = ${hash} and "rotatedAt" is null and "revokedAt" is null
        and "expiresAt" > ${iso}::timestamptz
      returning "userId", "familyId"
    )
    insert into refresh_tokens (id, "userId", "familyId", "tokenHash", "expiresAt", ip, "userAgent")
    select ${crypto.randomUUID()}, "userId", "familyId", ${nextHash}, ${expires}::timestamptz, ${meta.ip}, ${meta.userAgent}
    from old
    returning "userId"`);
  const row = res.rows[0];
  if (row) return { ok: true, userId: row.userId, token: next };

  const [known] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hash));
  if (!known) return { ok: false, reason: "unknown" };
  if (known.rotatedAt && !known.revokedAt && now.getTime() - known.rotatedAt.getTime() <= ROTATION_GRACE_MS) {
    const sibling = await db.execute<{ userId: string }>(sql`
      insert into refresh_tokens (id, "userId", "familyId", "tokenHash", "expiresAt", ip, "userAgent")
      select ${crypto.randomUUID()}, t."userId", t."familyId", ${nextHash}, ${expires}::timestamptz, ${meta.ip}, ${meta.userAgent}
      from refresh_tokens t
      where t.id = ${known.id} and t."revokedAt" is null and t."expiresAt" > ${iso}::timestamptz
        and not exists (select 1 from refresh_tokens f where f."familyId" = t."familyId" and f."revokedAt" is not null)
      returning "userId"`);
    const got = sibling.rows[0];
    if (got) return { ok: true, userId: got.userId, token: next };
  }
  if (known.rotatedAt || known.revokedAt) {
    await db.batch([...revokeFamily(db, known.familyId, now), ...onReuse(known)]);
    return { ok: false, reason: "reused", userId: known.userId, familyId: known.familyId };
  }
  return { ok: false, reason: "expired", userId: known.userId };
}

// Every revoke is two identical statements, for a caller's batch (one transaction): a rotation
// that committed while the first ran inserted a successor the first statement's snapshot cannot
// see; the second statement (a new snapshot under READ COMMITTED) revokes it too. A rotation that
// waited on the first statement's row lock finds its token revoked and inserts nothing.

export function revokeFamily(db: Database, familyId: string, now = new Date()) {
  const once = () =>
    db
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
  return [once(), once()] as const;
}

export function revokeAllForUser(db: Database, userId: string, now = new Date()) {
  const once = () =>
    db
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
  return [once(), once()] as const;
}

/** Revokes the family of a presented token (logout); unknown tokens are ignored. */
export async function revokeByToken(db: Database, presented: string, now = new Date()): Promise<void> {
  const hash = await sha256Hex(presented);
  const once = () =>
    db.execute(sql`
      update refresh_tokens set "revokedAt" = ${now.toISOString()}::timestamptz
      where "revokedAt" is null and "familyId" = (select "familyId" from refresh_tokens where "tokenHash" = ${hash})`);
  await db.batch([once(), once()]);
}
