// Access tokens: HS256 JWTs via jose with a fixed algorithm, `exp`, our `iss`/`aud`, and
// upstream's claim set so the website keeps reading the same fields.
import { jwtVerify, SignJWT } from "jose";
import type { User } from "../../platform/db/schema/index.ts";

export const ACCESS_TOKEN_TTL_SECONDS = 60 * 60;
export const JWT_ISSUER = "nodebyte-edge-api";
export const JWT_AUDIENCE = "nodebyte";

export interface AccessClaims {
  id: string;
  email: string;
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  roles: string[];
  isPterodactylAdmin: boolean;
  isVirtfusionAdmin: boolean;
  isSystemAdmin: boolean;
  pterodactylId: number | null;
  emailVerified: string | null;
}

const keyOf = (secret: string) => new TextEncoder().encode(secret);

export function claimsOf(user: User): AccessClaims {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    firstName: user.firstName,
    lastName: user.lastName,
    roles: user.roles,
    isPterodactylAdmin: user.isPterodactylAdmin,
    isVirtfusionAdmin: user.isVirtfusionAdmin,
    isSystemAdmin: user.isSystemAdmin,
    pterodactylId: user.pterodactylId,
    emailVerified: user.emailVerified ? user.emailVerified.toISOString() : null,
  };
}

export async function signAccessToken(user: User, secret: string, now = new Date()): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ ...claimsOf(user) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(user.id)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
    .sign(keyOf(secret));
}

/**
 * The user id of a valid access token, or undefined (bad signature, alg, exp, iss, aud or claims).
 * Before `legacyUntil`, a token the Go backend issued also passes: HS256 with the same secret,
 * not expired, upstream's claims (`id`, `email`, `roles`, `iat`, `exp`) and no `iss`/`aud`.
 */
export async function verifyAccessToken(
  token: string,
  secret: string,
  now = new Date(),
  legacyUntil?: Date,
): Promise<string | undefined> {
  const ours = await verifyOurs(token, secret, now);
  if (ours || !legacyUntil || now.getTime() >= legacyUntil.getTime()) return ours;
  return verifyUpstream(token, secret, now);
}

async function verifyUpstream(token: string, secret: string, now: Date): Promise<string | undefined> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ["HS256"],
      currentDate: now,
      requiredClaims: ["exp", "iat", "id", "email", "roles"],
    });
    if (payload.iss !== undefined || payload.aud !== undefined) return undefined;
    if (!Array.isArray(payload.roles)) return undefined;
    return typeof payload.id === "string" && payload.id.length > 0 ? payload.id : undefined;
  } catch {
    return undefined;
  }
}

async function verifyOurs(token: string, secret: string, now: Date): Promise<string | undefined> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ["HS256"],
      currentDate: now,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      requiredClaims: ["exp", "id"],
    });
    return typeof payload.id === "string" && payload.id.length > 0 ? payload.id : undefined;
  } catch {
    return undefined;
  }
}
