// Whose Hytale account a request acts on (SPEC §5): a member acts on their own (their user id; a
// different account_id is refused), admins and service keys with scope `hytale` on any account.
import type { Context } from "hono";
import { principalOf } from "../../access/authenticate.ts";
import { AppError } from "../../platform/errors.ts";
import type { Principal } from "../../platform/principal.ts";
import type { AppEnv } from "../../platform/types.ts";

export interface HytaleCaller {
  accountId: string;
  /** `user:<id>` / `key:<id>`: who a device code is bound to. */
  callerKey: string;
}

export function callerKey(p: Principal): string {
  return p.kind === "user" ? `user:${p.user.id}` : `key:${p.keyId}`;
}

export function resolveAccount(p: Principal, requested: string | undefined): HytaleCaller {
  if (p.kind === "user" && !p.isAdmin) {
    if (requested !== undefined && requested !== p.user.id) {
      throw new AppError("FORBIDDEN", "A member may only act on their own Hytale account");
    }
    return { accountId: p.user.id, callerKey: callerKey(p) };
  }
  const accountId = requested ?? (p.kind === "user" ? p.user.id : undefined);
  if (!accountId) throw new AppError("INVALID_REQUEST", "account_id is required");
  return { accountId, callerKey: callerKey(p) };
}

export function hytaleCaller(c: Context<AppEnv>, requested: string | undefined): HytaleCaller {
  return resolveAccount(principalOf(c), requested);
}
