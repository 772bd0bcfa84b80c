// Passwords: bcrypt (cost 10) compatible with existing $2a$/$2b$/$2y$ hashes, and the policy
// upstream applied on register/reset, now also on password change.
import bcrypt from "bcryptjs";

export const BCRYPT_COST = 10;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

/** False for a missing hash (panel-synced users without a password) or a malformed one. */
export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  if (!hash || !/^\$2[aby]\$\d\d\$/.test(hash)) return false;
  try {
    return await bcrypt.compare(password, hash.replace(/^\$2y\$/, "$2b$"));
  } catch {
    return false;
  }
}

/** Upstream's snake_case policy codes (the website maps them): ≥ 8 chars, upper, lower, digit. */
export function passwordProblem(password: string): string | undefined {
  if (new TextEncoder().encode(password).byteLength < 8) return "password_too_short";
  if (new TextEncoder().encode(password).byteLength > 72) return "password_too_long";
  if (!/[A-Z]/.test(password)) return "password_needs_uppercase";
  if (!/[a-z]/.test(password)) return "password_needs_lowercase";
  if (!/[0-9]/.test(password)) return "password_needs_digit";
  return undefined;
}
