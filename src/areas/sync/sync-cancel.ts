// Cancelling a run: the run turns CANCELLED at once (the engine's guard stops it before its
// next page), audited with the seam's actor; admin and service routes alike.
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { type SyncLog, syncLogs } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { auditSelect } from "../../services/audit/audit.ts";
import { nowSeconds } from "./sync-plan.ts";

/**
 * Cancels a PENDING/RUNNING run at once (status CANCELLED); the engine's guard stops it before
 * its next page. Returns the run as it is now, or undefined when there is no such run.
 */
export async function cancelRun(
  deps: Pick<Deps, "db" | "now">,
  id?: string,
  /** Who cancels: their audit row commits with the cancel. */
  audit?: Deps["actor"],
): Promise<{ log?: SyncLog; cancelled: boolean }> {
  const { db } = deps;
  const target = id
    ? (await db.select().from(syncLogs).where(eq(syncLogs.id, id)))[0]
    : (await db.select().from(syncLogs).orderBy(desc(syncLogs.startedAt)).limit(1))[0];
  if (!target) return { cancelled: false };
  const now = deps.now();
  const [cancelled] = await db.batch([
    db
      .update(syncLogs)
      .set({
        status: "CANCELLED",
        cancelledAt: now,
        completedAt: now,
        durationSeconds: sql`greatest(0, round(extract(epoch from now() - ${syncLogs.startedAt})))::int`,
        metadata: sql`${syncLogs.metadata} || ${JSON.stringify({ lastMessage: "Sync cancelled", lastUpdated: nowSeconds(deps) })}::jsonb`,
        updatedAt: now,
      })
      .where(and(eq(syncLogs.id, target.id), inArray(syncLogs.status, ["PENDING", "RUNNING"])))
      .returning(),
    // The audit row commits with the cancel, and only if this call cancelled the run.
    ...(audit
      ? [
          db.execute(
            auditSelect(
              { action: "sync.cancelled", actor: audit, targetType: "sync", targetId: sql`id` },
              sql`from sync_logs where id = ${target.id} and status = 'CANCELLED' and "cancelledAt" = ${now.toISOString()}::timestamptz`,
            ),
          ),
        ]
      : []),
  ]);
  const updated = cancelled[0];
  return updated ? { log: updated, cancelled: true } : { log: target, cancelled: false };
}

/** Cancels a run (the latest when no id) and audits it: admin and service routes alike. */
export async function cancelAndAudit(deps: Pick<Deps, "db" | "now" | "actor" | "events">, id?: string) {
  const result = await cancelRun(deps, id, deps.actor);
  if (!result.log) throw new AppError("NOT_FOUND", "Sync log not found");
  if (!result.cancelled) throw new AppError("INVALID_REQUEST", "Cannot cancel a sync that is not running");
  deps.events.publish("sync.finished", { syncLogId: result.log.id, status: "CANCELLED" });
  return result.log;
}
