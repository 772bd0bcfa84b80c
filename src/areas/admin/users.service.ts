// Admin user management: the filtered user list and role changes (SUPER_ADMIN guarded).
import { and, asc, count, desc, eq, ilike, isNotNull, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { servers, type User, users } from "../../platform/db/schema/index.ts";
import { AppError } from "../../platform/errors.ts";
import { isSuperAdmin } from "../../platform/principal.ts";
import { containsPattern } from "../../platform/sql.ts";

export const ROLES = [
  "MEMBER",
  "PARTNER",
  "SPONSOR",
  "TECH_TEAM",
  "SUPPORT_TEAM",
  "ADMINISTRATOR",
  "SUPER_ADMIN",
] as const;
export type Role = (typeof ROLES)[number];

export const USER_FILTERS = ["all", "active", "inactive", "admin", "migrated", "not-migrated"] as const;
export const USER_SORTS = ["created", "createdAt", "email", "username", "lastLoginAt"] as const;

export interface UserListQuery {
  page: number;
  pageSize: number;
  search?: string;
  filter: (typeof USER_FILTERS)[number];
  sort: (typeof USER_SORTS)[number];
  order: "asc" | "desc";
}

export async function listUsers(db: Database, q: UserListQuery) {
  const where: SQL[] = [];
  if (q.search) {
    const pattern = containsPattern(q.search);
    const match = or(ilike(users.email, pattern), ilike(users.username, pattern));
    if (match) where.push(match);
  }
  const filters: Record<UserListQuery["filter"], SQL | undefined> = {
    all: undefined,
    active: eq(users.isActive, true),
    inactive: eq(users.isActive, false),
    admin: sql`(${users.isSystemAdmin} or ${users.isPterodactylAdmin} or ${users.roles} && array['SUPER_ADMIN','ADMINISTRATOR']::text[])`,
    migrated: eq(users.isMigrated, true),
    "not-migrated": eq(users.isMigrated, false),
  };
  const f = filters[q.filter];
  if (f) where.push(f);
  const filter = where.length ? and(...where) : undefined;
  const column = {
    created: users.createdAt,
    createdAt: users.createdAt,
    email: users.email,
    username: users.username,
    lastLoginAt: users.lastLoginAt,
  }[q.sort];
  const order = q.order === "asc" ? asc(column) : desc(column);
  const serverCounts = db
    .select({ ownerId: servers.ownerId, n: count().as("n") })
    .from(servers)
    .where(and(isNotNull(servers.ownerId), isNull(servers.deletedAt)))
    .groupBy(servers.ownerId)
    .as("sc");
  const [rows, totals] = await db.batch([
    db
      .select({ user: users, serverCount: sql<number>`coalesce(${serverCounts.n}, 0)::int` })
      .from(users)
      .leftJoin(serverCounts, eq(serverCounts.ownerId, users.id))
      .where(filter)
      .orderBy(order, asc(users.id))
      .limit(q.pageSize)
      .offset((q.page - 1) * q.pageSize),
    db.select({ n: count() }).from(users).where(filter),
  ]);
  return { rows, total: totals[0]?.n ?? 0 };
}

export function adminUserView(user: User, serverCount: number) {
  return {
    id: user.id,
    email: user.email,
    // The admin page calls charAt(0) on it: never null.
    username: user.username ?? user.email.split("@")[0] ?? "",
    firstName: user.firstName ?? "",
    lastName: user.lastName ?? "",
    pterodactylId: user.pterodactylId,
    // The panel e-mail never changes the login; admins see where they differ.
    panelEmail: user.panelEmail,
    emailDiffersFromPanel: user.panelEmail !== null && user.panelEmail !== user.email.toLowerCase(),
    roles: user.roles,
    isPterodactylAdmin: user.isPterodactylAdmin,
    isVirtfusionAdmin: user.isVirtfusionAdmin,
    isSystemAdmin: user.isSystemAdmin,
    isMigrated: user.isMigrated,
    isActive: user.isActive,
    emailVerified: user.emailVerified !== null,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
    lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
    serverCount,
  };
}

/**
 * New roles for a user. Only a SUPER_ADMIN may grant or remove SUPER_ADMIN or change
 * isSystemAdmin. Upstream set isSystemAdmin = (SUPER_ADMIN ∈ roles), silently clearing it; here
 * it changes only when asked (or turns on with a SUPER_ADMIN grant).
 */
export function planRoleChange(
  actor: User,
  target: User,
  roles: Role[],
  isSystemAdmin: boolean | undefined,
): { roles: Role[]; isSystemAdmin: boolean } {
  const next = [...new Set<Role>(roles.length ? roles : ["MEMBER"])];
  const hadSuper = target.roles.includes("SUPER_ADMIN");
  const hasSuper = next.includes("SUPER_ADMIN");
  const touchesSuper =
    hadSuper !== hasSuper || (isSystemAdmin !== undefined && isSystemAdmin !== target.isSystemAdmin);
  if (touchesSuper && !isSuperAdmin(actor)) {
    throw new AppError("FORBIDDEN", "Only a SUPER_ADMIN may grant or remove SUPER_ADMIN or system admin");
  }
  return { roles: next, isSystemAdmin: isSystemAdmin ?? (target.isSystemAdmin || (hasSuper && !hadSuper)) };
}

export async function findUser(db: Database, id: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.id, id));
  return user;
}
