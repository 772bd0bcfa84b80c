// The account projection every answer uses (the website's UserData), the one e-mail lookup, and
// the error shape of the account flows (upstream's snake_case codes in `error`).
import { sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { type User, users } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { isValidEmail, normalizeEmail } from "../../platform/email-address.ts";
import { AppError, type ErrorCode } from "../../platform/errors.ts";

/** What the account flows read from the seam. */
export type AccountDeps = Pick<Deps, "db" | "config" | "actor" | "meta" | "now" | "enqueue">;

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

/** The normalised, valid e-mail of a request field, or the flow's snake_case error. */
export function requireEmail(email: string | undefined, missing = "missing_fields"): string {
  if (!email) throw authError("INVALID_REQUEST", missing);
  const e = normalizeEmail(email);
  if (!isValidEmail(e)) throw authError("INVALID_REQUEST", "invalid_email");
  return e;
}
