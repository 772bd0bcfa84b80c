// HytaleGrant Durable Object: one object per Hytale account, the single writer of its tokens.
// Every link, refresh (route, cron, queue redelivery) and access-token read for the account runs
// here, one at a time behind an in-memory lock (a promise chain — never blockConcurrencyWhile
// around the outbound fetch, which would freeze the object and reset it after 30 s). So two
// refreshes can never present the same refresh token (the OAuth server revokes the grant on
// reuse), and callers that queue behind a refresh get its result instead of starting another.
// The grant lives in the object's storage (authoritative, encrypted) and is mirrored to
// `hytale_oauth_tokens` after each change. Results are plain values (RPC does not carry AppError).
import { DurableObject } from "cloudflare:workers";
import { createDeps, type Deps } from "../../platform/deps.ts";
import { type Bindings, getConfig } from "../../platform/env.ts";
import { AppError, type ErrorCode } from "../../platform/errors.ts";
import { childLogger } from "../../platform/log.ts";
import type { Actor } from "../../platform/principal.ts";
import { hytaleDeviceCodesLinked } from "./device-codes.ts";
import {
  type GrantRecord,
  type GrantSnapshot,
  mirrorWrite,
  nextVersion,
  openToken,
  readRecord,
  refreshTokenHash,
  seal,
} from "./grant-record.ts";
import { hytaleAuditInserts } from "./hytale-audit.ts";
import { notifyRelinkNeeded } from "./notices.ts";
import { fetchProfiles, type ProfileList, refreshTokens, type TokenAnswer } from "./oauth-client.ts";

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
}

const PROFILE_CACHE_MS = 60_000;
const KEY = "grant";

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

export class HytaleGrant extends DurableObject<Bindings> {
  private tail: Promise<unknown> = Promise.resolve();
  private profileCache?: { at: number; value: ProfileList };
  private profileBackoffUntil = 0;
  private profileBackoff?: string;
  /** When this object last completed an OAuth refresh (Date.now(): performance.now() restarts per call). */
  private refreshDoneAt = 0;

  private deps(accountId: string): Deps {
    return createDeps(getConfig(this.env), {
      log: childLogger({ hytaleAccount: accountId, object: "HytaleGrant" }),
    });
  }

  /** Runs `fn` after every earlier call has finished: the object's one writer lane. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  private stored(): GrantRecord | undefined {
    return this.ctx.storage.kv.get<GrantRecord>(KEY);
  }

  private store(r: GrantRecord): void {
    this.ctx.storage.kv.put(KEY, r);
  }

  private async load(
    deps: Deps,
    accountId: string,
    snapshot?: GrantSnapshot,
  ): Promise<GrantRecord | undefined> {
    const held = this.stored();
    if (held) return held;
    // Never held here: every writer goes through this object, so the mirror is current.
    const r = snapshot ? { ...snapshot, mirrored: true } : await readRecord(deps.db, accountId);
    if (r) this.store(r);
    return r;
  }

  /** Writes the mirror (and the audit rows of the change) and marks the record mirrored. */
  private async mirror(deps: Deps, r: GrantRecord, statements: unknown[] = [], linked = false) {
    try {
      const db = deps.db;
      const write = mirrorWrite(db, r, deps.now(), linked);
      await db.batch([write, ...(statements as [typeof write])]);
      const current = this.stored();
      if (current && current.version === r.version) this.store({ ...current, mirrored: true });
    } catch (err) {
      // The object's copy is authoritative; the next call writes the mirror again.
      deps.log("error", "hytale grant mirror write failed", { error: err, version: r.version });
    }
  }

  /** A device flow completed: the new grant replaces whatever the account had. */
  async link(input: {
    accountId: string;
    answer: TokenAnswer;
    actor: Actor;
    deviceCodeHash?: string;
  }): Promise<GrantView> {
    return this.exclusive(async () => {
      const deps = this.deps(input.accountId);
      const now = deps.now().getTime();
      const previous = this.stored() ?? (await readRecord(deps.db, input.accountId));
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
      this.profileCache = undefined;
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
    return this.exclusive(() => this.accessNow(input, arrivedAt));
  }

  private async accessNow(input: AccessRequest, arrivedAt: number): Promise<AccessResult> {
    const deps = this.deps(input.accountId);
    const r = await this.load(deps, input.accountId, input.snapshot);
    if (!r) return { ok: false, kind: "not_linked" };
    if (r.needsRelink) return { ok: false, kind: "needs_relink", reason: r.relinkReason ?? "grant revoked" };
    const now = deps.now().getTime();
    const force = input.force === true && this.refreshDoneAt < arrivedAt;
    const due = r.accessTokenExpiresAt <= now + (input.minValidMs ?? 0);
    if (!force && !due) {
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
    let answer: Awaited<ReturnType<typeof refreshTokens>>;
    try {
      answer = await refreshTokens(deps, presented);
    } catch (err) {
      // 5xx, 429, timeout: the grant is untouched; the caller retries later.
      deps.log("warn", "hytale refresh failed upstream", { error: err });
      return upstreamFailure(err);
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
    this.refreshDoneAt = Date.now();
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
    this.profileCache = undefined;
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
    return this.exclusive(async () => {
      const deps = this.deps(input.accountId);
      const now = deps.now().getTime();
      if (this.profileCache && now - this.profileCache.at < PROFILE_CACHE_MS)
        return { ok: true, value: this.profileCache.value, cached: true };
      if (now < this.profileBackoffUntil) {
        if (this.profileCache) return { ok: true, value: this.profileCache.value, cached: true };
        return {
          ok: false,
          kind: "upstream",
          code: "RATE_LIMITED",
          message: "Hytale account-data is rate limiting us; try again later",
          retryAfter: this.profileBackoff,
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
            this.profileCache = { at: deps.now().getTime(), value: res.value };
            return { ok: true, value: res.value, cached: false };
          }
        } catch (err) {
          const failure = upstreamFailure(err);
          if (failure.kind === "upstream" && failure.code === "RATE_LIMITED") {
            const seconds = Number(failure.retryAfter ?? 30);
            this.profileBackoffUntil = deps.now().getTime() + seconds * 1000;
            this.profileBackoff = String(seconds);
            if (this.profileCache) return { ok: true, value: this.profileCache.value, cached: true };
          }
          return failure;
        }
      }
      const r = this.stored();
      return r
        ? this.lose(deps, r, input.actor, "account-data refused the access token (401)")
        : { ok: false, kind: "not_linked" };
    });
  }

  /** Forget the cached profile list (tests, and after a re-link). */
  async forgetProfiles(): Promise<void> {
    this.profileCache = undefined;
    this.profileBackoffUntil = 0;
  }
}
