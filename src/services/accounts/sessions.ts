// Session flows behind /api/v1/auth/*: credentials check, login, magic-link sign-in, refresh-token
// rotation and logout. Each multi-row change is one request (a batch or a single CTE statement),
// so nothing is half-applied.
import { eq, sql } from "drizzle-orm";
import { sha256Hex } from "../../platform/crypto.ts";
import { type User, users } from "../../platform/db/schema/index.ts";
import type { ErrorCode } from "../../platform/errors.ts";
import { actingAs } from "../../platform/principal.ts";
import { auditInsert } from "../audit/audit.ts";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "./jwt.ts";
import { verifyPassword } from "./password.ts";
import { newRefreshToken, revokeAllForUser, revokeByToken, rotateRefreshToken } from "./refresh-tokens.ts";
import { type AccountDeps, authError, findUserByEmail, requireEmail, userData } from "./users.ts";

/** A valid bcrypt hash of a random string: compared against when the e-mail is unknown, so timing is uniform. */
const DUMMY_HASH = "$2b$10$uJoxPEzS2WfrUg7rL5puf.HgeAikfj6jP1KzUUwUNHARPmfLn/47O";

async function tokensFor(deps: AccountDeps, user: User, extra: ReturnType<typeof auditInsert>[] = []) {
  const now = deps.now();
  const accessToken = await signAccessToken(user, deps.config.jwtSecret, now);
  const refresh = await newRefreshToken(deps.db, user.id, deps.meta, now);
  await deps.db.batch([
    refresh.insert,
    deps.db.update(users).set({ lastLoginAt: now }).where(eq(users.id, user.id)),
    ...extra,
  ]);
  return tokenBody(accessToken, refresh.token);
}

export function tokenBody(accessToken: string, refreshToken: string) {
  const tokens = {
    accessToken,
    refreshToken,
    expiresIn: ACCESS_TOKEN_TTL_SECONDS,
    tokenType: "Bearer" as const,
  };
  return { tokens, accessToken, refreshToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
}

/** Checks e-mail + password (uniform timing for unknown e-mails); audits failures. */
export async function checkCredentials(
  deps: AccountDeps,
  input: { email?: string; password?: string },
): Promise<User> {
  if (!input.email || !input.password) throw authError("INVALID_REQUEST", "missing_fields");
  const email = requireEmail(input.email);
  const user = await findUserByEmail(deps.db, email);
  const ok = await verifyPassword(input.password, user?.password ?? DUMMY_HASH);
  const fail = async (reason: string, code: ErrorCode, publicError: string) => {
    await auditInsert(deps.db, {
      action: "auth.login_failed",
      actor: actingAs(deps.actor, user ? "user" : "anonymous", user?.id ?? null),
      targetType: "user",
      targetId: user?.id ?? null,
      details: { reason, email },
    });
    return authError(code, publicError);
  };
  if (!user || !ok)
    throw await fail(user ? "bad_password" : "unknown_email", "UNAUTHORIZED", "invalid_credentials");
  if (!user.isActive) throw await fail("account_disabled", "UNAUTHORIZED", "account_disabled");
  if (!user.emailVerified) throw await fail("email_not_verified", "UNAUTHORIZED", "email_not_verified");
  return user;
}

export async function login(deps: AccountDeps, input: { email?: string; password?: string }) {
  const user = await checkCredentials(deps, input);
  const actor = actingAs(deps.actor, "user", user.id);
  const tokens = await tokensFor(deps, user, [
    auditInsert(deps.db, { action: "auth.login", actor, targetType: "user", targetId: user.id }),
  ]);
  return { user: userData(user), ...tokens };
}

/** The NextAuth credentials check: valid credentials mark a login, no tokens are issued. */
export async function validateCredentials(deps: AccountDeps, input: { email?: string; password?: string }) {
  const user = await checkCredentials(deps, input);
  await deps.db.update(users).set({ lastLoginAt: deps.now() }).where(eq(users.id, user.id));
  return userData(user);
}

/** Consumes a magic-link token (one use) and signs the user in; the link also proves the address. */
export async function verifyMagicLink(deps: AccountDeps, input: { token?: string }) {
  if (!input.token) throw authError("INVALID_REQUEST", "missing_token");
  const iso = deps.now().toISOString();
  const res = await deps.db.execute<{ id: string }>(sql`
    with t as (
      delete from verification_tokens
      where token = ${await sha256Hex(input.token)} and type = 'magic_link' and expires > ${iso}::timestamptz
      returning identifier
    )
    update users set "emailVerified" = coalesce("emailVerified", ${iso}::timestamptz)
    where id in (select identifier from t) returning id`);
  const id = res.rows[0]?.id;
  const [user] = id ? await deps.db.select().from(users).where(eq(users.id, id)) : [];
  if (!user) throw authError("UNAUTHORIZED", "invalid_token");
  if (!user.isActive) throw authError("UNAUTHORIZED", "account_disabled");
  const actor = actingAs(deps.actor, "user", user.id);
  const tokens = await tokensFor(deps, user, [
    auditInsert(deps.db, {
      action: "auth.login",
      actor,
      targetType: "user",
      targetId: user.id,
      details: { via: "magic_link" },
    }),
  ]);
  return { user: userData(user), ...tokens };
}

export async function refresh(deps: AccountDeps, input: { refreshToken?: string }) {
  if (!input.refreshToken) throw authError("INVALID_REQUEST", "missing_refresh_token");
  const now = deps.now();
  // A reuse revokes the family and writes its audit row in the same transaction.
  const result = await rotateRefreshToken(deps.db, input.refreshToken, deps.meta, now, (known) => [
    auditInsert(deps.db, {
      action: "auth.refresh_reuse",
      actor: actingAs(deps.actor, "user", known.userId),
      targetType: "refresh_family",
      targetId: known.familyId,
    }),
  ]);
  const userId = result.ok
    ? result.userId
    : result.reason === "unknown"
      ? await consumeUpstreamSession(deps, input.refreshToken)
      : undefined;
  if (!userId) throw authError("UNAUTHORIZED", "invalid_refresh_token");
  const [user] = await deps.db.select().from(users).where(eq(users.id, userId));
  if (!user) throw authError("UNAUTHORIZED", "user_not_found");
  if (!user.isActive) {
    await deps.db.batch(revokeAllForUser(deps.db, user.id, now));
    throw authError("UNAUTHORIZED", "account_disabled");
  }
  if (result.ok) return tokenBody(await signAccessToken(user, deps.config.jwtSecret, now), result.token);
  // An upstream refresh token, exchanged once: its session row is gone, a new family starts.
  const fresh = await newRefreshToken(deps.db, user.id, deps.meta, now);
  await deps.db.batch([
    fresh.insert,
    auditInsert(deps.db, {
      action: "auth.legacy_refresh",
      actor: actingAs(deps.actor, "user", user.id),
      targetType: "user",
      targetId: user.id,
    }),
  ]);
  return tokenBody(await signAccessToken(user, deps.config.jwtSecret, now), fresh.token);
}

/**
 * A raw refresh token the Go backend stored in `sessions` (written after `db:adopt`, which hashes
 * the ones it finds), accepted until LEGACY_TOKENS_UNTIL: deleted in the same statement that
 * finds it, so it is exchanged at most once.
 */
async function consumeUpstreamSession(deps: AccountDeps, presented: string): Promise<string | undefined> {
  const until = deps.config.legacyTokensUntil;
  const now = deps.now();
  if (!until || now.getTime() >= until.getTime()) return undefined;
  const res = await deps.db.execute<{ userId: string }>(sql`
    delete from sessions where "sessionToken" = ${presented} and expires > ${now.toISOString()}::timestamptz
    returning "userId"`);
  return res.rows[0]?.userId;
}

/** Revokes the presented refresh token's family and, with a valid access token, all the user's. */
export async function logout(
  deps: AccountDeps,
  input: { refreshToken?: string },
  userId?: string,
): Promise<void> {
  const now = deps.now();
  if (input.refreshToken) await revokeByToken(deps.db, input.refreshToken, now);
  if (userId) {
    await deps.db.batch([
      ...revokeAllForUser(deps.db, userId, now),
      auditInsert(deps.db, {
        action: "auth.logout",
        actor: actingAs(deps.actor, "user", userId),
        targetType: "user",
        targetId: userId,
      }),
    ]);
  }
}
