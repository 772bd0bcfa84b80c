// Account flows behind /api/v1/auth/*: login, register, e-mail verification, password reset,
// magic links, token refresh and logout. Each multi-row change is one request (a batch or a
// single CTE statement), so nothing is half-applied.
import { eq, sql } from "drizzle-orm";
import { type AuditActor, auditInsert } from "../audit/audit.service.ts";
import type { Database } from "../db/client.ts";
import { type User, users } from "../db/schema/index.ts";
import type { Config } from "../env.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { AppError, type ErrorCode } from "../lib/errors.ts";
import { queueEmail } from "../notifications/email.ts";
import { readSettings, settingFlag } from "../settings/settings.service.ts";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "./jwt.ts";
import { issueOneTimeToken, type OneTimeTokenType } from "./one-time-tokens.ts";
import { hashPassword, isValidEmail, normalizeEmail, passwordProblem, verifyPassword } from "./password.ts";
import {
  type ClientMeta,
  newRefreshToken,
  revokeAllForUser,
  revokeByToken,
  rotateRefreshToken,
} from "./refresh-tokens.ts";

/** A valid bcrypt hash of a random string: compared against when the e-mail is unknown, so timing is uniform. */
const DUMMY_HASH = "$2b$10$uJoxPEzS2WfrUg7rL5puf.HgeAikfj6jP1KzUUwUNHARPmfLn/47O";

export interface AuthDeps {
  db: Database;
  config: Config;
  actor: AuditActor;
  meta: ClientMeta;
  now?: Date;
}

/** The website's UserData: dates as ISO strings. */
export function userData(user: User) {
  return {
    id: user.id,
    email: user.email,
    username: user.username ?? user.email.split("@")[0] ?? "",
    firstName: user.firstName,
    lastName: user.lastName,
    roles: user.roles,
    isPterodactylAdmin: user.isPterodactylAdmin,
    isVirtfusionAdmin: user.isVirtfusionAdmin,
    isSystemAdmin: user.isSystemAdmin,
    pterodactylId: user.pterodactylId,
    emailVerified: user.emailVerified?.toISOString() ?? null,
  };
}

export function authError(code: ErrorCode, publicError: string, message?: string): AppError {
  return new AppError(code, message ?? publicError.replaceAll("_", " "), { publicError });
}

export async function findUserByEmail(db: Database, email: string): Promise<User | undefined> {
  const [user] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = ${normalizeEmail(email)}`);
  return user;
}

function requireEmail(email: string | undefined, missing = "missing_fields"): string {
  if (!email) throw authError("INVALID_REQUEST", missing);
  const e = normalizeEmail(email);
  if (!isValidEmail(e)) throw authError("INVALID_REQUEST", "invalid_email");
  return e;
}

function siteUrl(config: Config, settings: Map<string, string>): string {
  return (settings.get("site_url") || config.siteUrl || "http://localhost:3000").replace(/\/+$/, "");
}

async function tokensFor(deps: AuthDeps, user: User, extra: ReturnType<typeof auditInsert>[] = []) {
  const now = deps.now ?? new Date();
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
  deps: AuthDeps,
  input: { email?: string; password?: string },
): Promise<User> {
  if (!input.email || !input.password) throw authError("INVALID_REQUEST", "missing_fields");
  const email = requireEmail(input.email);
  const user = await findUserByEmail(deps.db, email);
  const ok = await verifyPassword(input.password, user?.password ?? DUMMY_HASH);
  const fail = async (reason: string, code: ErrorCode, publicError: string) => {
    await auditInsert(deps.db, {
      action: "auth.login_failed",
      actor: { ...deps.actor, id: user?.id ?? null, type: user ? "user" : "anonymous" },
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

export async function login(deps: AuthDeps, input: { email?: string; password?: string }) {
  const user = await checkCredentials(deps, input);
  const actor = { ...deps.actor, type: "user" as const, id: user.id };
  const tokens = await tokensFor(deps, user, [
    auditInsert(deps.db, { action: "auth.login", actor, targetType: "user", targetId: user.id }),
  ]);
  return { user: userData(user), ...tokens };
}

export interface RegisterInput {
  email?: string;
  password?: string;
  confirmPassword?: string;
  username?: string;
  firstName?: string;
  lastName?: string;
}

export async function register(deps: AuthDeps, input: RegisterInput): Promise<void> {
  if (!input.email || !input.password) throw authError("INVALID_REQUEST", "missing_fields");
  const email = requireEmail(input.email);
  const settings = await readSettings(deps.db, ["registration_enabled", "site_url"]);
  // Absent means open (upstream always registered); an admin turns it off with "false".
  if (!settingFlag(settings.get("registration_enabled"), true)) {
    throw authError("FORBIDDEN", "registration_disabled", "Registration is disabled");
  }
  const problem = passwordProblem(input.password);
  if (problem) throw authError("INVALID_REQUEST", problem);
  if (input.confirmPassword !== undefined && input.confirmPassword !== input.password) {
    throw authError("INVALID_REQUEST", "passwords_dont_match");
  }
  if (await findUserByEmail(deps.db, email)) throw authError("CONFLICT", "email_exists");
  const id = crypto.randomUUID();
  const verification = await issueOneTimeToken(deps.db, id, "email_verification");
  try {
    await deps.db.batch([
      deps.db.insert(users).values({
        id,
        email,
        password: await hashPassword(input.password),
        username: input.username?.trim() || email.split("@")[0],
        firstName: input.firstName?.trim() || null,
        lastName: input.lastName?.trim() || null,
        roles: ["MEMBER"],
        isActive: true,
      }),
      ...verification.statements,
      auditInsert(deps.db, {
        action: "auth.register",
        actor: { ...deps.actor, type: "user", id },
        targetType: "user",
        targetId: id,
      }),
    ]);
  } catch (err) {
    const code = (err as { code?: string })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
    if (code === "23505") throw authError("CONFLICT", "email_exists");
    throw err;
  }
  await sendTokenEmail(
    deps,
    settings,
    { id, email, username: input.username ?? null },
    "email_verification",
    verification.token,
  );
}

const TEMPLATE_OF: Record<
  OneTimeTokenType,
  "verify-email" | "reset-password" | "magic-link" | "change-email"
> = {
  email_verification: "verify-email",
  password_reset: "reset-password",
  magic_link: "magic-link",
  email_change: "change-email",
};
const PATH_OF: Record<OneTimeTokenType, string> = {
  email_verification: "/auth/verify-email",
  password_reset: "/auth/reset-password",
  magic_link: "/auth/magic-link",
  email_change: "/auth/verify-email",
};

async function sendTokenEmail(
  deps: AuthDeps,
  settings: Map<string, string>,
  user: { id: string; email: string; username: string | null },
  type: OneTimeTokenType,
  token: string,
  to = user.email,
): Promise<void> {
  const link = `${siteUrl(deps.config, settings)}${PATH_OF[type]}?token=${token}&id=${encodeURIComponent(user.id)}`;
  await queueEmail(
    deps.config,
    {
      to,
      template: TEMPLATE_OF[type],
      data: { name: user.username ?? to.split("@")[0] ?? "", email: to, link },
    },
    `email:${type}:${await sha256Hex(token)}`,
  );
}

/** Issues a token of `type` for the user and e-mails it (used by forgot-password, magic link, resend). */
export async function issueAndSend(
  deps: AuthDeps,
  user: User,
  type: OneTimeTokenType,
  data: Record<string, unknown> | null = null,
  to?: string,
) {
  const settings = await readSettings(deps.db, ["site_url"]);
  const issued = await issueOneTimeToken(deps.db, user.id, type, data);
  await deps.db.batch([...issued.statements]);
  await sendTokenEmail(deps, settings, user, type, issued.token, to);
}

/**
 * Consumes an e-mail verification or e-mail change token and applies it, in one statement.
 * An e-mail change moves the address only now, after the new address proved itself.
 */
export async function verifyEmail(deps: AuthDeps, input: { token?: string; id?: string }) {
  if (!input.token || !input.id) throw authError("INVALID_REQUEST", "missing_fields");
  const hash = await sha256Hex(input.token);
  const now = (deps.now ?? new Date()).toISOString();
  let res: { rows: { id: string; kind: string }[] };
  try {
    res = await deps.db.execute<{ id: string; kind: string }>(sql`
      with t as (
        delete from verification_tokens
        where identifier = ${input.id} and token = ${hash}
          and type in ('email_verification', 'email_change') and expires > ${now}::timestamptz
        returning identifier, type, data
      )
      update users u set
        "emailVerified" = ${now}::timestamptz,
        email = case when t.type = 'email_change' then lower(t.data->>'newEmail') else u.email end,
        "updatedAt" = ${now}::timestamptz
      from t where u.id = t.identifier
      returning u.id, t.type as kind`);
  } catch (err) {
    const code = (err as { cause?: { code?: string } })?.cause?.code;
    if (code === "23505") throw authError("CONFLICT", "email_exists");
    throw err;
  }
  const row = res.rows[0];
  if (!row) throw authError("INVALID_REQUEST", "invalid_token");
  await auditInsert(deps.db, {
    action: row.kind === "email_change" ? "account.email_changed" : "auth.email_verified",
    actor: { ...deps.actor, type: "user", id: row.id },
    targetType: "user",
    targetId: row.id,
  });
}

export async function forgotPassword(deps: AuthDeps, input: { email?: string }): Promise<void> {
  const email = requireEmail(input.email, "missing_email");
  const user = await findUserByEmail(deps.db, email);
  if (user?.isActive) await issueAndSend(deps, user, "password_reset");
}

export async function resetPassword(
  deps: AuthDeps,
  input: { token?: string; id?: string; password?: string; confirmPassword?: string },
): Promise<void> {
  if (!input.token || !input.id || !input.password) throw authError("INVALID_REQUEST", "missing_fields");
  if (input.confirmPassword !== undefined && input.confirmPassword !== input.password) {
    throw authError("INVALID_REQUEST", "passwords_dont_match");
  }
  const problem = passwordProblem(input.password);
  if (problem) throw authError("INVALID_REQUEST", problem);
  const hash = await sha256Hex(input.token);
  const newHash = await hashPassword(input.password);
  const now = deps.now ?? new Date();
  const iso = now.toISOString();
  // One transaction: consume the token and set the password; revoke sessions only if it did.
  const [updated] = await deps.db.batch([
    deps.db.execute<{ id: string }>(sql`
      with t as (
        delete from verification_tokens
        where identifier = ${input.id} and token = ${hash} and type = 'password_reset' and expires > ${iso}::timestamptz
        returning identifier
      )
      update users set password = ${newHash}, "updatedAt" = ${iso}::timestamptz,
        "emailVerified" = coalesce("emailVerified", ${iso}::timestamptz)
      where id in (select identifier from t) returning id`),
    deps.db.execute(sql`
      update refresh_tokens set "revokedAt" = ${iso}::timestamptz
      where "userId" = ${input.id} and "revokedAt" is null
        and exists (select 1 from users where id = ${input.id} and password = ${newHash})`),
  ]);
  if (!updated.rows[0]) throw authError("INVALID_REQUEST", "invalid_token");
  await auditInsert(deps.db, {
    action: "auth.password_reset",
    actor: { ...deps.actor, type: "user", id: input.id },
    targetType: "user",
    targetId: input.id,
  });
}

export async function requestMagicLink(deps: AuthDeps, input: { email?: string }): Promise<void> {
  const email = requireEmail(input.email, "missing_email");
  const user = await findUserByEmail(deps.db, email);
  if (user?.isActive) await issueAndSend(deps, user, "magic_link");
}

/** Consumes a magic-link token (one use) and signs the user in; the link also proves the address. */
export async function verifyMagicLink(deps: AuthDeps, input: { token?: string }) {
  if (!input.token) throw authError("INVALID_REQUEST", "missing_token");
  const iso = (deps.now ?? new Date()).toISOString();
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
  const actor = { ...deps.actor, type: "user" as const, id: user.id };
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

export async function refresh(deps: AuthDeps, input: { refreshToken?: string }) {
  if (!input.refreshToken) throw authError("INVALID_REQUEST", "missing_refresh_token");
  const result = await rotateRefreshToken(deps.db, input.refreshToken, deps.meta, deps.now);
  if (!result.ok) {
    if (result.reason === "reused") {
      await auditInsert(deps.db, {
        action: "auth.refresh_reuse",
        actor: { ...deps.actor, type: "user", id: result.userId ?? null },
        targetType: "refresh_family",
        targetId: result.familyId ?? null,
      });
    }
    throw authError("UNAUTHORIZED", "invalid_refresh_token");
  }
  const [user] = await deps.db.select().from(users).where(eq(users.id, result.userId));
  if (!user) throw authError("UNAUTHORIZED", "user_not_found");
  if (!user.isActive) {
    await deps.db.batch([revokeAllForUser(deps.db, user.id)]);
    throw authError("UNAUTHORIZED", "account_disabled");
  }
  return tokenBody(await signAccessToken(user, deps.config.jwtSecret, deps.now), result.token);
}

/** Revokes the presented refresh token's family and, with a valid access token, all the user's. */
export async function logout(
  deps: AuthDeps,
  input: { refreshToken?: string },
  userId?: string,
): Promise<void> {
  if (input.refreshToken) await revokeByToken(deps.db, input.refreshToken);
  if (userId) {
    await deps.db.batch([
      revokeAllForUser(deps.db, userId),
      auditInsert(deps.db, {
        action: "auth.logout",
        actor: { ...deps.actor, type: "user", id: userId },
        targetType: "user",
        targetId: userId,
      }),
    ]);
  }
}
