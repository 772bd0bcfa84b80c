// The page planner, pure: from the chain state before a page and what the page read, the chain
// state after it (next cursor or next step), the step's total, what to add to the run's total,
// overall progress and the metadata patch the commit merges. No I/O, no clock of its own.
import { type Cursor, MILESTONES, type PageResult, type StepName } from "./sync-steps.ts";

/** The clock's time in whole seconds (the unit of `lastUpdated` and `completed_at` in run metadata). */
export const nowSeconds = (clock: { now: () => Date }) => Math.floor(clock.now().getTime() / 1000);

export interface ChainState {
  seq: number;
  steps: StepName[];
  stepIndex: number;
  cursor: Cursor;
  /** Items processed in the current step (for "x/y"). */
  stepProcessed: number;
  /** A dry run writes nothing but its own bookkeeping (sync-dry-run.ts). */
  dryRun?: boolean;
}

export function initialChain(steps: StepName[], dryRun = false): ChainState {
  return {
    seq: 0,
    steps,
    stepIndex: 0,
    cursor: { page: 1 },
    stepProcessed: 0,
    ...(dryRun ? { dryRun } : {}),
  };
}

/** Overall progress: milestones for full runs, the step's own fraction for single-step runs. */
export function progressOf(chain: ChainState, stepTotal: number): number {
  const fraction = stepTotal > 0 ? Math.min(1, chain.stepProcessed / stepTotal) : 1;
  const step = chain.steps[chain.stepIndex];
  if (!step) return MILESTONES.finalize;
  if (step === "sweep") return MILESTONES.sweep;
  // A single listing step (its sweep after it) scales its own fraction.
  if (chain.steps.filter((s) => s !== "sweep").length === 1) return Math.floor(fraction * 85);
  const start = MILESTONES[step];
  const nextStep = chain.steps[chain.stepIndex + 1];
  const end = nextStep ? MILESTONES[nextStep] : MILESTONES.finalize;
  return Math.floor(start + (end - start) * fraction);
}

export interface PagePlan {
  after: ChainState;
  stepTotal: number;
  /** Added to the run's itemsTotal by this page's commit. */
  addTotal: number;
  progress: number;
  /** Merged into sync_logs.metadata (progress itself only ever rises, see the commit). */
  patch: Record<string, unknown>;
}

/**
 * Plans one page. `metadata` is the run's metadata as last committed (for the step's known
 * total); `nowSeconds` stamps `lastUpdated`.
 */
export function planPage(
  chain: ChainState,
  result: Pick<PageResult, "processed" | "total" | "next" | "message">,
  metadata: Record<string, unknown>,
  nowSeconds: number,
): PagePlan {
  const step = chain.steps[chain.stepIndex];
  if (!step) throw new Error("planPage called past the last step");
  const stepTotalKey = `total_${step}`;
  const stepStarting =
    chain.stepProcessed === 0 && (chain.cursor.page ?? 1) === 1 && !(chain.cursor.nodeIndex ?? 0);
  const knownTotal = Number(metadata[stepTotalKey] ?? 0);
  // Allocations report a total per node; other steps one total for the step.
  const firstPageOfNode = chain.cursor.page === 1;
  const stepTotal = step === "allocations" ? knownTotal + (firstPageOfNode ? result.total : 0) : result.total;
  const addTotal =
    step === "allocations" ? (firstPageOfNode ? result.total : 0) : stepStarting ? result.total : 0;
  const processed = chain.stepProcessed + result.processed;
  const after: ChainState = result.next
    ? { ...chain, seq: chain.seq + 1, cursor: result.next, stepProcessed: processed }
    : { ...chain, seq: chain.seq + 1, stepIndex: chain.stepIndex + 1, cursor: { page: 1 }, stepProcessed: 0 };
  const progress = progressOf({ ...chain, stepProcessed: processed }, stepTotal);
  return {
    after,
    stepTotal,
    addTotal,
    progress,
    patch: {
      step,
      progress,
      lastMessage: result.message,
      itemsTotal: stepTotal,
      itemsProcessed: processed,
      lastUpdated: nowSeconds,
      [stepTotalKey]: stepTotal,
    },
  };
}
