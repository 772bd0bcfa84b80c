// Scheduled refresh at fleet scale. `hytale.refresh-due` (the */5 cron) selects, in one query, the
// accounts whose access token expires within the window and fans them out through the queue in
// batches of one grant shard's accounts; `hytale.refresh-batch` reads its batch's rows in one
// query and hands each shard its accounts in one call, which refreshes each if still due (so a
// redelivered or doubled batch refreshes nothing twice). A peer outage or 429 re-queues only the accounts that failed, after the peer's
// Retry-After; invalid_grant is handled by the object (needs re-link, notice) and never retried.
// The cron also sends the once-per-grant "renew soon" notice and purges spent device codes.

import { and, eq, inArray, isNull, lt, ne, sql } from "drizzle-orm";
import { hytaleOauthTokens, users } from "../../platform/db/schema/index.ts";
import type { CronJob, JobDeps, JobTable } from "../../platform/jobs.types.ts";
import { pool } from "../../platform/pool.ts";
import { SYSTEM_ACTOR } from "../../platform/principal.ts";
import { purgeDeviceCodes } from "../../services/hytale/device-codes.ts";
import type { AccessResult } from "../../services/hytale/grant.do.ts";
import { groupByShard } from "../../services/hytale/grant-client.ts";
import { mirrorWriteMany, recordFromRow } from "../../services/hytale/grant-record.ts";
import { hytaleAuditInsertsMany } from "../../services/hytale/hytale-audit.ts";
import { notifyGrantExpiring } from "../../services/hytale/notices.ts";
import { queueEmail } from "../../services/notifications/email.ts";
import { announce } from "../../services/notifications/notify.jobs.ts";
import { readSettings } from "../../services/settings/settings.ts";

/** Tokens expiring within this are refreshed now: the next cron run may be up to 5 min away. */
export const REFRESH_WINDOW_MS = 10 * 60_000;
/** Accounts per batch message (all of one shard; a shard with more due gets several messages). */
export const REFRESH_BATCH_SIZE = 200;
/** Shards called at once by one batch message (a retry batch may span several). */
const CONCURRENCY = 8;
const MAX_RETRY_ROUNDS = 3;
const DAY_MS = 86_400_000;

export const HYTALE_CRON_JOBS: CronJob[] = [{ type: "hytale.refresh-due", priority: "default" }];

interface BatchPayload {
  accountIds: string[];
  round?: number;
}

async function refreshDue(_payload: unknown, deps: JobDeps): Promise<void> {
  const now = deps.now();
  const due = await deps.db
    .select({ accountId: hytaleOauthTokens.accountId })
    .from(hytaleOauthTokens)
    .where(
      and(
        eq(hytaleOauthTokens.needsRelink, false),
        ne(hytaleOauthTokens.refreshToken, ""),
        lt(hytaleOauthTokens.accessTokenExpiry, new Date(now.getTime() + REFRESH_WINDOW_MS)),
      ),
    )
    .orderBy(hytaleOauthTokens.accessTokenExpiry);
  const ids = due.map((r) => r.accountId);
  let batches = 0;
  for (const [, group] of groupByShard(ids, (id) => id)) {
    for (let i = 0; i < group.length; i += REFRESH_BATCH_SIZE) {
      await deps.enqueue(
        "hytale.refresh-batch",
        { accountIds: group.slice(i, i + REFRESH_BATCH_SIZE) } satisfies BatchPayload,
        { priority: "default", id: `${deps.message.id}:batch:${batches++}` },
      );
    }
  }
  await grantNotices(deps);
  await purgeDeviceCodes(deps.db, now);
  deps.log("info", "hytale refresh fanned out", { accounts: ids.length, batches });
}

/** Grants within `hytale_grant_notice_days` of their lifetime: one notice each, marked atomically. */
async function grantNotices(deps: JobDeps): Promise<void> {
  const settings = await readSettings(deps, ["hytale_grant_lifetime_days", "hytale_grant_notice_days"]);
  const lifetime = settings.get("hytale_grant_lifetime_days");
  const noticeDays = settings.get("hytale_grant_notice_days");
  const cutoff = new Date(deps.now().getTime() - (lifetime - noticeDays) * DAY_MS);
  const grantStart = sql`coalesce(${hytaleOauthTokens.grantCreatedAt}, ${hytaleOauthTokens.createdAt})`;
  const marked = await deps.db
    .update(hytaleOauthTokens)
    .set({ grantNoticeSentAt: deps.now() })
    .where(
      and(
        eq(hytaleOauthTokens.needsRelink, false),
        isNull(hytaleOauthTokens.grantNoticeSentAt),
        sql`${grantStart} < ${cutoff.toISOString()}::timestamptz`,
      ),
    )
    .returning({
      accountId: hytaleOauthTokens.accountId,
      grantCreatedAt: hytaleOauthTokens.grantCreatedAt,
      createdAt: hytaleOauthTokens.createdAt,
    });
  for (const m of marked)
    await notifyGrantExpiring(deps, m.accountId, m.grantCreatedAt ?? m.createdAt, lifetime);
}

async function refreshBatch(payload: unknown, deps: JobDeps): Promise<void> {
  const p = payload as BatchPayload;
  if (!Array.isArray(p?.accountIds) || p.accountIds.length === 0) return;
  const ids = p.accountIds.filter((id): id is string => typeof id === "string").slice(0, 1000);
  const rows = await deps.db
    .select()
    .from(hytaleOauthTokens)
    .where(inArray(hytaleOauthTokens.accountId, ids));
  const shards = [...groupByShard(rows, (row) => row.accountId)];
  const perShard = await pool(shards, CONCURRENCY, async ([shard, group]) => {
    try {
      const answers = await deps.stubs.hytaleGrant(shard).accessMany({
        items: group.map((row) => {
          const { mirrored: _, ...snapshot } = recordFromRow(row);
          return { accountId: row.accountId, snapshot };
        }),
        actor: SYSTEM_ACTOR,
        minValidMs: REFRESH_WINDOW_MS,
        deferMirror: true,
      });
      return answers.map((a): [string, AccessResult] => [a.accountId, a.result as AccessResult]);
    } catch (err) {
      deps.log("error", "hytale grant object call failed", { shard, accounts: group.length, error: err });
      return group.map((row): [string, AccessResult] => [
        row.accountId,
        { ok: false, kind: "upstream", code: "UPSTREAM_ERROR", message: "object call failed" },
      ]);
    }
  });
  const results = perShard.flat();
  // One statement for the batch: every newer record mirrored, every refresh audited.
  const mirrors = results.flatMap(([, r]) => (r.ok && r.mirror ? [r.mirror] : []));
  const refreshed = results.flatMap(([id, r]) => (r.ok && r.refreshed ? [id] : []));
  if (mirrors.length) {
    await deps.db.batch([
      mirrorWriteMany(deps.db, mirrors, deps.now()),
      ...(refreshed.length
        ? hytaleAuditInsertsMany(
            deps.db,
            refreshed.map((accountId) => ({
              accountId,
              event: "TOKEN_REFRESHED" as const,
              actor: SYSTEM_ACTOR,
              details: { by: "cron" },
            })),
          )
        : []),
    ]);
  }
  const retry = results.filter(([, r]) => !r.ok && r.kind === "upstream");
  const counts = { refreshed: 0, fresh: 0, relink: 0, failed: retry.length };
  for (const [, r] of results) {
    if (r.ok) counts[r.refreshed ? "refreshed" : "fresh"]++;
    else if (r.kind === "needs_relink") counts.relink++;
  }
  deps.log("info", "hytale refresh batch done", { ...counts, round: p.round ?? 0 });
  const round = (p.round ?? 0) + 1;
  if (retry.length && round <= MAX_RETRY_ROUNDS) {
    const retryAfter = Math.max(
      30,
      ...retry.map(([, r]) => (!r.ok && r.kind === "upstream" ? Number(r.retryAfter ?? 0) : 0)),
    );
    await deps.enqueue(
      "hytale.refresh-batch",
      { accountIds: retry.map(([id]) => id), round } satisfies BatchPayload,
      {
        priority: "default",
        id: `${deps.message.id}:retry:${round}`,
        delaySeconds: Math.min(retryAfter, 240),
      },
    );
  }
}

/** notify.hytale-account: an e-mail to the member whose account it is (accounts are user ids). */
async function hytaleAccountNotice(payload: unknown, deps: JobDeps): Promise<void> {
  const p = payload as { accountId?: string; reason?: string; renewBy?: string };
  if (typeof p?.accountId !== "string") return;
  // Signed endpoints and the admins' Discord hear of it too (no e-mail address or token in it).
  await announce(deps, {
    type: p.reason === "grant-expiring" ? "hytale.account.expiring" : "hytale.account.relink_required",
    key: deps.message.id,
    data: { accountId: p.accountId, reason: p.reason ?? null, renewBy: p.renewBy ?? null },
  });
  const [user] = await deps.db.select().from(users).where(eq(users.id, p.accountId));
  if (!user?.email) {
    deps.log("info", "hytale notice has no member to tell", { hytaleAccount: p.accountId, reason: p.reason });
    return;
  }
  const expiring = p.reason === "grant-expiring";
  await queueEmail(
    deps,
    {
      to: user.email,
      template: "generic",
      subject: expiring ? "Your Hytale link needs renewing soon" : "Link your Hytale account again",
      data: {
        message: expiring
          ? `Your Hytale account link ends around ${p.renewBy ?? "soon"}. Link it again from your dashboard to keep your servers authenticated.`
          : "Hytale no longer accepts the link to your account (it was revoked or expired). Link it again from your dashboard to keep your servers authenticated.",
      },
    },
    `email:${deps.message.id}`,
  );
}

export const hytaleJobs: JobTable = {
  "hytale.refresh-due": refreshDue,
  "hytale.refresh-batch": refreshBatch,
  "notify.hytale-account": hytaleAccountNotice,
};
