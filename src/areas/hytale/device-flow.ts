// The device flow done right (RFC 8628): a device code is bound to the caller and account that
// asked for it; a client may poll at the announced interval for the code's whole lifetime and is
// never rate limited for it, while the OAuth server sees at most one poll per interval per code
// (coalesced in the database), slow_down is honoured, and a pending answer never carries an
// access_token (the documented scripts poll until one appears). Upstream's 202 for pending stays.
import { eq } from "drizzle-orm";
import { hytaleDeviceCodes } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import {
  bindDeviceCode,
  claimPoll,
  deviceCodeHash,
  findDeviceCode,
  slowDown,
} from "../../services/hytale/device-codes.ts";
import { grantError, grantStub } from "../../services/hytale/grant-client.ts";
import { hytaleAuditInserts } from "../../services/hytale/hytale-audit.ts";
import {
  type DeviceAuthorization,
  pollDeviceToken,
  requestDeviceCode,
} from "../../services/hytale/oauth-client.ts";
import type { HytaleCaller } from "./hytale-account.ts";

export type PollOutcome =
  | { kind: "tokens"; access_token: string; expires_in: number; token_type: string; scope: string }
  | { kind: "pending"; interval: number }
  | { kind: "error"; error: string; description: string };

export async function startDeviceFlow(deps: Deps, caller: HytaleCaller): Promise<DeviceAuthorization> {
  const auth = await requestDeviceCode(deps);
  await bindDeviceCode(deps.db, {
    deviceCode: auth.device_code,
    accountId: caller.accountId,
    requestedBy: caller.callerKey,
    interval: auth.interval,
    expiresIn: auth.expires_in,
    now: deps.now(),
  });
  return auth;
}

/** One client poll; `requestedAccount` is the body's account_id, if any. */
export async function pollDeviceFlow(
  deps: Deps,
  callerKey: string,
  requestedAccount: string | undefined,
  deviceCode: string,
): Promise<PollOutcome> {
  const hash = await deviceCodeHash(deviceCode);
  const row = await findDeviceCode(deps.db, hash);
  if (!row) return { kind: "error", error: "invalid_grant", description: "Unknown device code" };
  if (
    row.requestedBy !== callerKey ||
    (requestedAccount !== undefined && requestedAccount !== row.accountId)
  ) {
    throw new AppError(
      "FORBIDDEN",
      "This device code was requested by another caller or for another account",
    );
  }
  const now = deps.now();
  if (row.status === "linked") {
    // A client that lost the answer gets the account's current access token again.
    const access = await grantStub(deps, row.accountId).access({
      accountId: row.accountId,
      actor: deps.actor,
      withToken: true,
      minValidMs: 60_000,
    });
    if (!access.ok) throw grantError(access);
    return {
      kind: "tokens",
      access_token: access.accessToken ?? "",
      expires_in: Math.max(0, Math.floor((access.accessTokenExpiresAt - now.getTime()) / 1000)),
      token_type: access.tokenType,
      scope: access.scope,
    };
  }
  if (row.status === "denied") {
    return { kind: "error", error: "access_denied", description: "The user denied the request" };
  }
  if (now >= row.expiresAt) {
    return {
      kind: "error",
      error: "expired_token",
      description: "The device code has expired; request a new one",
    };
  }
  if (!(await claimPoll(deps.db, hash, now))) return { kind: "pending", interval: row.intervalSeconds };
  const answer = await pollDeviceToken(deps, deviceCode);
  if (answer.ok) {
    await grantStub(deps, row.accountId).link({
      accountId: row.accountId,
      answer: answer.value,
      actor: deps.actor,
      deviceCodeHash: hash,
    });
    return {
      kind: "tokens",
      access_token: answer.value.access_token,
      expires_in: answer.value.expires_in,
      token_type: answer.value.token_type,
      scope: answer.value.scope ?? "",
    };
  }
  switch (answer.error) {
    case "authorization_pending":
      return { kind: "pending", interval: row.intervalSeconds };
    case "slow_down":
      return { kind: "pending", interval: await slowDown(deps.db, hash, deps.now()) };
    case "access_denied":
      await deps.db.batch([
        deps.db
          .update(hytaleDeviceCodes)
          .set({ status: "denied" })
          .where(eq(hytaleDeviceCodes.deviceCodeHash, hash)),
        ...hytaleAuditInserts(deps.db, {
          accountId: row.accountId,
          event: "AUTH_FAILED",
          actor: deps.actor,
          details: { reason: "access_denied" },
        }),
      ]);
      return {
        kind: "error",
        error: "access_denied",
        description: answer.description ?? "The user denied the request",
      };
    default:
      return { kind: "error", error: answer.error, description: answer.description ?? answer.error };
  }
}
