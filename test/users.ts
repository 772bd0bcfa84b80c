// Test users and tokens: users seeded straight into the database, access tokens signed like
// production, and the hostile token variants the security tests send.
import { SignJWT } from "jose";
import { inject } from "vitest";
import { type User, users } from "../src/platform/db/schema/index.ts";
import { signAccessToken } from "../src/services/accounts/jwt.ts";
import { hashPassword } from "../src/services/accounts/password.ts";
import { testDb, testEnv, uid } from "./helpers.ts";

export { TEST_PASSWORD } from "./test-secrets.ts";

import { TEST_PASSWORD } from "./test-secrets.ts";

let cachedHash: Promise<string> | undefined;

export interface TestUser {
  user: User;
  password: string;
  token: string;
}

export async function createTestUser(
  opts: {
    roles?: string[];
    isSystemAdmin?: boolean;
    verified?: boolean;
    active?: boolean;
    email?: string;
  } = {},
): Promise<TestUser> {
  cachedHash ??= hashPassword(TEST_PASSWORD);
  const id = uid("user");
  const [user] = await testDb()
    .insert(users)
    .values({
      id,
      email: opts.email ?? `${id}@example.com`,
      password: await cachedHash,
      username: id.slice(0, 20),
      roles: opts.roles ?? ["MEMBER"],
      isSystemAdmin: opts.isSystemAdmin ?? false,
      emailVerified: opts.verified === false ? null : new Date(),
      isActive: opts.active ?? true,
    })
    .returning();
  if (!user) throw new Error("user insert failed");
  return { user, password: TEST_PASSWORD, token: await signAccessToken(user, String(testEnv.JWT_SECRET)) };
}

export const createAdmin = () => createTestUser({ roles: ["MEMBER", "ADMINISTRATOR"] });

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const b64url = (v: object) =>
  btoa(JSON.stringify(v)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");

/** Tokens that must all be refused, for a user who would otherwise pass. */
export async function hostileTokens(user: User): Promise<Record<string, string>> {
  const secret = new TextEncoder().encode(String(testEnv.JWT_SECRET));
  const now = Math.floor(Date.now() / 1000);
  const claims = { id: user.id, email: user.email, roles: user.roles, isSystemAdmin: user.isSystemAdmin };
  const base = () => new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject(user.id);
  return {
    malformed: "not-a-jwt",
    forgedSignature: await base()
      .setIssuer("nodebyte-edge-api")
      .setAudience("nodebyte")
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode("some-other-secret-value-1234567890")),
    algNone: `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ ...claims, iss: "nodebyte-edge-api", aud: "nodebyte", exp: now + 600 })}.`,
    expired: await base()
      .setIssuer("nodebyte-edge-api")
      .setAudience("nodebyte")
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(secret),
    wrongAudience: await base()
      .setIssuer("nodebyte-edge-api")
      .setAudience("someone-else")
      .setExpirationTime(now + 600)
      .sign(secret),
    wrongIssuer: await base()
      .setIssuer("evil")
      .setAudience("nodebyte")
      .setExpirationTime(now + 600)
      .sign(secret),
    noExpiry: await base().setIssuer("nodebyte-edge-api").setAudience("nodebyte").sign(secret),
    hs512: await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS512" })
      .setIssuer("nodebyte-edge-api")
      .setAudience("nodebyte")
      .setExpirationTime(now + 600)
      .sign(secret),
  };
}

/** E-mails the fake Resend received for an address. */
export async function emailsTo(
  address: string,
): Promise<{ subject: string; text: string; html: string; idempotencyKey: string | null }[]> {
  const res = await fetch(`${inject("resendUrl")}/__emails?to=${encodeURIComponent(address)}`);
  return (await res.json()) as {
    subject: string;
    text: string;
    html: string;
    idempotencyKey: string | null;
  }[];
}

/** The `token` and `id` of the link in an e-mail's text part. */
export function linkParams(text: string): { token: string; id: string } {
  const m = /https?:\/\/\S+/.exec(text);
  if (!m) throw new Error(`no link in email: ${text}`);
  const url = new URL(m[0]);
  return { token: url.searchParams.get("token") ?? "", id: url.searchParams.get("id") ?? "" };
}

/**
 * An access token as the Go backend issued it (reference §1.5): HS256 with the shared secret,
 * upstream's claims, 30 days, no `iss`/`aud`. `tweak` alters it into the variants that must fail.
 */
export async function upstreamToken(
  user: Pick<User, "id" | "email" | "username" | "roles" | "isSystemAdmin">,
  tweak: {
    expiresIn?: number;
    secret?: string;
    alg?: "HS256" | "HS512";
    noExp?: boolean;
    issuer?: string;
  } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    id: user.id,
    email: user.email,
    username: user.username ?? "",
    roles: user.roles,
    isPterodactylAdmin: false,
    isVirtfusionAdmin: false,
    isSystemAdmin: user.isSystemAdmin,
  })
    .setProtectedHeader({ alg: tweak.alg ?? "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setNotBefore(now);
  if (!tweak.noExp) jwt.setExpirationTime(now + (tweak.expiresIn ?? 30 * 24 * 3600));
  if (tweak.issuer) jwt.setIssuer(tweak.issuer);
  return jwt.sign(new TextEncoder().encode(tweak.secret ?? String(testEnv.JWT_SECRET)));
}
