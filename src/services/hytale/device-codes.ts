// Device codes bound to who asked for them (SPEC §5: a token from one account's device flow is
// never written under another). Only the code's SHA-256 is stored. Polls are coalesced with one
// conditional UPDATE: the poll that moves `next_poll_at` forward is the one that asks the OAuth
// server; every other poll inside the interval is answered "pending" without asking.
import { and, eq, lt, lte, sql } from "drizzle-orm";
import { sha256Hex } from "../../platform/crypto.ts";
import type { Database } from "../../platform/db/client.ts";
import { type HytaleDeviceCode, hytaleDeviceCodes } from "../../platform/db/schema/index.ts";

export const deviceCodeHash = (code: string) => sha256Hex(`hytale-device:${code}`);

export async function bindDeviceCode(
  db: Database,
  b: {
    deviceCode: string;
    accountId: string;
    requestedBy: string;
    interval: number;
    expiresIn: number;
    now: Date;
  },
): Promise<void> {
  await db.insert(hytaleDeviceCodes).values({
    deviceCodeHash: await deviceCodeHash(b.deviceCode),
    accountId: b.accountId,
    requestedBy: b.requestedBy,
    intervalSeconds: b.interval,
    expiresAt: new Date(b.now.getTime() + b.expiresIn * 1000),
    nextPollAt: b.now,
  });
}

export async function findDeviceCode(db: Database, hash: string): Promise<HytaleDeviceCode | undefined> {
  const [row] = await db.select().from(hytaleDeviceCodes).where(eq(hytaleDeviceCodes.deviceCodeHash, hash));
  return row;
}

/**
 * Claims this interval's poll: true when the caller may ask the OAuth server now. The next poll
 * becomes due one full interval after this one (never early: a client whose timer fires a few ms
 * early is answered "pending" from here and reaches the peer on its next poll).
 */
export async function claimPoll(db: Database, hash: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(hytaleDeviceCodes)
    .set({
      nextPollAt: sql`${now.toISOString()}::timestamptz + make_interval(secs => ${hytaleDeviceCodes.intervalSeconds})`,
    })
    .where(
      and(
        eq(hytaleDeviceCodes.deviceCodeHash, hash),
        eq(hytaleDeviceCodes.status, "pending"),
        lte(hytaleDeviceCodes.nextPollAt, now),
      ),
    )
    .returning({ hash: hytaleDeviceCodes.deviceCodeHash });
  return rows.length > 0;
}

/** RFC 8628 §3.5: slow_down adds 5 s to the interval for this and every later poll. */
export async function slowDown(db: Database, hash: string, now: Date): Promise<number> {
  const [row] = await db
    .update(hytaleDeviceCodes)
    .set({
      intervalSeconds: sql`${hytaleDeviceCodes.intervalSeconds} + 5`,
      nextPollAt: sql`${now.toISOString()}::timestamptz + make_interval(secs => ${hytaleDeviceCodes.intervalSeconds} + 5)`,
    })
    .where(eq(hytaleDeviceCodes.deviceCodeHash, hash))
    .returning({ interval: hytaleDeviceCodes.intervalSeconds });
  return row?.interval ?? 0;
}

/** Joins the grant's batch: the code is spent once its tokens are stored. */
export function hytaleDeviceCodesLinked(db: Database, hash: string) {
  return db
    .update(hytaleDeviceCodes)
    .set({ status: "linked" })
    .where(eq(hytaleDeviceCodes.deviceCodeHash, hash));
}

/** Codes a day past their lifetime are of no use to anyone. */
export function purgeDeviceCodes(db: Database, now: Date) {
  return db
    .delete(hytaleDeviceCodes)
    .where(lt(hytaleDeviceCodes.expiresAt, new Date(now.getTime() - 86_400_000)));
}
