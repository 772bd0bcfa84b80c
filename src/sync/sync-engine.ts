// The sync engine: a run is a chain of `sync.page` queue messages driven by a cursor row
// (sync_cursors, step "chain": {seq, stepIndex, steps, cursor}). A message handles up to GROUP
// pages from its `seq`; each page is fetched, then written in ONE batch that starts with the
// run guard and ends with a compare-and-swap of the cursor plus the progress update. The next
// message is sent before the group's last commit, so a crash can only cause a retry, never a
// stall; duplicates lose the CAS and do nothing.
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { Config } from "../env.ts";
import { enqueue } from "../jobs/enqueue.ts";
import type { JobContext } from "../jobs/job-context.ts";
import { AppError } from "../lib/errors.ts";
import type { RateLimiter } from "../rate-limit/rate-limiter.do.ts";
import { type PanelDeps, panelConnection } from "./panel-client.ts";
import { type Cursor, MILESTONES, runStepPage, type StepName, SWEEPS } from "./sync-steps.ts";
import { type SweepResource, sweep } from "./sync-writes.ts";

export const GROUP = 4;
const TIME_BOX_MS = 20_000;
const MAX_EARLY_WAITS = 90;

export interface ChainState {
  seq: number;
  steps: StepName[];
  stepIndex: number;
  cursor: Cursor;
  /** Items processed in the current step (for "x/y"). */
  stepProcessed: number;
}

export interface PageMessage {
  syncLogId: string;
  seq: number;
  waits?: number;
  /** Makes a re-drive (watchdog) a distinct queue message id. */
  nonce?: string;
}

export function initialChain(steps: StepName[]): ChainState {
  return { seq: 0, steps, stepIndex: 0, cursor: { page: 1 }, stepProcessed: 0 };
}

export function sendPage(config: Pick<Config, "queues">, msg: PageMessage, delaySeconds?: number) {
  // jobs-critical (batch 1, no batch wait): a run is a sequential chain, so every second a
  // message waits for its batch to fill adds up over hundreds of pages.
  return enqueue(config, "sync.page", msg, {
    priority: "critical",
    id: `sync:${msg.syncLogId}:${msg.seq}:${msg.waits ?? 0}${msg.nonce ? `:${msg.nonce}` : ""}`,
    delaySeconds,
  });
}

/** Overall progress: milestones for full runs, the step's own fraction for single-step runs. */
export function progressOf(chain: ChainState, stepTotal: number): number {
  const fraction = stepTotal > 0 ? Math.min(1, chain.stepProcessed / stepTotal) : 1;
  if (chain.steps.length === 1) return Math.floor(fraction * 85);
  const step = chain.steps[chain.stepIndex];
  if (!step) return MILESTONES.finalize;
  const start = MILESTONES[step];
  const nextStep = chain.steps[chain.stepIndex + 1];
  const end = nextStep ? MILESTONES[nextStep] : MILESTONES.finalize;
  return Math.floor(start + (end - start) * fraction);
}

function guard(syncId: string): SQL {
  return sql`select sync_run_guard(${syncId})`;
}

function isInactiveRun(err: unknown): boolean {
  const e = (err as { cause?: unknown })?.cause ?? err;
  return (
    (e as { code?: string })?.code === "P0001" &&
    String((e as { message?: string })?.message).includes("is not active")
  );
}

/** CAS the cursor and merge progress into the log, in one statement; returns whether it advanced. */
function advance(
  syncId: string,
  seq: number,
  next: ChainState,
  progress: SQL,
  processed: number,
  addTotal: number,
): SQL {
  return sql`with cas as (
      update sync_cursors set cursor = ${JSON.stringify(next)}::jsonb, "updatedAt" = now()
      where "syncLogId" = ${syncId} and step = 'chain' and (cursor->>'seq')::int = ${seq}
      returning 1
    )
    update sync_logs set status = 'RUNNING', "itemsSynced" = "itemsSynced" + ${processed},
      "itemsTotal" = "itemsTotal" + ${addTotal}, metadata = metadata || ${progress}, "updatedAt" = now()
    where id = ${syncId} and status in ('PENDING', 'RUNNING') and exists (select 1 from cas)
    returning id`;
}

const metadataPatch = (patch: Record<string, unknown>): SQL => sql`${JSON.stringify(patch)}::jsonb`;

interface RunRow extends Record<string, unknown> {
  status: string;
  type: string;
  cursor: ChainState | null;
  metadata: Record<string, unknown> | null;
}

async function readRun(db: Database, syncId: string): Promise<RunRow | undefined> {
  const res = await db.execute<RunRow>(sql`
    select l.status, l.type, l.metadata, c.cursor from sync_logs l
    left join sync_cursors c on c."syncLogId" = l.id and c.step = 'chain'
    where l.id = ${syncId}`);
  return res.rows[0];
}

export async function handleSyncPage(payload: unknown, ctx: JobContext): Promise<void> {
  const msg = payload as PageMessage;
  if (typeof msg?.syncLogId !== "string" || typeof msg.seq !== "number") {
    throw new AppError("INVALID_REQUEST", "bad sync.page payload", { retryable: false });
  }
  const { db, config } = ctx;
  const run = await readRun(db, msg.syncLogId);
  if (!run?.cursor || (run.status !== "PENDING" && run.status !== "RUNNING")) return;
  let chain = run.cursor;
  if (chain.seq < msg.seq) {
    // The previous message has not committed yet: come back shortly (a fresh message, so the
    // wait does not use up this message's retries).
    if ((msg.waits ?? 0) < MAX_EARLY_WAITS)
      await sendPage(config, { ...msg, waits: (msg.waits ?? 0) + 1 }, 2);
    else ctx.log("error", "sync chain stalled", { syncLogId: msg.syncLogId, seq: msg.seq, at: chain.seq });
    return;
  }
  if (chain.seq >= msg.seq + GROUP) return;

  const conn = await panelConnection(db, config);
  if (!conn) {
    await failRun(
      db,
      config,
      msg.syncLogId,
      chain,
      "Pterodactyl panel is not configured (PTERODACTYL_URL / API key)",
    );
    return;
  }
  const panel: PanelDeps = {
    conn,
    budget: config.rateLimiter as unknown as DurableObjectNamespace<RateLimiter>,
  };
  const started = Date.now();
  let metadata = run.metadata ?? {};
  const stepCtx = { db, panel, syncId: msg.syncLogId };
  /** The next page of the same step, fetched while the current one is being written. */
  let prefetched: Promise<Awaited<ReturnType<typeof runStepPage>>> | undefined;

  while (chain.seq < msg.seq + GROUP) {
    const step = chain.steps[chain.stepIndex];
    if (!step) {
      await finalize(db, config, msg.syncLogId, chain, ctx);
      return;
    }
    let result: Awaited<ReturnType<typeof runStepPage>>;
    try {
      result = await (prefetched ?? runStepPage(stepCtx, step, chain.cursor));
      prefetched = undefined;
    } catch (err) {
      const e =
        err instanceof AppError
          ? err
          : new AppError("UPSTREAM_ERROR", (err as Error).message, { retryable: true });
      if (!e.retryable) {
        await failRun(db, config, msg.syncLogId, chain, e.message);
        return;
      }
      await db.execute(
        sql`update sync_logs set metadata = metadata || ${metadataPatch({
          lastError: e.message,
          lastErrorStep: step,
          lastUpdated: Math.floor(Date.now() / 1000),
        })} where id = ${msg.syncLogId}`,
      );
      throw e;
    }
    const stepTotalKey = `total_${step}`;
    const stepStarting =
      chain.stepProcessed === 0 && (chain.cursor.page ?? 1) === 1 && !(chain.cursor.nodeIndex ?? 0);
    const knownTotal = Number(metadata[stepTotalKey] ?? 0);
    // Allocations report a total per node; other steps one total for the step.
    const stepTotal =
      step === "allocations" ? knownTotal + (chain.cursor.page === 1 ? result.total : 0) : result.total;
    const addTotal =
      step === "allocations" ? (chain.cursor.page === 1 ? result.total : 0) : stepStarting ? result.total : 0;
    const after: ChainState = result.next
      ? {
          ...chain,
          seq: chain.seq + 1,
          cursor: result.next,
          stepProcessed: chain.stepProcessed + result.processed,
        }
      : {
          ...chain,
          seq: chain.seq + 1,
          stepIndex: chain.stepIndex + 1,
          cursor: { page: 1 },
          stepProcessed: 0,
        };
    const progress = progressOf(
      { ...chain, stepProcessed: chain.stepProcessed + result.processed },
      stepTotal,
    );
    const patch = {
      step,
      progress,
      lastMessage: result.message,
      itemsTotal: stepTotal,
      itemsProcessed: chain.stepProcessed + result.processed,
      lastUpdated: Math.floor(Date.now() / 1000),
      [stepTotalKey]: stepTotal,
    };
    const progressSql = sql`jsonb_build_object('progress', greatest(coalesce((metadata->>'progress')::int, 0), ${progress}))
      || ${metadataPatch({ ...patch, progress: undefined })}`;
    const lastOfGroup = after.seq >= msg.seq + GROUP || Date.now() - started > TIME_BOX_MS;
    if (lastOfGroup) await sendPage(config, { syncLogId: msg.syncLogId, seq: after.seq });
    else if (after.stepIndex === chain.stepIndex) {
      // Never across a step boundary: a step's first page may depend on the previous step's writes.
      prefetched = runStepPage(stepCtx, step, after.cursor);
      prefetched.catch(() => {});
    }
    let advanced: boolean;
    try {
      const results = await db.batch([
        db.execute(guard(msg.syncLogId)),
        ...result.statements.map((s) => db.execute(s)),
        db.execute(advance(msg.syncLogId, chain.seq, after, progressSql, result.processed, addTotal)),
      ]);
      advanced = (results[results.length - 1]?.rows.length ?? 0) > 0;
    } catch (err) {
      if (isInactiveRun(err)) return;
      throw err;
    }
    if (!advanced || lastOfGroup) return;
    chain = after;
    metadata = { ...metadata, ...patch };
  }
}

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

/** Sweeps what this run fully listed, completes the log and queues the completion notice. */
async function finalize(
  db: Database,
  config: Config,
  syncId: string,
  chain: ChainState,
  ctx: JobContext,
): Promise<void> {
  const resources = new Set(chain.steps.flatMap((s) => SWEEPS[s]));
  const sweeps = SWEEP_ORDER.filter((r) => resources.has(r)).map((r) => db.execute(sweep(r, syncId)));
  const done: ChainState = { ...chain, seq: chain.seq + 1 };
  const completion = sql`with cas as (
      update sync_cursors set cursor = ${JSON.stringify(done)}::jsonb, "updatedAt" = now()
      where "syncLogId" = ${syncId} and step = 'chain' and (cursor->>'seq')::int = ${chain.seq}
      returning 1
    )
    update sync_logs set status = 'COMPLETED', "completedAt" = now(),
      "durationSeconds" = greatest(0, round(extract(epoch from now() - "startedAt")))::int,
      metadata = metadata || ${metadataPatch({
        step: "completed",
        progress: 100,
        lastMessage: "Sync completed",
        completed_at: Math.floor(Date.now() / 1000),
        lastUpdated: Math.floor(Date.now() / 1000),
      })}, "updatedAt" = now()
    where id = ${syncId} and status in ('PENDING', 'RUNNING') and exists (select 1 from cas)
    returning id`;
  try {
    const results = await db.batch([db.execute(guard(syncId)), ...sweeps, db.execute(completion)]);
    if ((results[results.length - 1]?.rows.length ?? 0) === 0) return;
  } catch (err) {
    if (isInactiveRun(err)) return;
    throw err;
  }
  ctx.log("info", "sync completed", { syncLogId: syncId });
  await enqueue(
    config,
    "notify.sync-finished",
    { syncLogId: syncId, status: "COMPLETED" },
    { priority: "low", id: `notify:${syncId}` },
  );
}

/** Ends a run as FAILED with the step and error (metadata merged, never replaced), and queues the notice. */
export async function failRun(
  db: Database,
  config: Pick<Config, "queues">,
  syncId: string,
  chain: Pick<ChainState, "steps" | "stepIndex"> | null,
  error: string,
): Promise<void> {
  const failedStep = chain ? (chain.steps[chain.stepIndex] ?? "finalize") : "starting";
  const res =
    await db.execute(sql`update sync_logs set status = 'FAILED', error = ${error.slice(0, 2000)}, "completedAt" = now(),
      "durationSeconds" = greatest(0, round(extract(epoch from now() - "startedAt")))::int,
      "itemsFailed" = greatest("itemsTotal" - "itemsSynced", 0),
      metadata = metadata || ${metadataPatch({ failed_step: failedStep, error: error.slice(0, 500), lastUpdated: Math.floor(Date.now() / 1000) })},
      "updatedAt" = now()
    where id = ${syncId} and status in ('PENDING', 'RUNNING')
    returning id`);
  if (res.rows.length > 0) {
    await enqueue(
      config,
      "notify.sync-finished",
      { syncLogId: syncId, status: "FAILED", failedStep, error: error.slice(0, 500) },
      {
        priority: "low",
        id: `notify:${syncId}`,
      },
    );
  }
}

/** DLQ hook: a sync page that exhausted its retries fails its run. */
export async function failRunFromDeadPage(
  db: Database,
  config: Pick<Config, "queues">,
  payload: unknown,
): Promise<void> {
  const msg = payload as PageMessage;
  if (typeof msg?.syncLogId !== "string") return;
  const run = await readRun(db, msg.syncLogId);
  if (!run) return;
  const last =
    typeof run.metadata?.lastError === "string" ? run.metadata.lastError : "page failed after retries";
  await failRun(db, config, msg.syncLogId, run.cursor, `${last} (retries exhausted)`);
}
