// The run lifecycle: create (one active run at a time, enforced by the database) and start with
// its audit, advance by a committed page, complete (child sweeps or a dry run's summary), fail,
// recover a stalled chain, and the notice and live event each end sends (cancel: sync-cancel.ts).
// Admin routes, service routes and the auto-sync cron all start runs through startRun().
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type SyncLog, syncCursors, syncLogs } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { isUniqueViolation } from "../../platform/sql.ts";
import { auditInsert } from "../../services/audit/audit.ts";
import { notify } from "../../services/notifications/notify.ts";
import { sendPage } from "./sync-chain.ts";
import { type CommitOutcome, commitCompletion, commitPage, metadataPatch } from "./sync-commit.ts";
import { dryRunSummary } from "./sync-dry-run.ts";
import { activeRun, readRun } from "./sync-logs.ts";
import { type ChainState, initialChain, nowSeconds, type PagePlan } from "./sync-plan.ts";
import { STEPS, type StepName } from "./sync-steps.ts";
import { childSweeps } from "./sync-sweep.ts";

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

/** The run's listing steps, then the sweep (users are never swept, so a users run has none). */
export function stepsFor(type: SyncType, skipUsers = false): StepName[] {
  const listing: StepName[] =
    type === "full"
      ? STEPS.filter((s) => !(skipUsers && s === "users"))
      : type === "databases"
        ? ["servers"]
        : [type];
  return listing.some((s) => s !== "users") ? [...listing, "sweep"] : listing;
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
  /** Walk the panel and report what would change, writing nothing else. */
  dryRun?: boolean;
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
    ...(input.dryRun ? { dry_run_requested: true } : {}),
    step: "starting",
    progress: 0,
    lastMessage: "Sync queued",
    lastUpdated: nowSeconds(deps),
  };
  try {
    const [inserted] = await db.batch([
      db.insert(syncLogs).values({ id, type: input.type, status: "PENDING", metadata }).returning(),
      db.insert(syncCursors).values({
        syncLogId: id,
        step: "chain",
        cursor: initialChain(stepsFor(input.type, input.skipUsers), input.dryRun),
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
      if (running) {
        // Never answer with a run that no longer makes progress: re-drive it (or end a dead one).
        if (await recoverStalledRun(deps, running.id)) return createRun(deps, input, alsoDo);
        return { log: running, alreadyRunning: true };
      }
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
      details: {
        type: input.type,
        ...(input.dryRun ? { dryRun: true } : {}),
        ...(deps.actor.type === "system" ? { by: input.requestedBy } : {}),
      },
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
  failed = 0,
): Promise<CommitOutcome> {
  const { outcome, log } = await commitPage(deps.db, syncId, chain, plan, statements, processed, failed);
  if (outcome === "advanced") {
    // `log` and `seq` let the SSE stream render from the event alone (src/areas/sync/sync-stream.ts).
    deps.events.publish("sync.progress", {
      syncLogId: syncId,
      ...plan.patch,
      processed,
      seq: plan.after.seq,
      log,
    });
  }
  return outcome;
}

/** Resources a dry run reports, by the listing steps that list them. */
const LISTED: Record<StepName, string[]> = {
  locations: ["locations"],
  nodes: ["nodes"],
  allocations: ["allocations"],
  nests: ["nests", "eggs"],
  users: ["users"],
  servers: ["servers"],
  sweep: [],
};

/**
 * Completes the log (children of the parents this run saw follow them; a dry run writes its
 * summary instead), and sends the notice and the event. Top-level rows were swept by the sweep step.
 */
export async function completeRun(
  deps: RunDeps & Pick<Deps, "log">,
  syncId: string,
  chain: ChainState,
): Promise<void> {
  const sweeps = chain.dryRun ? [] : childSweeps(syncId, chain.steps);
  const extra = chain.dryRun
    ? sql`jsonb_build_object('dry_run', ${dryRunSummary(
        syncId,
        chain.steps.flatMap((s) => LISTED[s]),
      )})`
    : undefined;
  if ((await commitCompletion(deps.db, syncId, chain, sweeps, nowSeconds(deps), extra)) !== "advanced")
    return;
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
      metadata = metadata || ${metadataPatch({ failed_step: failedStep, error: error.slice(0, 500), lastUpdated: nowSeconds(deps) })},
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
      lastUpdated: nowSeconds(deps),
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

/** A run whose chain has not advanced for this long is re-driven; after DEAD_MINUTES it is failed. */
export const STALL_SECONDS = 120;
export const DEAD_MINUTES = 60;

/**
 * Re-drives the run when its chain has not advanced for STALL_SECONDS (a fresh message for the
 * committed cursor; a duplicate loses the CAS), or fails it when it has been dead for an hour.
 * Claimed with a conditional update, so concurrent callers send one message. Returns true when
 * the run was ended (the caller may start a new one).
 */
export async function recoverStalledRun(deps: RunDeps, syncId: string): Promise<boolean> {
  const now = deps.now().toISOString();
  const res = await deps.db.execute<{
    seq: number;
    dead: boolean;
    steps: StepName[];
    step_index: number;
  }>(sql`
    with stale as (
      select l.id, l."updatedAt" < ${now}::timestamptz - make_interval(mins => ${DEAD_MINUTES}) as dead
      from sync_logs l where l.id = ${syncId} and l.status in ('PENDING', 'RUNNING')
        and l."updatedAt" < ${now}::timestamptz - make_interval(secs => ${STALL_SECONDS})
      for update skip locked
    ), claimed as (
      update sync_logs l set "updatedAt" = ${now}::timestamptz from stale where l.id = stale.id and not stale.dead returning l.id
    )
    select (c.cursor->>'seq')::int as seq, s.dead, array(select jsonb_array_elements_text(c.cursor->'steps')) as steps,
      (c.cursor->>'stepIndex')::int as step_index
    from stale s join sync_cursors c on c."syncLogId" = s.id and c.step = 'chain'`);
  const row = res.rows[0];
  if (!row) return false;
  if (row.dead) {
    await failRun(
      deps,
      syncId,
      { steps: row.steps, stepIndex: Number(row.step_index) },
      "sync stalled (no progress for an hour)",
    );
    return true;
  }
  await sendPage(deps, { syncLogId: syncId, seq: Number(row.seq), nonce: `redrive-${deps.now().getTime()}` });
  return false;
}
