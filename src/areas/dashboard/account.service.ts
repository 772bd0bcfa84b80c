// The member's own account: profile view and edits, password change (revokes sessions),
// verification resend, and e-mail change (the new address must confirm before it is used).
import { eq } from "drizzle-orm";
import { type User, users } from "../../platform/db/schema/index.ts";
import { isValidEmail, normalizeEmail } from "../../platform/email-address.ts";
import { AppError } from "../../platform/errors.ts";
import { issueAndSend } from "../../services/accounts/email-flows.ts";
import { hashPassword, passwordProblem, verifyPassword } from "../../services/accounts/password.ts";
import { revokeAllForUser } from "../../services/accounts/refresh-tokens.ts";
import { type AccountDeps, findUserByEmail } from "../../services/accounts/users.ts";
import { auditInsert } from "../../services/audit/audit.ts";

export function accountView(user: User) {
  return {
    id: user.id,
    username: user.username ?? user.email.split("@")[0] ?? "",
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    phoneNumber: user.phoneNumber,
    companyName: user.companyName,
    billingEmail: user.billingEmail,
    avatarUrl: user.avatarUrl,
    accountBalance: Number(user.accountBalance ?? 0),
    createdAt: user.createdAt.toISOString(),
    emailVerified: user.emailVerified !== null,
    lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
    roles: user.roles,
  };
}

export interface ProfilePatch {
  username?: string;
  firstName?: string | null;
  lastName?: string | null;
  phoneNumber?: string | null;
  companyName?: string | null;
  billingEmail?: string | null;
  email?: string;
}

export async function updateProfile(deps: AccountDeps, user: User, patch: ProfilePatch): Promise<User> {
  if (patch.email !== undefined && normalizeEmail(patch.email) !== user.email) {
    // Upstream switched the address here unverified; changes go through change-email now.
    throw new AppError("INVALID_REQUEST", "Use /api/v1/dashboard/account/change-email to change your email");
  }
  if (patch.billingEmail && !isValidEmail(normalizeEmail(patch.billingEmail))) {
    throw new AppError("INVALID_REQUEST", "Invalid billing email");
  }
  const set: Partial<User> = {};
  for (const key of [
    "username",
    "firstName",
    "lastName",
    "phoneNumber",
    "companyName",
    "billingEmail",
  ] as const) {
    const v = patch[key];
    if (v !== undefined) (set as Record<string, unknown>)[key] = typeof v === "string" ? v.trim() || null : v;
  }
  if (set.username === null) throw new AppError("INVALID_REQUEST", "Username cannot be empty");
  if (Object.keys(set).length === 0) throw new AppError("INVALID_REQUEST", "No fields to update");
  const [updated] = await deps.db.batch([
    deps.db
      .update(users)
      .set({ ...set, updatedAt: deps.now() })
      .where(eq(users.id, user.id))
      .returning(),
    auditInsert(deps.db, {
      action: "account.profile_updated",
      actor: deps.actor,
      targetType: "user",
      targetId: user.id,
      details: { fields: Object.keys(set) },
    }),
  ]);
  const row = updated[0];
  if (!row) throw new AppError("NOT_FOUND", "User not found");
  return row;
}

export async function changePassword(
  deps: AccountDeps,
  user: User,
  input: { currentPassword: string; newPassword: string },
) {
  if (!(await verifyPassword(input.currentPassword, user.password))) {
    throw new AppError("UNAUTHORIZED", "Current password is incorrect");
  }
  const problem = passwordProblem(input.newPassword);
  if (problem) throw new AppError("INVALID_REQUEST", problem.replaceAll("_", " "), { publicError: problem });
  await deps.db.batch([
    deps.db
      .update(users)
      .set({ password: await hashPassword(input.newPassword), updatedAt: deps.now() })
      .where(eq(users.id, user.id)),
    ...revokeAllForUser(deps.db, user.id, deps.now()),
    auditInsert(deps.db, {
      action: "account.password_changed",
      actor: deps.actor,
      targetType: "user",
      targetId: user.id,
    }),
  ]);
}

export async function resendVerification(deps: AccountDeps, user: User): Promise<void> {
  if (user.emailVerified) throw new AppError("INVALID_REQUEST", "Email already verified");
  await issueAndSend(deps, user, "email_verification");
}

export async function requestEmailChange(
  deps: AccountDeps,
  user: User,
  input: { newEmail: string; currentPassword: string },
) {
  if (!(await verifyPassword(input.currentPassword, user.password))) {
    throw new AppError("UNAUTHORIZED", "Current password is incorrect");
  }
  const newEmail = normalizeEmail(input.newEmail);
  if (!isValidEmail(newEmail)) throw new AppError("INVALID_REQUEST", "Invalid email address");
  if (newEmail === user.email) throw new AppError("INVALID_REQUEST", "That is already your email");
  if (await findUserByEmail(deps.db, newEmail)) throw new AppError("CONFLICT", "Email already in use");
  await issueAndSend(deps, user, "email_change", { newEmail }, newEmail, [
    auditInsert(deps.db, {
      action: "account.email_change_requested",
      actor: deps.actor,
      targetType: "user",
      targetId: user.id,
      details: { newEmail },
    }),
  ]);
}
