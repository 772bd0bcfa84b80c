// The audit trail: one append-only row per sensitive mutation, written by one function (or, to
// join a caller's batch, built by one function) and read by the admin audit route.
import { and, count, desc, eq, gte, lte, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import type { Principal } from "../auth/access.ts";
import type { Database } from "../db/client.ts";
import { type AuditActorType, auditLogs } from "../db/schema/index.ts";
import type { AppEnv } from "../types.ts";

export interface AuditActor {
  type: AuditActorType;
  id: string | null;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditEvent {
  action: string;
  actor: AuditActor;
  targetType?: string;
  targetId?: string | null;
  /** Never secrets: key names, ids, counts and outcomes only. */
  details?: Record<string, unknown>;
}

export function actorFromPrincipal(
  principal: Principal | undefined,
  ip: string | null,
  userAgent: string | null,
): AuditActor {
  if (!principal) return { type: "anonymous", id: null, ip, userAgent };
  if (principal.kind === "user") return { type: "user", id: principal.user.id, ip, userAgent };
  return { type: "api_key", id: principal.keyId, ip, userAgent };
}

/** The actor of this request (the principal if any), with client IP and user agent. */
export function requestActor(
  c: Context<AppEnv>,
  override?: { type: AuditActorType; id: string | null },
): AuditActor {
  const ip = c.req.header("cf-connecting-ip") ?? null;
  const ua = c.req.header("user-agent")?.slice(0, 512) ?? null;
  if (override) return { ...override, ip, userAgent: ua };
  return actorFromPrincipal(c.get("principal"), ip, ua);
}

export const SYSTEM_ACTOR: AuditActor = { type: "system", id: null, ip: null, userAgent: null };

/** The insert, for inclusion in a caller's `db.batch([...])` so the change and its record commit together. */
export function auditInsert(db: Database, event: AuditEvent) {
  return db.insert(auditLogs).values({
    action: event.action,
    actorType: event.actor.type,
    actorId: event.actor.id,
    targetType: event.targetType ?? null,
    targetId: event.targetId ?? null,
    ip: event.actor.ip,
    userAgent: event.actor.userAgent,
    details: event.details ?? {},
  });
}

export async function audit(db: Database, event: AuditEvent): Promise<void> {
  await auditInsert(db, event);
}

export interface AuditQuery {
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  since?: Date;
  until?: Date;
  page: number;
  pageSize: number;
}

export async function listAudit(db: Database, q: AuditQuery) {
  const where: SQL[] = [];
  if (q.action) where.push(eq(auditLogs.action, q.action));
  if (q.actorId) where.push(eq(auditLogs.actorId, q.actorId));
  if (q.targetType) where.push(eq(auditLogs.targetType, q.targetType));
  if (q.targetId) where.push(eq(auditLogs.targetId, q.targetId));
  if (q.since) where.push(gte(auditLogs.createdAt, q.since));
  if (q.until) where.push(lte(auditLogs.createdAt, q.until));
  const filter = where.length ? and(...where) : undefined;
  const [rows, total] = await db.batch([
    db
      .select()
      .from(auditLogs)
      .where(filter)
      .orderBy(desc(auditLogs.createdAt), desc(auditLogs.id))
      .limit(q.pageSize)
      .offset((q.page - 1) * q.pageSize),
    db.select({ n: count() }).from(auditLogs).where(filter),
  ]);
  return { rows, total: total[0]?.n ?? 0 };
}
