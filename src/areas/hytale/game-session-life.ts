// A game session's life: created from the account's access token (through its HytaleGrant, the
// single writer of the OAuth tokens), delivered to its server, refreshed (compare-and-swap on the
// stored session token, so two refreshers never both win), and ended: marked ended at once, then
// deleted upstream; a DELETE that fails leaves the row for the */5 sweep to retry until 2xx/404.
import { and, eq, sql } from "drizzle-orm";
import { type HytaleGameSession, hytaleGameSessions } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { pool } from "../../platform/pool.ts";
import type { Actor } from "../../platform/principal.ts";
import {
  type DeliveryContext,
  type DeliveryResult,
  deleteUpstreamSession,
  deliverTokens,
  deliverTokensMany,
  deliveryUpdate,
  openSession,
  refreshUpstreamSession,
  sealSession,
} from "../../services/hytale/game-sessions.ts";
import { hytaleAuditInserts } from "../../services/hytale/hytale-audit.ts";

export interface SessionServer {
  id: string;
  pterodactylId: number | null;
  uuid: string | null;
}

export async function serverOf(
  deps: Pick<Deps, "db">,
  serverId: string | null,
): Promise<SessionServer | undefined> {
  if (!serverId) return undefined;
  const r = await deps.db.execute<{
    id: string;
    pterodactylId: number | null;
    uuid: string | null;
    gone: boolean;
  }>(
    sql`select id, "pterodactylId", uuid, ("deletedAt" is not null) as gone from servers where id = ${serverId}`,
  );
  const row = r.rows[0];
  return row && !row.gone ? { id: row.id, pterodactylId: row.pterodactylId, uuid: row.uuid } : undefined;
}

/**
 * Delivers the row's tokens to its server and records the outcome. A panel failure is recorded as
 * `failed` and queued for a retry (`hytale.session-deliver`), never losing the session.
 */
export async function deliverSession(
  deps: Deps,
  row: HytaleGameSession,
  opts: { rethrow?: boolean; ctx?: DeliveryContext } = {},
): Promise<DeliveryResult | { status: "failed"; error: string }> {
  const server = await serverOf(deps, row.serverId);
  if (!server) return { status: "refused", error: "the server is gone" };
  const tokens = await openSession(deps.config, row);
  let result: DeliveryResult | { status: "failed"; error: string };
  try {
    result = await deliverTokens(
      deps,
      server,
      { session: tokens.sessionToken, identity: tokens.identityToken },
      opts.ctx,
    );
  } catch (err) {
    // A panel failure, or our own database/network failing mid-way: retried, never lost.
    if (err instanceof AppError && !err.retryable) throw err;
    result = { status: "failed", error: err instanceof AppError ? err.message : "delivery interrupted" };
    await deliveryUpdate(deps.db, row.id, deps.now(), result);
    if (opts.rethrow) throw err;
    await deps.enqueue(
      "hytale.session-deliver",
      { sessionId: row.id },
      { priority: "default", id: `deliver:${row.id}:${row.updatedAt.getTime()}`, delaySeconds: 30 },
    );
    return result;
  }
  await deliveryUpdate(deps.db, row.id, deps.now(), result);
  if (result.status === "refused")
    deps.log("warn", "hytale session delivery refused", { sessionId: row.id, reason: result.error });
  return result;
}

/** The mirror rows of several servers in one query (tombstoned ones left out). */
async function serversOf(deps: Pick<Deps, "db">, ids: string[]): Promise<Map<string, SessionServer>> {
  const out = new Map<string, SessionServer>();
  if (ids.length === 0) return out;
  const r = await deps.db.execute<{ id: string; pterodactylId: number | null; uuid: string | null }>(sql`
    select id, "pterodactylId", uuid from servers
    where id in (${sql.join(
      ids.map((id) => sql`${id}`),
      sql`, `,
    )}) and "deletedAt" is null`);
  for (const row of r.rows) out.set(row.id, { id: row.id, pterodactylId: row.pterodactylId, uuid: row.uuid });
  return out;
}

export type SessionDelivery = DeliveryResult | { status: "failed"; error: string };

/**
 * Delivers many rows' tokens at once (a refresh batch, a redelivery batch): their servers read
 * with one panel list request per ≤ 100 (deliverTokensMany), one PATCH each, every outcome
 * recorded on its row. A panel failure is recorded as `failed` and returned as such: the caller
 * retries those rows through the queue (the row keeps its tokens, so nothing is lost).
 */
export async function deliverSessions(
  deps: Deps,
  rows: readonly HytaleGameSession[],
  ctx: DeliveryContext,
): Promise<Map<string, SessionDelivery>> {
  const out = new Map<string, SessionDelivery>();
  const withServer = rows.filter((r) => r.serverId !== null);
  const servers = await serversOf(
    deps,
    withServer.map((r) => r.serverId as string),
  );
  const items: {
    row: HytaleGameSession;
    target: SessionServer;
    values: { session: string; identity: string };
  }[] = [];
  for (const row of withServer) {
    const target = servers.get(row.serverId as string);
    if (!target) {
      out.set(row.id, { status: "refused", error: "the server is gone" });
      continue;
    }
    const tokens = await openSession(deps.config, row);
    items.push({ row, target, values: { session: tokens.sessionToken, identity: tokens.identityToken } });
  }
  const results = await deliverTokensMany(deps, items, ctx);
  items.forEach((it, i) => {
    const r = results[i];
    if (!r || r.status === "error") {
      const err = r?.error;
      if (err instanceof AppError && !err.retryable)
        deps.log("error", "hytale session delivery failed", { error: err, sessionId: it.row.id });
      out.set(it.row.id, {
        status: "failed",
        error: err instanceof AppError ? err.message : "delivery interrupted",
      });
    } else out.set(it.row.id, r);
  });
  await pool([...out], 10, async ([id, r]) => {
    await deliveryUpdate(deps.db, id, deps.now(), r);
    if (r.status === "refused")
      deps.log("warn", "hytale session delivery refused", { sessionId: id, reason: r.error });
  });
  return out;
}

/**
 * Refreshes upstream with the stored session token and stores the answer only if the row still
 * holds that token (compare-and-swap): a concurrent refresher that lost gets the winner's row.
 */
export async function refreshSession(
  deps: Deps,
  row: HytaleGameSession,
  actor: Actor,
): Promise<HytaleGameSession> {
  const { sessionToken } = await openSession(deps.config, row);
  const fresh = await refreshUpstreamSession(deps, sessionToken);
  const sealed = await sealSession(deps.config, row.accountId, fresh);
  const now = deps.now();
  const db = deps.db;
  const write = () =>
    db
      .update(hytaleGameSessions)
      .set({
        ...sealed,
        updatedAt: now,
        lastRefreshedAt: now,
        deliveryStatus: row.serverId ? "pending" : "none",
      })
      .where(and(eq(hytaleGameSessions.id, row.id), eq(hytaleGameSessions.sessionToken, row.sessionToken)))
      .returning();
  // The peer already replaced the token: losing this write would lose the session, so try hard.
  let attempt = 0;
  let rows: HytaleGameSession[];
  for (;;) {
    try {
      rows = await write();
      break;
    } catch (err) {
      if (++attempt >= 4) throw err;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
  const [updated] = rows;
  if (!updated) {
    const [current] = await db.select().from(hytaleGameSessions).where(eq(hytaleGameSessions.id, row.id));
    if (!current) throw new AppError("NOT_FOUND", "The game session ended meanwhile");
    return current;
  }
  await db.batch(
    hytaleAuditInserts(db, {
      accountId: row.accountId,
      event: "SESSION_REFRESHED",
      actor,
      profileId: row.profileUuid,
      details: { sessionId: row.id, serverId: row.serverId, expiresAt: fresh.expiresAt.toISOString() },
    }),
  );
  return updated;
}

/**
 * Ends a session: marked ended (so it is no longer live), the server's variables emptied when it
 * asks so and the server still exists, then the upstream DELETE. Returns whether the peer
 * confirmed; when not, the row stays ended and the sweep retries the DELETE.
 */
export async function endSession(
  deps: Deps,
  row: HytaleGameSession,
  reason: string,
  actor: Actor,
  opts: { clearServer?: boolean } = {},
): Promise<boolean> {
  const db = deps.db;
  if (!row.endedAt) {
    await db
      .update(hytaleGameSessions)
      .set({ endedAt: deps.now(), endReason: reason })
      .where(and(eq(hytaleGameSessions.id, row.id), sql`ended_at is null`));
  }
  if (opts.clearServer) {
    const server = await serverOf(deps, row.serverId);
    // Deliberate removal: the one case an empty value is written.
    if (server)
      await deliverTokens(deps, server, null).catch((err: unknown) =>
        deps.log("warn", "hytale session variables not cleared", { error: err, sessionId: row.id }),
      );
  }
  return deleteEnded(deps, row, actor, reason);
}

/** The upstream DELETE of an ended session; on 2xx/404 the row goes, with SESSION_DELETED. */
export async function deleteEnded(
  deps: Deps,
  row: HytaleGameSession,
  actor: Actor,
  reason: string,
): Promise<boolean> {
  const db = deps.db;
  try {
    const { sessionToken } = await openSession(deps.config, row);
    await deleteUpstreamSession(deps, sessionToken);
  } catch (err) {
    if (err instanceof AppError && !err.retryable) throw err;
    await db
      .update(hytaleGameSessions)
      .set({ deleteAttempts: sql`${hytaleGameSessions.deleteAttempts} + 1` })
      .where(eq(hytaleGameSessions.id, row.id));
    deps.log("warn", "hytale session delete failed upstream; retried by the sweep", {
      sessionId: row.id,
      error: err,
    });
    return false;
  }
  await db.batch([
    db.delete(hytaleGameSessions).where(eq(hytaleGameSessions.id, row.id)),
    ...hytaleAuditInserts(db, {
      accountId: row.accountId,
      event: "SESSION_DELETED",
      actor,
      profileId: row.profileUuid,
      details: { sessionId: row.id, serverId: row.serverId, reason: row.endReason ?? reason },
    }),
  ]);
  return true;
}
