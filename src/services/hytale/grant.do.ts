// HytaleGrant Durable Object: the single writer of Hytale accounts' tokens. One shard object
// (`grantShardName(accountId)`, GRANT_SHARDS of them) owns each account; inside it every link,
// adoption, refresh (route, cron, queue redelivery) and access-token read of that account runs one
// at a time in the account's own lane (an in-memory promise chain — never blockConcurrencyWhile
// around the outbound fetch, which would freeze the object and reset it after 30 s), while other
// accounts of the shard run alongside. So two refreshes can never present the same refresh token
// (the OAuth server revokes the grant on reuse), and callers that queue behind a refresh get its
// result instead of starting another. The object owns a refresh once it is sent: a caller that
// stops waiting does not abort it, the answer is stored whenever it lands (within a generous
// ceiling), and the next caller sees it. The grant lives in the object's storage (authoritative,
// encrypted) and is mirrored to `hytale_oauth_tokens` after each change. Before sharding, each
// account had its own object (named by the account id, key "grant"): a shard that has never held
// an account takes over that object's copy once (`handOver`). Results are plain values (RPC does
// not carry AppError).

import { DurableObject } from "cloudflare:workers";
import { createDeps, type Deps } from "../../platform/deps.ts";
import { type Bindings, getConfig } from "../../platform/env.ts";
import { AppError, type ErrorCode } from "../../platform/errors.ts";
import { childLogger } from "../../platform/log.ts";
import { pool } from "../../platform/pool.ts";
import type { Actor } from "../../platform/principal.ts";
import { hytaleDeviceCodesLinked } from "./device-codes.ts";
import { grantShardName } from "./grant-client.ts";
import {
  type GrantRecord,
  type GrantSnapshot,
  mirrorWrite,
  mirrorWriteMany,
  nextVersion,
  openToken,
  readRecord,
  refreshTokenHash,
  seal,
} from "./grant-record.ts";
import { hytaleAuditInserts, hytaleAuditInsertsMany } from "./hytale-audit.ts";
import { notifyRelinkNeeded } from "./notices.ts";
import {
  DEFAULT_TIMEOUT_MS,
  fetchProfiles,
  type ProfileList,
  REFRESH_CEILING_MS,
  refreshTokens,
  type TokenAnswer,
} from "./oauth-client.ts";

export type GrantFailure =
  | { ok: false; kind: "not_linked" }
  | { ok: false; kind: "needs_relink"; reason: string }
  | { ok: false; kind: "oauth"; error: string; description?: string }
  | { ok: false; kind: "upstream"; code: ErrorCode; message: string; retryAfter?: string };

export interface GrantView {
  accessTokenExpiresAt: number;
  tokenType: string;
  scope: string;
  grantCreatedAt: number;
  lastRefreshedAt: number | null;
  version: number;
}

export type AccessResult =
  | ({
      ok: true;
      refreshed: boolean;
      accessToken?: string;
      /** With `deferMirror`: the record the caller must write to the mirror (newer than its snapshot). */
      mirror?: GrantRecord;
    } & GrantView)
  | GrantFailure;

export type ProfilesResult = { ok: true; value: ProfileList; cached: boolean } | GrantFailure;

export interface AccessRequest {
  accountId: string;
  actor: Actor;
  /** Refresh when the access token expires within this many ms (cron: the schedule's window). */
  minValidMs?: number;
  /**
   * Refresh now — unless a refresh finished after this call arrived (it queued behind that
   * refresh, so it shares its result: concurrent callers cause one OAuth refresh, not several).
   */
  force?: boolean;
  /** The mirror row a batch job already read; used only when this object holds nothing yet. */
  snapshot?: GrantSnapshot;
  /** Return the access token's plaintext (routes that use it); the cron does not need it. */
  withToken?: boolean;
  /**
   * The caller writes the mirror and the TOKEN_REFRESHED audit row itself, for a whole batch in
   * one statement (the cron); the object returns the record to write instead of writing it.
   */
  deferMirror?: boolean;
  /**
   * How long this caller waits for the answer (default 10 s: a route answers 504 after it). The
   * work itself is not bound to it: a refresh already sent finishes and is stored regardless.
   */
  waitMs?: number;
}

/** Tokens handed over from elsewhere (the cutover's upstream tokens): see `adoptGrant`. */
export interface AdoptedTokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since epoch); 0 or past: refreshed by the next cron. */
  accessTokenExpiresAt: number;
  scope?: string;
  /** When the grant was first issued (its fixed lifetime counts from here); default now. */
  grantCreatedAt?: number;
}

export interface AdoptItem {
  accountId: string;
  tokens: AdoptedTokens;
  /** Replace a live grant this account already has here (default: keep the live one). */
  replace?: boolean;
}

export type AdoptResult = { accountId: string; adopted: boolean; version: number };

const PROFILE_CACHE_MS = 60_000;
/** The layout before sharding: one object per account, its grant under this key. */
const LEGACY_KEY = "grant";
const key = (accountId: string) => `g:${accountId}`;
/** Grant-store calls a refresh batch runs at once inside one shard (peer requests in flight). */
const SHARD_CONCURRENCY = 32;
/** A refresh that provably never reached the peer is sent again at most this often. */
const UNSENT_RETRIES = 2;
/** Cloudflare's own answers when it could not connect to the origin (the request never got there). */
const NEVER_REACHED_STATUSES = new Set([521, 522, 523, 525, 526]);

/** Per-account in-memory state of a shard: the writer lane and short-lived caches. */
interface AccountState {
  tail: Promise<unknown>;
  pending: number;
  /** When this object last completed an OAuth refresh (Date.now(): performance.now() restarts per call). */
  refreshDoneAt: number;
  profileCache?: { at: number; value: ProfileList };
  profileBackoffUntil: number;
  profileBackoff?: string;
}

function view(r: GrantRecord): GrantView {
  return {
    accessTokenExpiresAt: r.accessTokenExpiresAt,
    tokenType: r.tokenType,
    scope: r.scope,
    grantCreatedAt: r.grantCreatedAt,
    lastRefreshedAt: r.lastRefreshedAt,
    version: r.version,
  };
}

function upstreamFailure(err: unknown): GrantFailure {
  if (err instanceof AppError)
    return {
      ok: false,
      kind: "upstream",
      code: err.code,
      message: err.message,
      retryAfter: err.headers["Retry-After"],
    };
  return { ok: false, kind: "upstream", code: "UPSTREAM_ERROR", message: "Hytale peer call failed" };
}

/**
 * Whether a failed refresh provably never reached the OAuth server, so sending the same refresh
 * token again cannot be a reuse: only Cloudflare's "could not connect to the origin" answers. A
 * thrown fetch error is not proof — workerd reports a refused connection and a connection dropped
 * after the request was sent identically ("Network connection lost.").
 */
function neverReached(err: unknown): boolean {
  return err instanceof AppError && NEVER_REACHED_STATUSES.has(Number(err.context.status));
}

const stillRunning: GrantFailure = {
  ok: false,
  kind: "upstream",
  code: "UPSTREAM_TIMEOUT",
  message: "The Hytale refresh is still running; its result is kept — retry shortly",
  retryAfter: "5",
};

export class HytaleGrant extends DurableObject<Bindings> {
  private accounts = new Map<string, AccountState>();

  private deps(accountId: string): Deps {
    return createDeps(getConfig(this.env), {
      log: childLogger({ hytaleAccount: accountId, object: "HytaleGrant" }),
    });
  }

  private state(accountId: string): AccountState {
    let st = this.accounts.get(accountId);
    if (!st) {
      st = { tail: Promise.resolve(), pending: 0, refreshDoneAt: 0, profileBackoffUntil: 0 };
      this.accounts.set(accountId, st);
    }
    return st;
  }

  /** Runs `fn` after every earlier call for this account has finished: the account's one writer lane. */
  private exclusive<T>(accountId: string, fn: () => Promise<T>): Promise<T> {
    // Only the account's shard may write it: a call that reached another object (a stub made
    // with the account id, the layout before sharding) would be a second writer.
    const name = this.ctx.id.name;
    if (name !== undefined && name !== grantShardName(accountId))
      throw new Error(`HytaleGrant ${name} does not own account ${accountId}`);
    const st = this.state(accountId);
    st.pending++;
    const run = st.tail.then(fn, fn);
    st.tail = run.catch(() => {});
    // The lane is the object's work, not the caller's: it finishes even when no caller waits.
    this.ctx.waitUntil(
      st.tail.then(() => {
        st.pending--;
        // An idle account with nothing cached needs no memory.
        if (st.pending === 0 && !st.profileCache && st.profileBackoffUntil < Date.now())
          this.accounts.delete(accountId);
      }),
    );
    return run;
  }

  private stored(accountId: string): GrantRecord | undefined {
    return this.ctx.storage.kv.get<GrantRecord>(key(accountId));
  }

  private store(r: GrantRecord): void {
    this.ctx.storage.kv.put(key(r.accountId), r);
  }

  /**
   * The layout before sharding: this object is an account's own (named by its id) and may hold
   * the grant under "grant". A shard asks once, the first time it meets the account; after that
   * the shard's copy is the only one written. Read-only, so asking twice is harmless.
   */
  async handOver(): Promise<GrantRecord | null> {
    return this.ctx.storage.kv.get<GrantRecord>(LEGACY_KEY) ?? null;
  }

  private async legacyCopy(deps: Deps, accountId: string): Promise<GrantRecord | undefined> {
    const r = await deps.stubs.hytaleGrant(accountId).handOver();
    return r && r.accountId === accountId ? r : undefined;
  }

  private async load(
    deps: Deps,
    accountId: string,
    snapshot?: GrantSnapshot,
  ): Promise<GrantRecord | undefined> {
    const held = this.stored(accountId);
    if (held) return held;
    // Never held here. Every writer goes through a grant object, so the mirror (or the batch's
    // snapshot of it) is current — unless the row comes from the per-account objects before
    // sharding (flagged, or no row at all), whose copy may be newer (a failed mirror write).
    const found = snapshot ? { ...snapshot, mirrored: true } : await readRecord(deps.db, accountId);
    const legacy = !found || found.legacy ? await this.legacyCopy(deps, accountId) : undefined;
    let r: GrantRecord | undefined;
    if (legacy && (!found || legacy.version > found.version)) {
      r = { ...legacy, mirrored: false };
      // Only this object has it now (the mirror is older): keep it at once.
      this.store(r);
    } else if (found) {
      const { legacy: flagged, ...rest } = found;
      // A flagged row is rewritten (unflagged) by the next call that writes the mirror.
      r = { ...rest, mirrored: rest.mirrored && !flagged };
    }
    // A copy of the mirror is stored by `hold` or by the write that follows (a refresh): a storage
    // write before the refresh would hold the outbound request behind the output gate for nothing.
    return r;
  }

  /** Keeps a record this object loaded but has not stored yet (no write when it already holds it). */
  private hold(r: GrantRecord): void {
    if (!this.stored(r.accountId)) this.store(r);
  }

  /** Writes the mirror (and the audit rows of the change) and marks the record mirrored. */
  private async mirror(deps: Deps, r: GrantRecord, statements: unknown[] = [], linked = false) {
    try {
      const db = deps.db;
      const write = mirrorWrite(db, r, deps.now(), linked);
      await db.batch([write, ...(statements as [typeof write])]);
      this.markMirrored(r);
    } catch (err) {
      // The object's copy is authoritative; the next call writes the mirror again.
      deps.log("error", "hytale grant mirror write failed", { error: err, version: r.version });
    }
  }

  private markMirrored(r: GrantRecord): void {
    const current = this.stored(r.accountId);
    if (current && current.version === r.version) this.store({ ...current, mirrored: true });
  }

  /** A device flow completed: the new grant replaces whatever the account had. */
  async link(input: {
    accountId: string;
    answer: TokenAnswer;
    actor: Actor;
    deviceCodeHash?: string;
  }): Promise<GrantView> {
    return this.exclusive(input.accountId, async () => {
      const deps = this.deps(input.accountId);
      const now = deps.now().getTime();
      const previous = this.stored(input.accountId) ?? (await readRecord(deps.db, input.accountId));
      const refresh = input.answer.refresh_token ?? "";
      const sealed = await seal(deps.config, input.accountId, { access: input.answer.access_token, refresh });
      const r: GrantRecord = {
        accountId: input.accountId,
        version: nextVersion(previous?.version, now),
        ...sealed,
        refreshTokenHash: refresh ? await refreshTokenHash(refresh) : null,
        accessTokenExpiresAt: now + input.answer.expires_in * 1000,
        tokenType: input.answer.token_type,
        scope: input.answer.scope ?? previous?.scope ?? "",
        grantCreatedAt: now,
        lastRefreshedAt: now,
        needsRelink: refresh === "",
        relinkReason: refresh === "" ? "no refresh token issued" : null,
        mirrored: false,
      };
      this.store(r);
      this.state(input.accountId).profileCache = undefined;
      const db = deps.db;
      await this.mirror(
        deps,
        r,
        [
          ...hytaleAuditInserts(db, {
            accountId: input.accountId,
            event: "TOKEN_CREATED",
            actor: input.actor,
            details: { relinked: previous !== undefined, scope: r.scope },
          }),
          ...(input.deviceCodeHash ? [hytaleDeviceCodesLinked(db, input.deviceCodeHash)] : []),
        ],
        true,
      );
      return view(r);
    });
  }

  /** The account's access token, refreshed first when the request says so. */
  async access(input: AccessRequest): Promise<AccessResult> {
    const arrivedAt = Date.now();
    let abandoned = false;
    const work = this.exclusive(input.accountId, async () => {
      const r = await this.accessNow(input, arrivedAt);
      // The caller stopped waiting for a deferred mirror write: the object writes it itself.
      if (abandoned && r.ok && r.mirror) await this.mirrorAlone(r.mirror, input.actor, r.refreshed);
      return r;
    });
    let timer: ReturnType<typeof setTimeout> | null = null;
    const patience = new Promise<AccessResult>((resolve) => {
      timer = setTimeout(() => {
        abandoned = true;
        resolve(stillRunning);
      }, input.waitMs ?? DEFAULT_TIMEOUT_MS);
    });
    try {
      return await Promise.race([work, patience]);
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
  }

  /** Many accounts of this shard at once (the cron's batch); each in its own lane, as `access`. */
  async accessMany(input: {
    items: { accountId: string; snapshot?: GrantSnapshot }[];
    actor: Actor;
    minValidMs?: number;
    deferMirror?: boolean;
  }): Promise<{ accountId: string; result: AccessResult }[]> {
    return pool(input.items, SHARD_CONCURRENCY, async (item) => {
      try {
        const r = await this.access({
          accountId: item.accountId,
          actor: input.actor,
          minValidMs: input.minValidMs,
          snapshot: item.snapshot,
          deferMirror: input.deferMirror,
          // A batch waits for the whole refresh: nobody is waiting on it interactively.
          waitMs: REFRESH_CEILING_MS + 5_000,
        });
        return { accountId: item.accountId, result: r };
      } catch (err) {
        return { accountId: item.accountId, result: upstreamFailure(err) };
      }
    });
  }

  /**
   * Tokens obtained elsewhere (the cutover's upstream grants) become accounts' grants, through the
   * same lanes as every other write; one mirror statement for the lot. An account that already
   * holds a live grant here keeps it unless `replace`.
   */
  async adopt(input: { items: AdoptItem[]; actor: Actor }): Promise<AdoptResult[]> {
    const deps = this.deps("adopt");
    const adopted: GrantRecord[] = [];
    const results = await pool(input.items, SHARD_CONCURRENCY, (item) =>
      this.exclusive(item.accountId, async (): Promise<AdoptResult> => {
        const now = deps.now().getTime();
        const previous = await this.load(deps, item.accountId);
        const live = previous && !previous.needsRelink && previous.refreshToken !== "";
        if (live && !item.replace) {
          this.hold(previous);
          return { accountId: item.accountId, adopted: false, version: previous.version };
        }
        const t = item.tokens;
        const sealed = await seal(deps.config, item.accountId, {
          access: t.accessToken,
          refresh: t.refreshToken,
        });
        const r: GrantRecord = {
          accountId: item.accountId,
          version: nextVersion(previous?.version, now),
          ...sealed,
          refreshTokenHash: t.refreshToken ? await refreshTokenHash(t.refreshToken) : null,
          accessTokenExpiresAt: t.accessTokenExpiresAt,
          tokenType: "bearer",
          scope: t.scope ?? previous?.scope ?? "",
          grantCreatedAt: t.grantCreatedAt ?? now,
          lastRefreshedAt: null,
          needsRelink: t.refreshToken === "",
          relinkReason: t.refreshToken === "" ? "no refresh token adopted" : null,
          mirrored: false,
        };
        this.store(r);
        this.state(item.accountId).profileCache = undefined;
        adopted.push(r);
        return { accountId: item.accountId, adopted: true, version: r.version };
      }),
    );
    if (adopted.length) {
      try {
        const db = deps.db;
        await db.batch([
          mirrorWriteMany(db, adopted, deps.now(), true),
          ...hytaleAuditInsertsMany(
            db,
            adopted.map((r) => ({
              accountId: r.accountId,
              event: "TOKEN_CREATED" as const,
              actor: input.actor,
              details: { adopted: true, scope: r.scope },
            })),
          ),
        ]);
        for (const r of adopted) this.markMirrored(r);
      } catch (err) {
        // The object's copies stand; each account's next call writes its mirror row.
        deps.log("error", "hytale adopted grants not mirrored", { error: err, accounts: adopted.length });
      }
    }
    return results;
  }

  /** A deferred record whose caller left: written (and its refresh audited) by the object. */
  private async mirrorAlone(r: GrantRecord, actor: Actor, refreshed: boolean): Promise<void> {
    const deps = this.deps(r.accountId);
    await this.mirror(
      deps,
      r,
      refreshed
        ? (hytaleAuditInserts(deps.db, {
            accountId: r.accountId,
            event: "TOKEN_REFRESHED",
            actor,
            details: { by: "cron", late: true },
          }) as unknown as unknown[])
        : [],
    );
  }

  private async accessNow(input: AccessRequest, arrivedAt: number): Promise<AccessResult> {
    const deps = this.deps(input.accountId);
    const r = await this.load(deps, input.accountId, input.snapshot);
    if (!r) return { ok: false, kind: "not_linked" };
    if (r.needsRelink) {
      this.hold(r);
      return { ok: false, kind: "needs_relink", reason: r.relinkReason ?? "grant revoked" };
    }
    const now = deps.now().getTime();
    const force = input.force === true && this.state(input.accountId).refreshDoneAt < arrivedAt;
    const due = r.accessTokenExpiresAt <= now + (input.minValidMs ?? 0);
    if (!force && !due) {
      this.hold(r);
      const token = input.withToken ? await openToken(deps.config, r, "access") : undefined;
      if (input.deferMirror) {
        // The batch's snapshot is older than what this object holds: hand it the newer record.
        const behind = input.snapshot !== undefined && input.snapshot.version < r.version;
        return { ok: true, refreshed: false, accessToken: token, mirror: behind ? r : undefined, ...view(r) };
      }
      if (!r.mirrored) await this.mirror(deps, r);
      return { ok: true, refreshed: false, accessToken: token, ...view(r) };
    }
    return this.refreshNow(deps, r, input);
  }

  private async refreshNow(deps: Deps, r: GrantRecord, input: AccessRequest): Promise<AccessResult> {
    const presented = await openToken(deps.config, r, "refresh");
    let answer: Awaited<ReturnType<typeof refreshTokens>> | undefined;
    for (let attempt = 0; answer === undefined; attempt++) {
      try {
        // A generous ceiling: a slow answer is better than a lost one (the peer may have rotated
        // already, and presenting the old token again would revoke the grant).
        answer = await refreshTokens(deps, presented, { timeoutMs: REFRESH_CEILING_MS });
      } catch (err) {
        if (attempt < UNSENT_RETRIES && neverReached(err)) {
          await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
          continue;
        }
        // 5xx, 429: the peer answered without rotating; the grant is untouched and the caller
        // retries later. No answer at all within the ceiling: we cannot know whether it rotated.
        deps.log("warn", "hytale refresh failed upstream", { error: err });
        return upstreamFailure(err);
      }
    }
    const now = deps.now().getTime();
    if (!answer.ok) {
      if (answer.error === "invalid_grant" || answer.status === 401) {
        return this.lose(deps, r, input.actor, `${answer.error} on refresh`);
      }
      return { ok: false, kind: "oauth", error: answer.error, description: answer.description };
    }
    const rotated = answer.value.refresh_token;
    const sealed = await seal(deps.config, r.accountId, {
      access: answer.value.access_token,
      refresh: rotated ?? presented,
    });
    const next: GrantRecord = {
      ...r,
      version: nextVersion(r.version, now),
      ...sealed,
      // Kept when the answer carried no new refresh token (rotation is the server's choice).
      refreshTokenHash: rotated ? await refreshTokenHash(rotated) : r.refreshTokenHash,
      accessTokenExpiresAt: now + answer.value.expires_in * 1000,
      tokenType: answer.value.token_type,
      scope: answer.value.scope ?? r.scope,
      lastRefreshedAt: now,
      mirrored: false,
    };
    this.store(next);
    this.state(r.accountId).refreshDoneAt = Date.now();
    if (input.deferMirror) {
      return { ok: true, refreshed: true, mirror: next, ...view(next) };
    }
    await this.mirror(
      deps,
      next,
      hytaleAuditInserts(deps.db, {
        accountId: r.accountId,
        event: "TOKEN_REFRESHED",
        actor: input.actor,
        details: { rotated: rotated !== undefined, expiresIn: answer.value.expires_in },
      }) as unknown as unknown[],
    );
    return {
      ok: true,
      refreshed: true,
      accessToken: input.withToken ? answer.value.access_token : undefined,
      ...view(next),
    };
  }

  /** The grant is gone: tokens wiped, re-link required, a notice sent. Never retried. */
  private async lose(deps: Deps, r: GrantRecord, actor: Actor, reason: string): Promise<GrantFailure> {
    const now = deps.now().getTime();
    const next: GrantRecord = {
      ...r,
      version: nextVersion(r.version, now),
      accessToken: "",
      refreshToken: "",
      refreshTokenHash: null,
      needsRelink: true,
      relinkReason: reason,
      mirrored: false,
    };
    this.store(next);
    this.state(r.accountId).profileCache = undefined;
    await this.mirror(deps, next, [
      ...hytaleAuditInserts(deps.db, {
        accountId: r.accountId,
        event: "AUTH_FAILED",
        actor,
        details: { reason },
      }),
      ...hytaleAuditInserts(deps.db, {
        accountId: r.accountId,
        event: "TOKEN_DELETED",
        actor,
        details: { reason: "grant revoked by the OAuth server" },
      }),
    ]);
    await notifyRelinkNeeded(deps, r.accountId, new Date(r.grantCreatedAt)).catch((err: unknown) =>
      deps.log("error", "hytale re-link notice not queued", { error: err }),
    );
    deps.log("warn", "hytale grant lost; account needs re-linking", { reason });
    return { ok: false, kind: "needs_relink", reason };
  }

  /**
   * The account's profiles, cached for a minute. A 429 from account-data (counted per egress IP,
   * which Workers share) is answered from the cache when there is one and backs off for its
   * Retry-After; it never touches the grant. A 401 gets one refresh and retry, then means re-link.
   */
  async profiles(input: { accountId: string; actor: Actor }): Promise<ProfilesResult> {
    return this.exclusive(input.accountId, async () => {
      const deps = this.deps(input.accountId);
      const st = this.state(input.accountId);
      const now = deps.now().getTime();
      if (st.profileCache && now - st.profileCache.at < PROFILE_CACHE_MS)
        return { ok: true, value: st.profileCache.value, cached: true };
      if (now < st.profileBackoffUntil) {
        if (st.profileCache) return { ok: true, value: st.profileCache.value, cached: true };
        return {
          ok: false,
          kind: "upstream",
          code: "RATE_LIMITED",
          message: "Hytale account-data is rate limiting us; try again later",
          retryAfter: st.profileBackoff,
        };
      }
      for (let attempt = 0; attempt < 2; attempt++) {
        const access = await this.accessNow(
          {
            accountId: input.accountId,
            actor: input.actor,
            withToken: true,
            minValidMs: 60_000,
            force: attempt > 0,
          },
          Date.now(),
        );
        if (!access.ok) return access;
        try {
          const res = await fetchProfiles(deps, access.accessToken ?? "");
          if (res.ok) {
            st.profileCache = { at: deps.now().getTime(), value: res.value };
            return { ok: true, value: res.value, cached: false };
          }
        } catch (err) {
          const failure = upstreamFailure(err);
          if (failure.kind === "upstream" && failure.code === "RATE_LIMITED") {
            const seconds = Number(failure.retryAfter ?? 30);
            st.profileBackoffUntil = deps.now().getTime() + seconds * 1000;
            st.profileBackoff = String(seconds);
            if (st.profileCache) return { ok: true, value: st.profileCache.value, cached: true };
          }
          return failure;
        }
      }
      const r = this.stored(input.accountId);
      return r
        ? this.lose(deps, r, input.actor, "account-data refused the access token (401)")
        : { ok: false, kind: "not_linked" };
    });
  }

  /** Forget the cached profile list (tests, and after a re-link); every account's without one. */
  async forgetProfiles(accountId?: string): Promise<void> {
    for (const [id, st] of this.accounts) {
      if (accountId !== undefined && id !== accountId) continue;
      st.profileCache = undefined;
      st.profileBackoffUntil = 0;
    }
  }
}
