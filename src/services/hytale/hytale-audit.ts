// Hytale audit events: one row in `hytale_audit_logs` (what GET /api/v1/hytale/logs reads, with
// the client's IP and user agent) and the same event in the shared audit trail (with the actor),
// built as statements so they join the batch of the change they describe.
import { and, desc, eq } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { type HytaleAuditEvent, hytaleAuditLogs } from "../../platform/db/schema/index.ts";
import type { Actor } from "../../platform/principal.ts";
import { auditInsert, auditInsertMany } from "../audit/audit.ts";

export interface HytaleAuditEntry {
  accountId: string;
  event: HytaleAuditEvent;
  actor: Actor;
  profileId?: string | null;
  /** Never a token: outcomes, reasons, ids. */
  details?: Record<string, unknown>;
}

export function hytaleAuditInserts(db: Database, e: HytaleAuditEntry) {
  return [
    db.insert(hytaleAuditLogs).values({
      accountId: e.accountId,
      profileId: e.profileId ?? null,
      eventType: e.event,
      details: e.details ? JSON.stringify(e.details) : null,
      ipAddress: e.actor.ip,
      userAgent: e.actor.userAgent,
    }),
    auditInsert(db, {
      action: `hytale.${e.event.toLowerCase()}`,
      actor: e.actor,
      targetType: "hytale_account",
      targetId: e.accountId,
      details: { ...(e.details ?? {}), ...(e.profileId ? { profileId: e.profileId } : {}) },
    }),
  ] as const;
}

/** The same rows for many events, as two statements (the cron's batch). */
export function hytaleAuditInsertsMany(db: Database, entries: HytaleAuditEntry[]) {
  return [
    db.insert(hytaleAuditLogs).values(
      entries.map((e) => ({
        accountId: e.accountId,
        profileId: e.profileId ?? null,
        eventType: e.event,
        details: e.details ? JSON.stringify(e.details) : null,
        ipAddress: e.actor.ip,
        userAgent: e.actor.userAgent,
      })),
    ),
    auditInsertMany(
      db,
      entries.map((e) => ({
        action: `hytale.${e.event.toLowerCase()}`,
        actor: e.actor,
        targetType: "hytale_account",
        targetId: e.accountId,
        details: e.details ?? {},
      })),
    ),
  ] as const;
}

/** Newest first, at most `limit` (≤ 1000). */
export function listHytaleAudit(db: Database, accountId: string, limit: number, event?: HytaleAuditEvent) {
  return db
    .select()
    .from(hytaleAuditLogs)
    .where(
      event
        ? and(eq(hytaleAuditLogs.accountId, accountId), eq(hytaleAuditLogs.eventType, event))
        : eq(hytaleAuditLogs.accountId, accountId),
    )
    .orderBy(desc(hytaleAuditLogs.createdAt), desc(hytaleAuditLogs.id))
    .limit(limit);
}
