// The audit trail, a sink: one append-only row per sensitive mutation, for the actor it is
// given (the seam's actor: a principal, the system, or an anonymous client). Written by one
// function (or, to join a caller's batch, built by one function); read by the admin audit route.
import { and, count, desc, eq, gte, lte, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { auditLogs } from "../../platform/db/schema/index.ts";
import type { Actor } from "../../platform/principal.ts";

/** Audit records whoever the seam's actor is. */
export type AuditActor = Actor;

export interface AuditEvent {
  action: string;
  actor: AuditActor;
  targetType?: string;
  targetId?: string | null;
  /** Never secrets: key names, ids, counts and outcomes only. */
  details?: Record<string, unknown>;
}

/** The insert, for inclusion in a caller's `db.batch([...])` so the change and its record commit together. */
export function auditInsert(db: Database, event: AuditEvent) {
  return db.insert(auditLogs).values(auditRow(event));
}

/** The row of one event (the column mapping both inserts share). */
function auditRow(event: AuditEvent): typeof auditLogs.$inferInsert {
  return {
    action: event.action,
    actorType: event.actor.type,
    actorId: event.actor.id,
    targetType: event.targetType ?? null,
    targetId: event.targetId ?? null,
    ip: event.actor.ip,
    userAgent: event.actor.userAgent,
    details: event.details ?? {},
  };
}

/** Many events in one insert (a batch job that audits every row it changed). */
export function auditInsertMany(db: Database, events: AuditEvent[]) {
  return db.insert(auditLogs).values(events.map(auditRow));
}

/** A value, or SQL over the columns of the statement's source (e.g. a CTE's `id`). */
type Column = string | null | SQL;

/**
 * The audit insert as one row per row of `source` (`from u`, `where exists (…)`): for a statement
 * that must audit only what it really changed, in the same transaction. The one column list.
 */
export function auditSelect(
  event: {
    action: Column;
    actor: Omit<AuditActor, "id"> & { id: Column };
    targetType: string;
    targetId: Column;
    details?: Record<string, unknown>;
  },
  source: SQL,
): SQL {
  const a = event.actor;
  return sql`insert into audit_logs (action, "actorType", "actorId", "targetType", "targetId", ip, "userAgent", details)
    select ${event.action}, ${a.type}, ${a.id}, ${event.targetType}, ${event.targetId}, ${a.ip}, ${a.userAgent},
      ${JSON.stringify(event.details ?? {})}::jsonb ${source}`;
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
