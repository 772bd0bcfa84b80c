// The run lifecycle in one place: create (one active run at a time, enforced by the database)
// and start with its audit, advance by a committed page, complete (sweeps), fail, cancel, and
// the notice and live event each end sends. Admin routes, service routes and the auto-sync cron
// all start runs through startRun().
import { and, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type SyncLog, syncCursors, syncLogs } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { isUniqueViolation } from "../../platform/sql.ts";
import { auditInsert } from "../../services/audit/audit.ts";
import { notify } from "../../services/notifications/notify.ts";
import { sendPage } from "./sync-chain.ts";
import { type CommitOutcome, commitCompletion, commitPage, metadataPatch } from "./sync-commit.ts";
import { activeRun, readRun } from "./sync-logs.ts";
import { type ChainState, initialChain, type PagePlan } from "./sync-plan.ts";
import { STEPS, type StepName, SWEEPS } from "./sync-steps.ts";
import { type SweepResource, sweep } from "./sync-writes.ts";

export const SYNC_TYPES = [
  "full",
  "locations",
  "nodes",
  "allocations",
  "nests",
  "servers",
  "databases",
  "users",
] as const;
export type SyncType = (typeof SYNC_TYPES)[number];
export const AVAILABLE_TARGETS: SyncType[] = [...SYNC_TYPES];

export function stepsFor(type: SyncType, skipUsers = false): StepName[] {
  if (type === "full") return STEPS.filter((s) => !(skipUsers && s === "users"));
  if (type === "databases") return ["servers"];
  return [type];
}

/** `{type}` or the older dashboard's `{target}`; "all" means full; default full. */
export function syncTypeOf(body: { type?: string; target?: string }): SyncType {
  const raw = (body.type ?? body.target ?? "full").toLowerCase();
  const type = raw === "all" ? "full" : raw;
  if (!(SYNC_TYPES as readonly string[]).includes(type)) {
    throw new AppError("INVALID_REQUEST", `Invalid sync type. Valid types: ${SYNC_TYPES.join(", ")}`);
  }
  return type as SyncType;
}

const seconds = (deps: Pick<Deps, "now">) => Math.floor(deps.now().getTime() / 1000);

type RunDeps = Pick<Deps, "db" | "enqueue" | "now" | "events">;

export interface CreateRunResult {
  log: SyncLog;
  /** True when another run was already active: `log` is that run. */
  alreadyRunning: boolean;
}

export interface StartRunInput {
  type: SyncType;
  requestedBy: string;
  skipUsers?: boolean;
}

/**
 * Creates the run and its chain cursor (with `alsoDo`'s statements — the trigger's audit row — in
 * the same batch) and sends the first page.
 */
export async function createRun(
  deps: RunDeps,
  input: StartRunInput,
  alsoDo: (id: string) => BatchItem<"pg">[] = () => [],
): Promise<CreateRunResult> {
  const { db } = deps;
  const id = crypto.randomUUID();
  const metadata = {
    requested_by: input.requestedBy,
    skip_users: Boolean(input.skipUsers),
    step: "starting",
    progress: 0,
    lastMessage: "Sync queued",
    lastUpdated: seconds(deps),
  };
  try {
    const [inserted] = await db.batch([
      db.insert(syncLogs).values({ id, type: input.type, status: "PENDING", metadata }).returning(),
      db.insert(syncCursors).values({
        syncLogId: id,
        step: "chain",
        cursor: initialChain(stepsFor(input.type, input.skipUsers)),
      }),
      ...alsoDo(id),
    ]);
    const log = inserted[0];
    if (!log) throw new Error("sync log insert returned nothing");
    try {
      await sendPage(deps, { syncLogId: id, seq: 0 });
    } catch (err) {
      await failRun(deps, id, null, `could not queue the sync: ${(err as Error).message}`);
      throw err;
    }
    return { log, alreadyRunning: false };
  } catch (err) {
    if (isUniqueViolation(err, "sync_logs_one_active_key")) {
      const running = await activeRun(db);
      if (running) return { log: running, alreadyRunning: true };
    }
    throw err;
  }
}

/** Starts a run (or finds the running one) and audits a new trigger with the seam's actor. */
export async function startRun(deps: RunDeps & Pick<Deps, "actor">, input: StartRunInput) {
  const run = await createRun(deps, input, (id) => [
    auditInsert(deps.db, {
      action: "sync.triggered",
      actor: deps.actor,
      targetType: "sync",
      targetId: id,
      details: { type: input.type, ...(deps.actor.type === "system" ? { by: input.requestedBy } : {}) },
    }),
  ]);
  if (!run.alreadyRunning) deps.events.publish("sync.started", { syncLogId: run.log.id, type: input.type });
  return run;
}

/** Commits one planned page; a committed page is published as a live event. */
export async function advanceRun(
  deps: RunDeps,
  syncId: string,
  chain: ChainState,
  plan: PagePlan,
  statements: SQL[],
  processed: number,
): Promise<CommitOutcome> {
  const outcome = await commitPage(deps.db, syncId, chain, plan, statements, processed);
  if (outcome === "advanced") {
    deps.events.publish("sync.progress", { syncLogId: syncId, ...plan.patch, processed });
  }
  return outcome;
}

/** Children before parents, so no sweep trips a foreign key. */
const SWEEP_ORDER: SweepResource[] = [
  "server_databases",
  "server_subusers",
  "servers",
  "egg_variables",
  "eggs",
  "nests",
  "allocations",
  "nodes",
  "locations",
];

/** Sweeps what this run fully listed, completes the log, and sends the notice and the event. */
export async function completeRun(
  deps: RunDeps & Pick<Deps, "log">,
  syncId: string,
  chain: ChainState,
): Promise<void> {
  const resources = new Set(chain.steps.flatMap((s) => SWEEPS[s]));
  const sweeps = SWEEP_ORDER.filter((r) => resources.has(r)).map((r) => sweep(r, syncId));
  if ((await commitCompletion(deps.db, syncId, chain, sweeps, seconds(deps))) !== "advanced") return;
  deps.log("info", "sync completed", { syncLogId: syncId });
  deps.events.publish("sync.finished", { syncLogId: syncId, status: "COMPLETED" });
  await notify(deps, { type: "sync-finished", syncLogId: syncId, status: "COMPLETED" });
}

/** Ends a run as FAILED with the step and error (metadata merged, never replaced), and sends the notice. */
export async function failRun(
  deps: RunDeps,
  syncId: string,
  chain: Pick<ChainState, "steps" | "stepIndex"> | null,
  error: string,
): Promise<void> {
  const failedStep = chain ? (chain.steps[chain.stepIndex] ?? "finalize") : "starting";
  const res =
    await deps.db.execute(sql`update sync_logs set status = 'FAILED', error = ${error.slice(0, 2000)}, "completedAt" = now(),
      "durationSeconds" = greatest(0, round(extract(epoch from now() - "startedAt")))::int,
      "itemsFailed" = greatest("itemsTotal" - "itemsSynced", 0),
      metadata = metadata || ${metadataPatch({ failed_step: failedStep, error: error.slice(0, 500), lastUpdated: seconds(deps) })},
      "updatedAt" = now()
    where id = ${syncId} and status in ('PENDING', 'RUNNING')
    returning id`);
  if (res.rows.length === 0) return;
  deps.events.publish("sync.finished", { syncLogId: syncId, status: "FAILED", failedStep });
  await notify(deps, {
    type: "sync-finished",
    syncLogId: syncId,
    status: "FAILED",
    failedStep,
    error: error.slice(0, 500),
  });
}

/** Keeps a retryable page error on the run (the DLQ hook reports it if retries run out). */
export async function noteRetryableError(deps: RunDeps, syncId: string, step: StepName, message: string) {
  await deps.db.execute(
    sql`update sync_logs set metadata = metadata || ${metadataPatch({
      lastError: message,
      lastErrorStep: step,
      lastUpdated: seconds(deps),
    })} where id = ${syncId}`,
  );
}

/** Dead-job hook of `sync.page`: a page that exhausted its retries fails its run. */
export async function failRunFromDeadPage(payload: unknown, deps: RunDeps): Promise<void> {
  const msg = payload as { syncLogId?: unknown };
  if (typeof msg?.syncLogId !== "string") return;
  const run = await readRun(deps.db, msg.syncLogId);
  if (!run) return;
  const last =
    typeof run.metadata?.lastError === "string" ? run.metadata.lastError : "page failed after retries";
  await failRun(deps, msg.syncLogId, run.cursor, `${last} (retries exhausted)`);
}

/**
 * Cancels a PENDING/RUNNING run at once (status CANCELLED); the engine's guard stops it before
 * its next page. Returns the run as it is now, or undefined when there is no such run.
 */
export async function cancelRun(
  deps: Pick<Deps, "db" | "now">,
  id?: string,
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
        metadata: sql`${syncLogs.metadata} || ${JSON.stringify({ lastMessage: "Sync cancelled", lastUpdated: seconds(deps) })}::jsonb`,
        updatedAt: now,
      })
      .where(and(eq(syncLogs.id, target.id), inArray(syncLogs.status, ["PENDING", "RUNNING"])))
      .returning(),
    // The audit row commits with the cancel, and only if this call cancelled the run.
    ...(audit
      ? [
          db.execute(sql`insert into audit_logs (action, "actorType", "actorId", "targetType", "targetId", ip, "userAgent", details)
            select 'sync.cancelled', ${audit.type}, ${audit.id}, 'sync', id, ${audit.ip}, ${audit.userAgent}, '{}'::jsonb
            from sync_logs where id = ${target.id} and status = 'CANCELLED' and "cancelledAt" = ${now.toISOString()}::timestamptz`),
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
