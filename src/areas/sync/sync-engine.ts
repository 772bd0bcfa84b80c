// The sync engine: the `sync.page` job. A message handles up to GROUP pages from its `seq`: it
// fetches a page (prefetching the next one of the same step while the current one is written),
// plans it (sync-plan.ts), and commits it (sync-commit.ts via the lifecycle's advanceRun). The
// next message is sent before the group's last commit, so a crash can only cause a retry, never
// a stall; duplicates lose the compare-and-swap and do nothing. A page the database refuses for
// its data (SQLSTATE 22/23) lands without the refused rows, which go to quarantine; a dry run's
// page records the ids it listed instead of writing (sync-dry-run.ts).
import type { SQL } from "drizzle-orm";
import { AppError } from "../../platform/errors.ts";
import type { JobDeps } from "../../platform/jobs.types.ts";
import { classifyPgError } from "../../platform/sql.ts";
import { panelConnection } from "../../services/panel/connection.ts";
import { panelDeps } from "../../services/panel/panel-client.ts";
import { GROUP, isPageMessage, sendPage, TIME_BOX_MS, waitForPredecessor } from "./sync-chain.ts";
import { recordIds } from "./sync-dry-run.ts";
import { readRun } from "./sync-logs.ts";
import { type ChainState, nowSeconds, type PagePlan, planPage } from "./sync-plan.ts";
import {
  describeBad,
  findBadUnits,
  quarantineStatement,
  releaseStatement,
  trial,
} from "./sync-quarantine.ts";
import { advanceRun, completeRun, failRun, noteRetryableError } from "./sync-runs.ts";
import { type PageResult, runStepPage } from "./sync-steps.ts";

export async function handleSyncPage(payload: unknown, deps: JobDeps): Promise<void> {
  if (!isPageMessage(payload)) {
    throw new AppError("INVALID_REQUEST", "bad sync.page payload", { retryable: false });
  }
  const msg = payload;
  const { db } = deps;
  const run = await readRun(db, msg.syncLogId);
  if (!run?.cursor || (run.status !== "PENDING" && run.status !== "RUNNING")) return;
  let chain = run.cursor;
  if (chain.seq < msg.seq) {
    // The previous message has not committed yet.
    if (!(await waitForPredecessor(deps, msg))) {
      deps.log("error", "sync chain stalled", { syncLogId: msg.syncLogId, seq: msg.seq, at: chain.seq });
    }
    return;
  }
  if (chain.seq >= msg.seq + GROUP) return;

  const conn = await panelConnection(deps);
  if (!conn) {
    await failRun(
      deps,
      msg.syncLogId,
      chain,
      "Pterodactyl panel is not configured (PTERODACTYL_URL / API key)",
    );
    return;
  }
  const stepCtx = {
    db,
    log: deps.log,
    panel: panelDeps(deps, conn),
    syncId: msg.syncLogId,
    steps: chain.steps,
    dryRun: Boolean(chain.dryRun),
  };
  const started = deps.now().getTime();
  let metadata = run.metadata ?? {};
  /** The next page of the same step, fetched while the current one is being written. */
  let prefetched: Promise<PageResult> | undefined;

  while (chain.seq < msg.seq + GROUP) {
    const step = chain.steps[chain.stepIndex];
    if (!step) {
      await completeRun(deps, msg.syncLogId, chain);
      return;
    }
    let result: PageResult;
    try {
      result = await (prefetched ?? runStepPage(stepCtx, step, chain.cursor));
      prefetched = undefined;
    } catch (err) {
      const e =
        err instanceof AppError
          ? err
          : new AppError("UPSTREAM_ERROR", (err as Error).message, { retryable: true });
      if (!e.retryable) {
        await failRun(deps, msg.syncLogId, chain, e.message);
        return;
      }
      await noteRetryableError(deps, msg.syncLogId, step, e.message);
      throw e;
    }
    const planned = planPage(chain, result, metadata, nowSeconds(deps));
    const plan = result.patch ? { ...planned, patch: { ...planned.patch, ...result.patch } } : planned;
    const lastOfGroup = plan.after.seq >= msg.seq + GROUP || deps.now().getTime() - started > TIME_BOX_MS;
    if (lastOfGroup) await sendPage(deps, { syncLogId: msg.syncLogId, seq: plan.after.seq });
    else if (plan.after.stepIndex === chain.stepIndex && step !== "sweep") {
      // Never across a step boundary: a step's first page may depend on the previous step's writes.
      prefetched = runStepPage(stepCtx, step, plan.after.cursor);
      prefetched.catch(() => {});
    }
    const outcome = await commitResult(deps, msg.syncLogId, chain, plan, result);
    if (outcome !== "advanced" || lastOfGroup) return;
    chain = plan.after;
    metadata = { ...metadata, ...plan.patch };
  }
}

/** What a page commits: its statements (and quarantine release), or a dry run's recorded ids. */
function pageStatements(syncId: string, result: PageResult, dryRun: boolean): SQL[] {
  const rows = result.rows;
  if (dryRun) return rows ? [recordIds(syncId, "seen", rows.seen(rows.units))] : [];
  if (!rows || rows.units.length === 0) return result.statements;
  return [...result.statements, releaseStatement(rows.resource, rows.units.map(rows.id))];
}

/**
 * Commits a page. A deterministic data error (class 22/23) is not retried blindly: the refused
 * units are found, quarantined and counted, the rest lands; a dry run only tries (and records)
 * them. Anything else (transient) throws and the queue retries the message.
 */
async function commitResult(
  deps: JobDeps,
  syncId: string,
  chain: ChainState,
  plan: PagePlan,
  result: PageResult,
) {
  const dryRun = Boolean(chain.dryRun);
  const rows = result.rows;
  const where = `${rows?.resource ?? "page"} step, cursor ${JSON.stringify(chain.cursor)}`;
  if (dryRun && rows && rows.units.length > 0 && (await trial(deps.db, result.statements))) {
    const bad = await findBadUnits(deps.db, rows);
    const statements = [
      ...pageStatements(syncId, result, true),
      recordIds(syncId, "quarantine", { [rows.resource]: bad.map((b) => b.id) }),
    ];
    const patched = { ...plan, patch: { ...plan.patch, lastError: describeBad(rows.resource, bad, where) } };
    return advanceRun(deps, syncId, chain, patched, statements, result.processed);
  }
  try {
    const outcome = await advanceRun(
      deps,
      syncId,
      chain,
      plan,
      pageStatements(syncId, result, dryRun),
      result.processed,
    );
    if (outcome === "advanced" && !dryRun) {
      for (const e of result.events ?? []) deps.events.publish(e.event, e.data);
    }
    return outcome;
  } catch (err) {
    if (dryRun || !rows || !classifyPgError(err)?.deterministic) throw err;
    const bad = await findBadUnits(deps.db, rows);
    if (bad.length === 0) throw err;
    const badIds = new Set(bad.map((b) => b.id));
    const good = rows.units.filter((u) => !badIds.has(rows.id(u)));
    const lastError = describeBad(rows.resource, bad, where);
    deps.log("warn", "sync rows quarantined", {
      syncLogId: syncId,
      resource: rows.resource,
      ids: [...badIds].slice(0, 20),
    });
    const statements = [
      ...rows.build(good),
      quarantineStatement(syncId, rows.resource, bad),
      ...(good.length ? [releaseStatement(rows.resource, good.map(rows.id))] : []),
    ];
    const patched = { ...plan, patch: { ...plan.patch, lastError, lastErrorStep: rows.resource } };
    return advanceRun(deps, syncId, chain, patched, statements, result.processed - bad.length, bad.length);
  }
}
