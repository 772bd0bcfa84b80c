// Single-use e-mail tokens (verification, password reset, magic link, e-mail change): random,
// stored as SHA-256 only, with the lifetimes the e-mails state; issuing one replaces older ones.
import { and, eq } from "drizzle-orm";
import { randomHex, sha256Hex } from "../../platform/crypto.ts";
import type { Database } from "../../platform/db/client.ts";
import { verificationTokens } from "../../platform/db/schema/index.ts";

export const ONE_TIME_TOKEN_TTL_MS = {
  email_verification: 24 * 60 * 60 * 1000,
  email_change: 24 * 60 * 60 * 1000,
  password_reset: 60 * 60 * 1000,
  magic_link: 15 * 60 * 1000,
} as const;
export type OneTimeTokenType = keyof typeof ONE_TIME_TOKEN_TTL_MS;

/** Statements (for a caller's batch) that replace the user's tokens of this type with a new one. */
export async function issueOneTimeToken(
  db: Database,
  userId: string,
  type: OneTimeTokenType,
  data: Record<string, unknown> | null = null,
  now = new Date(),
) {
  const token = randomHex(32);
  const statements = [
    db
      .delete(verificationTokens)
      .where(and(eq(verificationTokens.identifier, userId), eq(verificationTokens.type, type))),
    db.insert(verificationTokens).values({
      identifier: userId,
      token: await sha256Hex(token),
      type,
      data,
      expires: new Date(now.getTime() + ONE_TIME_TOKEN_TTL_MS[type]),
    }),
  ] as const;
  return { token, statements };
}
