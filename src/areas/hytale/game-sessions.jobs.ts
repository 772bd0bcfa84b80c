// Game-session background work. `hytale.sessions-sweep` (the */5 cron) ends the sessions of
// servers a sync tombstoned or suspended, retries upstream DELETEs that failed (until 2xx/404),
// re-queues failed deliveries and, in broker mode only, fans out the sessions with less than
// 5 minutes left to `hytale.session-refresh`. Every step reads its rows afresh, so a doubled or
// redelivered message changes nothing twice. The 02:00 expiry cleanup is maintenance's.

import { and, eq, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import { type HytaleGameSession, hytaleGameSessions } from "../../platform/db/schema/index.ts";
import { AppError } from "../../platform/errors.ts";
import type { CronJob, JobDeps, JobTable } from "../../platform/jobs.types.ts";
import { pool } from "../../platform/pool.ts";
import { SYSTEM_ACTOR } from "../../platform/principal.ts";
import {
  deliveryContext,
  LIST_CHUNK,
  SESSION_REFRESH_WINDOW_MS,
} from "../../services/hytale/game-sessions.ts";
import { announce } from "../../services/notifications/notify.jobs.ts";
import { readSettings } from "../../services/settings/settings.ts";
import {
  deleteEnded,
  deliverSession,
  deliverSessions,
  endSession,
  refreshSession,
} from "./game-session-life.ts";

export const SESSION_CRON_JOBS: CronJob[] = [{ type: "hytale.sessions-sweep", priority: "default" }];
const SWEEP_LIMIT = 500;
/** Sessions per refresh message: one panel list read (≤ 100 servers) covers a message. */
const REFRESH_BATCH = LIST_CHUNK;
const DELIVER_BATCH = LIST_CHUNK;
const CONCURRENCY = 10;
/** Rounds a failed delivery goes again inside the refresh chain (a failed refresh: until expiry). */
const MAX_ROUNDS = 3;
const RETRY_DELAY_SECONDS = 20;

export async function refreshMode(deps: Pick<JobDeps, "db" | "config">): Promise<"server" | "broker"> {
  const s = await readSettings(deps, ["hytale_session_refresh_mode"]);
  return s.text("hytale_session_refresh_mode") === "broker" ? "broker" : "server";
}

async function sweep(_payload: unknown, deps: JobDeps): Promise<void> {
  const db = deps.db;
  const t = hytaleGameSessions;
  // 1. Servers gone (tombstoned) or suspended: their sessions end (a suspended server keeps
  //    running on the panel, so its variables are emptied too).
  const ending = await db.execute<{ id: string; gone: boolean }>(sql`
    select g.id, (s."deletedAt" is not null) as gone from hytale_game_sessions g join servers s on s.id = g.server_id
    where g.ended_at is null and (s."deletedAt" is not null or s."isSuspended") limit ${SWEEP_LIMIT}`);
  const endIds = ending.rows.map((r) => r.id);
  const gone = new Set(ending.rows.filter((r) => r.gone).map((r) => r.id));
  const endRows = endIds.length ? await db.select().from(t).where(inArray(t.id, endIds)) : [];
  await pool(endRows, CONCURRENCY, (row) =>
    endSession(deps, row, gone.has(row.id) ? "server deleted" : "server suspended", SYSTEM_ACTOR, {
      clearServer: !gone.has(row.id),
    }).catch((err: unknown) =>
      deps.log("error", "hytale session end failed", { error: err, sessionId: row.id }),
    ),
  );
  // 2. Ended earlier, upstream DELETE not yet confirmed: try again.
  const retry = await db
    .select()
    .from(t)
    .where(and(isNotNull(t.endedAt), lt(t.endedAt, new Date(deps.now().getTime() - 1000))))
    .limit(SWEEP_LIMIT);
  await pool(
    retry.filter((r) => !endIds.includes(r.id)),
    CONCURRENCY,
    (row) =>
      deleteEnded(deps, row, SYSTEM_ACTOR, row.endReason ?? "ended").catch((err: unknown) =>
        deps.log("error", "hytale session delete failed", { error: err, sessionId: row.id }),
      ),
  );
  // 3. Deliveries that failed (or were left pending by a crash): once more through the queue.
  const failed = await db
    .select({ id: t.id, updatedAt: t.updatedAt })
    .from(t)
    .where(
      and(
        isNull(t.endedAt),
        sql`(${t.deliveryStatus} = 'failed' or (${t.deliveryStatus} = 'pending' and ${t.updatedAt} < now() - interval '2 minutes'))`,
      ),
    )
    .limit(SWEEP_LIMIT);
  for (let i = 0; i < failed.length; i += DELIVER_BATCH) {
    await deps.enqueue(
      "hytale.session-deliver",
      { sessionIds: failed.slice(i, i + DELIVER_BATCH).map((f) => f.id) },
      { id: `${deps.message.id}:deliver:${i / DELIVER_BATCH}` },
    );
  }
  // 4. Broker mode: the backend refreshes what is about to expire.
  let due = 0;
  if ((await refreshMode(deps)) === "broker") {
    const now = deps.now().getTime();
    const rows = await db
      .select({ id: t.id })
      .from(t)
      .where(
        and(
          isNull(t.endedAt),
          lt(t.expiresAt, new Date(now + SESSION_REFRESH_WINDOW_MS)),
          sql`${t.expiresAt} > ${new Date(now).toISOString()}::timestamptz`,
        ),
      )
      .orderBy(t.expiresAt);
    due = rows.length;
    for (let i = 0; i < rows.length; i += REFRESH_BATCH) {
      await deps.enqueue(
        "hytale.session-refresh",
        { sessionIds: rows.slice(i, i + REFRESH_BATCH).map((r) => r.id) },
        { id: `${deps.message.id}:refresh:${i / REFRESH_BATCH}` },
      );
    }
  }
  deps.log("info", "hytale sessions swept", {
    ended: endRows.length,
    deleteRetries: retry.length,
    redeliveries: failed.length,
    refreshDue: due,
  });
}

/**
 * Refreshes each still-due session (compare-and-swap), then delivers the whole batch at once: one
 * panel list read per ≤ 100 servers and a PATCH each (deliverSessions). A failed refresh goes
 * round again every 20 s until it works or the session expires; a failed delivery goes round
 * again MAX_ROUNDS times, then to `hytale.session-deliver` (queue retries), then the sweep.
 */
export async function refreshSessions(payload: unknown, deps: JobDeps): Promise<void> {
  const p = payload as { sessionIds?: string[]; round?: number };
  if (!Array.isArray(p?.sessionIds) || p.sessionIds.length === 0) return;
  const t = hytaleGameSessions;
  const now = deps.now().getTime();
  const rows = await deps.db
    .select()
    .from(t)
    .where(and(inArray(t.id, p.sessionIds), isNull(t.endedAt)));
  // Refreshes that failed: retried while the session lives (the next sweep no longer selects an
  // expired session, so dropping one after a few rounds would lose it).
  const refreshAgain: string[] = [];
  const toDeliver: HytaleGameSession[] = [];
  await pool(rows, CONCURRENCY, async (row) => {
    const due = row.expiresAt.getTime() < now + SESSION_REFRESH_WINDOW_MS;
    // Refreshed by an earlier round whose delivery failed: deliver only.
    const undelivered =
      row.serverId !== null && row.deliveryStatus !== "delivered" && row.deliveryStatus !== "refused";
    if (!due && !undelivered) return;
    try {
      const fresh = due ? await refreshSession(deps, row, SYSTEM_ACTOR) : row;
      if (fresh.serverId && !fresh.endedAt) toDeliver.push(fresh);
    } catch (err) {
      if (err instanceof AppError && err.code === "NOT_FOUND") {
        // Hytale no longer knows it: it is over here too.
        await endSession(deps, row, "unknown upstream", SYSTEM_ACTOR).catch(() => {});
        return;
      }
      deps.log("warn", "hytale session refresh failed", { error: err, sessionId: row.id });
      if (row.expiresAt.getTime() > deps.now().getTime() + RETRY_DELAY_SECONDS * 1000)
        refreshAgain.push(row.id);
      else deps.log("error", "hytale session expired before its refresh succeeded", { sessionId: row.id });
    }
  });
  const undeliveredNow: string[] = [];
  if (toDeliver.length > 0) {
    try {
      const results = await deliverSessions(deps, toDeliver, await deliveryContext(deps));
      for (const [id, r] of results) if (r.status === "failed") undeliveredNow.push(id);
    } catch (err) {
      // Our own database failing mid-way: the rows are `pending`, delivered next round.
      deps.log("warn", "hytale session delivery interrupted", { error: err, count: toDeliver.length });
      for (const r of toDeliver) undeliveredNow.push(r.id);
    }
  }
  // Deliveries that failed go round again MAX_ROUNDS times (the tokens are safe in the row), then
  // to hytale.session-deliver (queue retries), then to the sweep.
  const round = (p.round ?? 0) + 1;
  const deliverAgain = round <= MAX_ROUNDS ? undeliveredNow : [];
  const again = [...refreshAgain, ...deliverAgain];
  if (again.length) {
    await deps.enqueue(
      "hytale.session-refresh",
      { sessionIds: again, round },
      { id: `${deps.message.id}:retry:${round}`, delaySeconds: RETRY_DELAY_SECONDS },
    );
  }
  if (round > MAX_ROUNDS && undeliveredNow.length) {
    await deps.enqueue(
      "hytale.session-deliver",
      { sessionIds: undeliveredNow },
      { id: `${deps.message.id}:deliver`, delaySeconds: 30 },
    );
  }
}

/**
 * `{sessionId}` (one, after a route's delivery failed) or `{sessionIds}` (a batch: the sweep's
 * re-queue, a refresh batch's last round). A panel failure throws, so the queue retries with
 * backoff; a redelivered batch skips what was delivered meanwhile.
 */
async function deliver(payload: unknown, deps: JobDeps): Promise<void> {
  const p = payload as { sessionId?: unknown; sessionIds?: unknown };
  const t = hytaleGameSessions;
  if (Array.isArray(p?.sessionIds)) {
    const ids = p.sessionIds.filter((x): x is string => typeof x === "string").slice(0, DELIVER_BATCH);
    if (ids.length === 0) return;
    const rows = (
      await deps.db
        .select()
        .from(t)
        .where(and(inArray(t.id, ids), isNull(t.endedAt)))
    ).filter((r) => r.deliveryStatus !== "delivered");
    if (rows.length === 0) return;
    const results = await deliverSessions(deps, rows, await deliveryContext(deps));
    const failed = [...results.values()].filter((r) => r.status === "failed").length;
    if (failed > 0)
      throw new AppError("UPSTREAM_ERROR", `${failed} of ${rows.length} session deliveries failed`, {
        retryable: true,
      });
    return;
  }
  const id = p?.sessionId;
  if (typeof id !== "string") return;
  const [row] = await deps.db
    .select()
    .from(t)
    .where(and(eq(t.id, id), isNull(t.endedAt)));
  if (!row || row.deliveryStatus === "delivered") return;
  // A panel failure throws: the queue retries with backoff (the sweep re-queues after that).
  await deliverSession(deps, row, { rethrow: true });
}

async function capNotice(payload: unknown, deps: JobDeps): Promise<void> {
  const p = payload as { accountId?: string; live?: number; cap?: number };
  if (typeof p?.accountId !== "string") return;
  await announce(deps, {
    type: "hytale.account.session_cap",
    key: deps.message.id,
    data: { accountId: p.accountId, liveSessions: p.live ?? null, cap: p.cap ?? null },
  });
}

export const gameSessionJobs: JobTable = {
  "hytale.sessions-sweep": sweep,
  "hytale.session-refresh": refreshSessions,
  "hytale.session-deliver": deliver,
  "hytale.session-cap-notice": capNotice,
};
