// Who is calling: the four caller kinds of SPEC §5 (public, member, admin, service) as
// middleware. A member's user row is re-read on every request, so a disabled user or a removed
// admin role takes effect at once — the same rule for REST and the SSE stream. Naming the
// caller also makes it the actor of the request's dependency seam (what audit records).
import { eq } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { type User, users } from "../platform/db/schema/index.ts";
import { withActor } from "../platform/deps.ts";
import { AppError } from "../platform/errors.ts";
import { actorOf, isAdminUser, type Principal } from "../platform/principal.ts";
import type { AppEnv } from "../platform/types.ts";
import { verifyAccessToken } from "../services/accounts/jwt.ts";
import { resolveServiceKey } from "../services/api-keys/api-keys.ts";
import { consumeTicket } from "./tickets.ts";

/** Records the caller on the request and makes it the actor of the request's seam. */
export function setPrincipal(c: Context<AppEnv>, principal: Principal): void {
  c.set("principal", principal);
  c.set("deps", withActor(c.var.deps, actorOf(principal, c.var.deps.meta)));
}

function unauthorized(message: string, code: string): AppError {
  return new AppError("UNAUTHORIZED", message, { publicError: code });
}

function bearerToken(c: Context<AppEnv>, allowQueryToken: boolean): string | undefined {
  const header = c.req.header("authorization");
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    return m?.[1] ?? "";
  }
  return allowQueryToken ? c.req.query("token") : undefined;
}

/**
 * The signed-in user of this request. Errors carry upstream's snake_case codes
 * (missing_authorization, invalid_token, user_not_found, account_disabled).
 */
export async function authenticateUser(
  c: Context<AppEnv>,
  opts: { allowQueryToken?: boolean; alongside?: Alongside } = {},
): Promise<User> {
  const token = bearerToken(c, opts.allowQueryToken ?? false);
  if (token === undefined) throw unauthorized("Missing Authorization header", "missing_authorization");
  const { jwtSecret, legacyTokensUntil } = c.var.config;
  const id = token
    ? await verifyAccessToken(token, jwtSecret, c.var.deps.now(), legacyTokensUntil)
    : undefined;
  if (!id) throw unauthorized("Invalid or expired token", "invalid_token");
  return activeUser(c, id, opts.alongside);
}

type Batched = Parameters<AppEnv["Variables"]["db"]["batch"]>[0][number];

/**
 * Reads a route needs right after the user row, sent with it in ONE round trip (one Neon HTTP
 * request) instead of one after the other. Only for the signed-in user named by a verified token;
 * the results are handed over only once that user is known to be active.
 */
export interface Alongside {
  /** The queries to send with the user row ([]: none needed, e.g. the answer is cached). */
  queries(c: Context<AppEnv>, userId: string): Batched[];
  accept(c: Context<AppEnv>, user: User, results: unknown[]): Promise<void> | void;
}

async function activeUser(c: Context<AppEnv>, id: string, alongside?: Alongside): Promise<User> {
  const mine = c.var.db.select().from(users).where(eq(users.id, id));
  const extra = alongside?.queries(c, id) ?? [];
  let user: User | undefined;
  let results: unknown[] = [];
  if (extra.length) {
    const [rows, ...rest] = (await c.var.db.batch([mine, ...extra] as [typeof mine, ...Batched[]])) as [
      User[],
      ...unknown[],
    ];
    user = rows[0];
    results = rest;
  } else [user] = await mine;
  if (!user) throw unauthorized("User not found", "user_not_found");
  if (!user.isActive) throw unauthorized("Account disabled", "account_disabled");
  if (alongside && extra.length) await alongside.accept(c, user, results);
  return user;
}

/** Whether a user is (still) an active admin: long-lived connections re-check with this. */
export async function isActiveAdmin(db: AppEnv["Variables"]["db"], userId: string): Promise<boolean> {
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  return Boolean(user?.isActive && isAdminUser(user));
}

function presentedApiKey(c: Context<AppEnv>): string | undefined {
  return c.req.header("x-api-key") ?? c.req.query("api_key") ?? undefined;
}

async function authenticateService(c: Context<AppEnv>, scope: string): Promise<Principal> {
  const presented = presentedApiKey(c);
  const identity = presented
    ? await resolveServiceKey(c.var.db, presented, c.var.config.backendApiKey, c.var.deps.now())
    : undefined;
  if (!identity) throw new AppError("UNAUTHORIZED", "Invalid or missing API key");
  if (!identity.scopes.includes(scope)) {
    throw new AppError("FORBIDDEN", `API key lacks the "${scope}" scope`);
  }
  if (identity.touch) c.var.deps.waitUntil(identity.touch());
  return { kind: "service", keyId: identity.keyId, name: identity.name, scopes: identity.scopes };
}

/** Any signed-in, active member (`alongside`: reads that travel with the user row). */
export function requireUser(opts: { alongside?: Alongside } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = await authenticateUser(c, opts);
    setPrincipal(c, { kind: "user", user, isAdmin: isAdminUser(user) });
    await next();
  };
}

/**
 * A member who is an admin (isSystemAdmin, SUPER_ADMIN or ADMINISTRATOR), re-read from the DB.
 * With `ticketPurpose`, a `?ticket=` from issueTicket() stands in for the bearer token (once).
 */
export function requireAdmin(
  opts: { allowQueryToken?: boolean; ticketPurpose?: string } = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ticket = opts.ticketPurpose ? c.req.query("ticket") : undefined;
    let user: User;
    if (ticket !== undefined && opts.ticketPurpose) {
      const id = await consumeTicket(c.var.deps, ticket, opts.ticketPurpose);
      if (!id) throw unauthorized("Invalid, used or expired ticket", "invalid_ticket");
      user = await activeUser(c, id);
    } else user = await authenticateUser(c, opts);
    if (!isAdminUser(user)) throw new AppError("FORBIDDEN", "Admin access required");
    setPrincipal(c, { kind: "user", user, isAdmin: true });
    await next();
  };
}

/** A service key (root or managed) holding `scope`. */
export function requireService(scope: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    setPrincipal(c, await authenticateService(c, scope));
    await next();
  };
}

/** Either a member (admins act for anyone) or a service key with `scope`. */
export function requireUserOrService(scope: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (presentedApiKey(c) !== undefined && !c.req.header("authorization")) {
      setPrincipal(c, await authenticateService(c, scope));
    } else {
      const user = await authenticateUser(c);
      setPrincipal(c, { kind: "user", user, isAdmin: isAdminUser(user) });
    }
    await next();
  };
}

export function principalOf(c: Context<AppEnv>): Principal {
  const p = c.get("principal");
  if (!p) throw new AppError("UNAUTHORIZED", "Not authenticated");
  return p;
}

export function currentUser(c: Context<AppEnv>): User {
  const p = principalOf(c);
  if (p.kind !== "user") throw new AppError("FORBIDDEN", "A user token is required");
  return p.user;
}
