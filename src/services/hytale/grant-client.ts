// Calling the HytaleGrant object that owns an account, and turning its plain-value failures into
// the API's errors: not linked → 404, grant gone → 409 `needs_relink`, an OAuth error → 502, a
// peer's 5xx/429/timeout → 502/429/504 with its Retry-After.
//
// Ownership: GRANT_SHARDS shard objects, an account's shard chosen by a hash of its id. The number
// is part of the data layout (a shard holds its accounts' grants): changing it moves accounts to
// other objects and needs a hand-over like the one from per-account objects (grant.do.ts `load`).
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import type { Actor } from "../../platform/principal.ts";
import { SYSTEM_ACTOR } from "../../platform/principal.ts";
import type { AdoptedTokens, AdoptItem, AdoptResult, GrantFailure } from "./grant.do.ts";

export const GRANT_SHARDS = 64;
const SHARD_PREFIX = "hytale-grants/";

/** FNV-1a (32 bit) of the account id: stable, cheap, spreads ids evenly. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The name of the object that is the single writer of this account's grant. */
export function grantShardName(accountId: string): string {
  return `${SHARD_PREFIX}${fnv1a(accountId) % GRANT_SHARDS}`;
}

/** The account's grant object (its shard). Every method takes the account id in its input. */
export function grantStub(deps: Pick<Deps, "stubs">, accountId: string) {
  return deps.stubs.hytaleGrant(grantShardName(accountId));
}

/** Account ids grouped by the shard that owns them (the cron calls each shard once per batch). */
export function groupByShard<T>(items: T[], accountIdOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const shard = grantShardName(accountIdOf(item));
    const list = groups.get(shard);
    if (list) list.push(item);
    else groups.set(shard, [item]);
  }
  return groups;
}

/**
 * Tokens obtained outside the device flow (the cutover's upstream Hytale grants) written through
 * each account's single writer, shard by shard: stored encrypted, mirrored, audited TOKEN_CREATED.
 * An account that already holds a live grant keeps it unless `replace`.
 */
export async function adoptGrants(
  deps: Pick<Deps, "stubs">,
  items: AdoptItem[],
  actor: Actor = SYSTEM_ACTOR,
): Promise<AdoptResult[]> {
  const out: AdoptResult[] = [];
  for (const [shard, group] of groupByShard(items, (i) => i.accountId)) {
    out.push(...(await deps.stubs.hytaleGrant(shard).adopt({ items: group, actor })));
  }
  return out;
}

/** One account's tokens adopted (see adoptGrants). */
export async function adoptGrant(
  deps: Pick<Deps, "stubs">,
  accountId: string,
  tokens: AdoptedTokens,
  opts: { replace?: boolean; actor?: Actor } = {},
): Promise<AdoptResult> {
  const [r] = await adoptGrants(deps, [{ accountId, tokens, replace: opts.replace }], opts.actor);
  return r as AdoptResult;
}

export function grantError(f: GrantFailure): AppError {
  switch (f.kind) {
    case "not_linked":
      return new AppError("NOT_FOUND", "No Hytale account is linked for this account", {
        publicError: "No token found for account",
      });
    case "needs_relink":
      return new AppError("CONFLICT", "The Hytale account must be linked again (device flow)", {
        publicError: "needs_relink",
        context: { reason: f.reason },
      });
    case "oauth":
      return new AppError("UPSTREAM_ERROR", `Hytale OAuth server refused: ${f.error}`, {
        retryable: false,
        context: { error: f.error },
      });
    case "upstream":
      return new AppError(f.code, f.message, {
        retryable: true,
        headers: f.retryAfter ? { "Retry-After": f.retryAfter } : {},
      });
  }
}
