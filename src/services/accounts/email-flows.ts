// E-mail-token flows behind /api/v1/auth/* and the account page: registration (with its
// verification e-mail), e-mail verification and change, password reset and magic-link requests.
// Tokens are single-use and stored hashed (one-time-tokens.ts); the e-mails themselves (template,
// link, idempotency) belong to notifications (account-emails.ts).
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { sha256Hex } from "../../platform/crypto.ts";
import { type User, users } from "../../platform/db/schema/index.ts";
import { actingAs } from "../../platform/principal.ts";
import { isUniqueViolation } from "../../platform/sql.ts";
import { auditInsert, auditSelect } from "../audit/audit.ts";
import { sendAccountEmail, siteBase } from "../notifications/account-emails.ts";
import { readSettings } from "../settings/settings.ts";
import { issueOneTimeToken, type OneTimeTokenType } from "./one-time-tokens.ts";
import { hashPassword, passwordProblem } from "./password.ts";
import { type AccountDeps, authError, findUserByEmail, requireEmail } from "./users.ts";

export interface RegisterInput {
  email?: string;
  password?: string;
  confirmPassword?: string;
  username?: string;
  firstName?: string;
  lastName?: string;
}

export async function register(deps: AccountDeps, input: RegisterInput): Promise<void> {
  if (!input.email || !input.password) throw authError("INVALID_REQUEST", "missing_fields");
  const email = requireEmail(input.email);
  const settings = await readSettings(deps, ["registration_enabled", "site_url"]);
  if (!settings.get("registration_enabled")) {
    throw authError("FORBIDDEN", "registration_disabled", "Registration is disabled");
  }
  const problem = passwordProblem(input.password);
  if (problem) throw authError("INVALID_REQUEST", problem);
  if (input.confirmPassword !== undefined && input.confirmPassword !== input.password) {
    throw authError("INVALID_REQUEST", "passwords_dont_match");
  }
  if (await findUserByEmail(deps.db, email)) throw authError("CONFLICT", "email_exists");
  const id = crypto.randomUUID();
  const verification = await issueOneTimeToken(deps.db, id, "email_verification", null, deps.now());
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
        actor: actingAs(deps.actor, "user", id),
        targetType: "user",
        targetId: id,
      }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw authError("CONFLICT", "email_exists");
    throw err;
  }
  await sendAccountEmail(deps, {
    user: { id, email, username: input.username ?? null },
    kind: "email_verification",
    token: verification.token,
    base: siteBase(settings, deps.config),
  });
}

/** Issues a token of `type` for the user and e-mails it (forgot-password, magic link, resend, e-mail change). */
export async function issueAndSend(
  deps: AccountDeps,
  user: User,
  type: OneTimeTokenType,
  data: Record<string, unknown> | null = null,
  to?: string,
  /** Statements (an audit row) that commit with the token. */
  alsoDo: BatchItem<"pg">[] = [],
) {
  const issued = await issueOneTimeToken(deps.db, user.id, type, data, deps.now());
  await deps.db.batch([...issued.statements, ...alsoDo]);
  await sendAccountEmail(deps, { user, kind: type, token: issued.token, to });
}

/**
 * Consumes an e-mail verification or e-mail change token and applies it, in one statement.
 * An e-mail change moves the address only now, after the new address proved itself.
 */
export async function verifyEmail(deps: AccountDeps, input: { token?: string; id?: string }) {
  if (!input.token || !input.id) throw authError("INVALID_REQUEST", "missing_fields");
  const hash = await sha256Hex(input.token);
  const now = deps.now().toISOString();
  let res: { rows: { id: string; kind: string }[] };
  try {
    res = await deps.db.execute<{ id: string; kind: string }>(sql`
      with t as (
        delete from verification_tokens
        where identifier = ${input.id} and token = ${hash}
          and type in ('email_verification', 'email_change') and expires > ${now}::timestamptz
        returning identifier, type, data
      )
      , u as (
        update users u set
          "emailVerified" = ${now}::timestamptz,
          email = case when t.type = 'email_change' then lower(t.data->>'newEmail') else u.email end,
          "updatedAt" = ${now}::timestamptz
        from t where u.id = t.identifier
        returning u.id, t.type as kind
      ),
      -- The audit row commits with the change, in the same statement.
      a as (${auditSelect(
        {
          action: sql`case when kind = 'email_change' then 'account.email_changed' else 'auth.email_verified' end`,
          actor: { ...deps.actor, type: "user", id: sql`id` },
          targetType: "user",
          targetId: sql`id`,
        },
        sql`from u`,
      )})
      select id, kind from u`);
  } catch (err) {
    if (isUniqueViolation(err)) throw authError("CONFLICT", "email_exists");
    throw err;
  }
  if (!res.rows[0]) throw authError("INVALID_REQUEST", "invalid_token");
}

/**
 * Forgot-password and magic-link requests do the same thing whether or not the address has an
 * account: validate, queue one job, answer. The job looks the account up and sends the e-mail,
 * so neither the answer nor its timing tells a stranger whether the address is registered.
 */
export const TOKEN_EMAIL_JOB = "account.token-email";
export type TokenEmailKind = "password_reset" | "magic_link";

async function queueTokenEmail(deps: Pick<AccountDeps, "enqueue">, kind: TokenEmailKind, email: string) {
  await deps.enqueue(TOKEN_EMAIL_JOB, { kind, email }, { priority: "critical" });
}

/** The job's work: an active account gets its token e-mail; anything else, nothing. */
export async function sendTokenEmail(
  deps: AccountDeps,
  kind: TokenEmailKind,
  email: string,
): Promise<boolean> {
  const user = await findUserByEmail(deps.db, email);
  if (!user?.isActive) return false;
  await issueAndSend(deps, user, kind);
  return true;
}

export async function forgotPassword(deps: AccountDeps, input: { email?: string }): Promise<void> {
  await queueTokenEmail(deps, "password_reset", requireEmail(input.email, "missing_email"));
}

export async function resetPassword(
  deps: AccountDeps,
  input: { token?: string; id?: string; password?: string; confirmPassword?: string },
): Promise<void> {
  if (!input.token || !input.id || !input.password) throw authError("INVALID_REQUEST", "missing_fields");
  if (input.confirmPassword !== undefined && input.confirmPassword !== input.password) {
    throw authError("INVALID_REQUEST", "passwords_dont_match");
  }
  const problem = passwordProblem(input.password);
  if (problem) throw authError("INVALID_REQUEST", problem);
  const hash = await sha256Hex(input.token);
  const iso = deps.now().toISOString();
  // The token first: bcrypt (deliberately slow) runs only for a live reset token.
  const live = await deps.db.execute(sql`
    select 1 from verification_tokens
    where identifier = ${input.id} and token = ${hash} and type = 'password_reset' and expires > ${iso}::timestamptz`);
  if (live.rows.length === 0) throw authError("INVALID_REQUEST", "invalid_token");
  const newHash = await hashPassword(input.password);
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
    // The audit row, in the same transaction, only if the password changed.
    deps.db.execute(
      auditSelect(
        {
          action: "auth.password_reset",
          actor: actingAs(deps.actor, "user", input.id),
          targetType: "user",
          targetId: input.id,
        },
        sql`where exists (select 1 from users where id = ${input.id} and password = ${newHash})`,
      ),
    ),
    // Twice: see refresh-tokens.ts (a rotation committing meanwhile leaves no live successor).
    ...[0, 1].map(() =>
      deps.db.execute(sql`
      update refresh_tokens set "revokedAt" = ${iso}::timestamptz
      where "userId" = ${input.id} and "revokedAt" is null
        and exists (select 1 from users where id = ${input.id} and password = ${newHash})`),
    ),
  ]);
  if (!updated.rows[0]) throw authError("INVALID_REQUEST", "invalid_token");
}

export async function requestMagicLink(deps: AccountDeps, input: { email?: string }): Promise<void> {
  await queueTokenEmail(deps, "magic_link", requireEmail(input.email, "missing_email"));
}
