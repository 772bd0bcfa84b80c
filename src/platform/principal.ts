// The caller model: who a request (or job) acts as. `Principal` is the authenticated caller the
// access layer sets; `Actor` is what audit and the dependency seam record (a principal, the
// system, or an anonymous client) together with the client's address and user agent.
import type { AuditActorType, User } from "./db/schema/index.ts";

export type Principal =
  | { kind: "user"; user: User; isAdmin: boolean }
  | { kind: "service"; keyId: string; name: string; scopes: readonly string[] };

export const ADMIN_ROLES = ["SUPER_ADMIN", "ADMINISTRATOR"] as const;

export function isAdminUser(user: Pick<User, "isSystemAdmin" | "roles">): boolean {
  return user.isSystemAdmin || user.roles.some((r) => (ADMIN_ROLES as readonly string[]).includes(r));
}

export function isSuperAdmin(user: Pick<User, "isSystemAdmin" | "roles">): boolean {
  return user.roles.includes("SUPER_ADMIN");
}

/** Where a request came from: CF-Connecting-IP and the user agent (trimmed), null outside a request. */
export interface ClientMeta {
  ip: string | null;
  userAgent: string | null;
}

export const NO_CLIENT: ClientMeta = { ip: null, userAgent: null };

export interface Actor extends ClientMeta {
  type: AuditActorType;
  id: string | null;
}

export function actorOf(principal: Principal | undefined, meta: ClientMeta): Actor {
  if (!principal) return { type: "anonymous", id: null, ...meta };
  if (principal.kind === "user") return { type: "user", id: principal.user.id, ...meta };
  return { type: "api_key", id: principal.keyId, ...meta };
}

/** The same client acting as a specific user (e.g. the user who just signed in). */
export function actingAs(actor: Actor, type: AuditActorType, id: string | null): Actor {
  return { ...actor, type, id };
}

/** Crons and background jobs. */
export const SYSTEM_ACTOR: Actor = { type: "system", id: null, ip: null, userAgent: null };

/** The one reading of a request's client: CF-Connecting-IP (never X-Forwarded-For) and the user agent. */
export function clientMeta(headers: Headers): ClientMeta {
  return {
    ip: headers.get("cf-connecting-ip"),
    userAgent: headers.get("user-agent")?.slice(0, 512) ?? null,
  };
}
