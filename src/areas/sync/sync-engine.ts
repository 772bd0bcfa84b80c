// The sync engine: the `sync.page` job. A message handles up to GROUP pages from its `seq`: it
// fetches a page (prefetching the next one of the same step while the current one is written),
// plans it (sync-plan.ts), and commits it (sync-commit.ts via the lifecycle's advanceRun). The
// next message is sent before the group's last commit, so a crash can only cause a retry, never
// a stall; duplicates lose the compare-and-swap and do nothing.
import { AppError } from "../../platform/errors.ts";
import type { JobDeps } from "../../platform/jobs.types.ts";
import { panelConnection } from "../../services/panel/connection.ts";
import { panelDeps } from "../../services/panel/panel-client.ts";
import { GROUP, isPageMessage, sendPage, TIME_BOX_MS, waitForPredecessor } from "./sync-chain.ts";
import { readRun } from "./sync-logs.ts";
import { planPage } from "./sync-plan.ts";
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
  const stepCtx = { db, panel: panelDeps(deps, conn), syncId: msg.syncLogId };
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
    const plan = planPage(chain, result, metadata, Math.floor(deps.now().getTime() / 1000));
    const lastOfGroup = plan.after.seq >= msg.seq + GROUP || deps.now().getTime() - started > TIME_BOX_MS;
    if (lastOfGroup) await sendPage(deps, { syncLogId: msg.syncLogId, seq: plan.after.seq });
    else if (plan.after.stepIndex === chain.stepIndex) {
      // Never across a step boundary: a step's first page may depend on the previous step's writes.
      prefetched = runStepPage(stepCtx, step, plan.after.cursor);
      prefetched.catch(() => {});
    }
    const outcome = await advanceRun(deps, msg.syncLogId, chain, plan, result.statements, result.processed);
    if (outcome !== "advanced" || lastOfGroup) return;
    chain = plan.after;
    metadata = { ...metadata, ...plan.patch };
  }
}
