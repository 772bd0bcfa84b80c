// Notices about a Hytale account's grant, through the one notify() of the notifications service:
// the grant is gone (re-link needed), or it is near the end of its fixed lifetime (refresh tokens
// rotate but the grant does not slide: about 30 days after the device flow it must be renewed).
import type { Deps } from "../../platform/deps.ts";
import { notify } from "../notifications/notify.ts";

/** Hytale's refresh grants end about this long after the device flow (SPEC §9). */
export const GRANT_LIFETIME_DAYS = 30;
const DAY_MS = 86_400_000;

export function grantRenewBy(grantCreatedAt: Date, lifetimeDays = GRANT_LIFETIME_DAYS): Date {
  return new Date(grantCreatedAt.getTime() + lifetimeDays * DAY_MS);
}

export function notifyRelinkNeeded(deps: Pick<Deps, "enqueue">, accountId: string, grantCreatedAt: Date) {
  return notify(deps, {
    type: "hytale-account",
    accountId,
    reason: "relink-needed",
    grantCreatedAt: grantCreatedAt.toISOString(),
  });
}

export function notifyGrantExpiring(
  deps: Pick<Deps, "enqueue">,
  accountId: string,
  grantCreatedAt: Date,
  lifetimeDays: number,
) {
  return notify(deps, {
    type: "hytale-account",
    accountId,
    reason: "grant-expiring",
    grantCreatedAt: grantCreatedAt.toISOString(),
    renewBy: grantRenewBy(grantCreatedAt, lifetimeDays).toISOString(),
  });
}
