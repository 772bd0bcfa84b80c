// The Hytale peers' protocols: RFC 8628 device authorization and polling, RFC 6749 refresh (the
// public client `hytale-server`, no secret) and account-data's profile list. Every call goes
// through deps.fetch with a timeout. OAuth errors come back as values (`{ok:false, error}`);
// transport failures throw AppError: timeout → UPSTREAM_TIMEOUT (504), 5xx/odd answers →
// UPSTREAM_ERROR (502), 429 → RATE_LIMITED with the peer's Retry-After — all retryable.
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";

export const HYTALE_CLIENT_ID = "hytale-server";
export const HYTALE_SCOPE = "openid offline auth:server";
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
/** RFC 8628 §3.2: a client that is told no interval polls every 5 s. */
export const DEFAULT_INTERVAL_SECONDS = 5;
/** Device codes have been seen living 600 s and 900 s; without `expires_in` assume the shorter. */
export const DEFAULT_DEVICE_CODE_SECONDS = 600;
export const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * How long a refresh may take before we stop listening. Generous on purpose: the peer rotates the
 * refresh token when it processes the request, so an answer we stop waiting for is a rotation we
 * never learn of, and the next refresh (presenting the old token) revokes the grant.
 */
export const REFRESH_CEILING_MS = 120_000;
const USER_AGENT = "NodeByte-Edge-API (+https://nodebyte.host)";

export type HytaleHttpDeps = Pick<Deps, "fetch" | "config">;

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval: number;
}

export interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  /** Absent when the server did not rotate it: keep the one we have. */
  refresh_token?: string;
  scope?: string;
}

export type OAuthResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: string; description?: string; status: number };

export interface Profile {
  uuid: string;
  username: string;
}
export interface ProfileList {
  owner: string;
  profiles: Profile[];
}

export interface CallOptions {
  timeoutMs?: number;
  /** Overrides the configured host (tests point at a fault path). */
  baseUrl?: string;
}

const positiveInt = (v: unknown, fallback: number) =>
  typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.ceil(v) : fallback;

function retryAfterOf(res: Response): string | undefined {
  const v = res.headers.get("retry-after");
  return v && /^\d{1,6}$/.test(v.trim()) ? v.trim() : undefined;
}

async function send(deps: HytaleHttpDeps, url: string, init: RequestInit, opts: CallOptions, peer: string) {
  try {
    return await deps.fetch(url, {
      ...init,
      headers: { "user-agent": USER_AGENT, accept: "application/json", ...(init.headers ?? {}) },
      signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new AppError(
      timedOut ? "UPSTREAM_TIMEOUT" : "UPSTREAM_ERROR",
      timedOut ? `Hytale ${peer} did not answer in time` : `Hytale ${peer} could not be reached`,
      { retryable: true, context: { peer }, cause: err },
    );
  }
}

/** 5xx and 429 from a peer: never an answer about the grant, always worth retrying later. */
function transportFailure(res: Response, peer: string): AppError | undefined {
  const retryAfter = retryAfterOf(res);
  const headers: Record<string, string> = retryAfter ? { "Retry-After": retryAfter } : {};
  if (res.status === 429) {
    return new AppError("RATE_LIMITED", `Hytale ${peer} is rate limiting us; try again later`, {
      headers,
      retryable: true,
      context: { peer, status: res.status },
    });
  }
  if (res.status >= 500) {
    return new AppError("UPSTREAM_ERROR", `Hytale ${peer} failed (HTTP ${res.status})`, {
      headers,
      retryable: true,
      context: { peer, status: res.status },
    });
  }
  return undefined;
}

async function jsonOf(res: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const v: unknown = await res.json();
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function badAnswer(peer: string, status: number): AppError {
  return new AppError("UPSTREAM_ERROR", `Hytale ${peer} sent an answer we cannot read`, {
    retryable: true,
    context: { peer, status },
  });
}

/** An OAuth token-endpoint answer: tokens on 200, `{error}` on 4xx (decoded whatever the status). */
async function tokenEndpoint(deps: HytaleHttpDeps, form: URLSearchParams, opts: CallOptions) {
  const base = opts.baseUrl ?? deps.config.hytale.oauthUrl;
  const res = await send(
    deps,
    `${base}/oauth2/token`,
    { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form },
    opts,
    "OAuth server",
  );
  const failure = transportFailure(res, "OAuth server");
  if (failure) throw failure;
  const body = await jsonOf(res);
  if (!body) throw badAnswer("OAuth server", res.status);
  if (res.ok && typeof body.access_token === "string" && body.access_token) {
    const value: TokenAnswer = {
      access_token: body.access_token,
      token_type: typeof body.token_type === "string" ? body.token_type : "bearer",
      expires_in: positiveInt(body.expires_in, 3600),
      refresh_token:
        typeof body.refresh_token === "string" && body.refresh_token ? body.refresh_token : undefined,
      scope: typeof body.scope === "string" ? body.scope : undefined,
    };
    return { ok: true as const, value };
  }
  if (typeof body.error === "string" && body.error) {
    return {
      ok: false as const,
      error: body.error,
      description: typeof body.error_description === "string" ? body.error_description : undefined,
      status: res.status,
    };
  }
  throw badAnswer("OAuth server", res.status);
}

/** RFC 8628 §3.1–3.2. `interval` defaults to 5 s and `expires_in` to 600 s when absent. */
export async function requestDeviceCode(
  deps: HytaleHttpDeps,
  opts: CallOptions = {},
): Promise<DeviceAuthorization> {
  const base = opts.baseUrl ?? deps.config.hytale.oauthUrl;
  const res = await send(
    deps,
    `${base}/oauth2/device/auth`,
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: HYTALE_CLIENT_ID, scope: HYTALE_SCOPE }),
    },
    opts,
    "OAuth server",
  );
  const failure = transportFailure(res, "OAuth server");
  if (failure) throw failure;
  const body = await jsonOf(res);
  if (
    !res.ok ||
    !body ||
    typeof body.device_code !== "string" ||
    typeof body.user_code !== "string" ||
    typeof body.verification_uri !== "string"
  ) {
    throw badAnswer("OAuth server", res.status);
  }
  return parseDeviceAuthorization(body);
}

/** The fields of a device-authorization answer, relayed as given, with RFC 8628's defaults. */
export function parseDeviceAuthorization(body: Record<string, unknown>): DeviceAuthorization {
  return {
    device_code: String(body.device_code),
    user_code: String(body.user_code),
    verification_uri: String(body.verification_uri),
    verification_uri_complete:
      typeof body.verification_uri_complete === "string" ? body.verification_uri_complete : undefined,
    expires_in: positiveInt(body.expires_in, DEFAULT_DEVICE_CODE_SECONDS),
    interval: positiveInt(body.interval, DEFAULT_INTERVAL_SECONDS),
  };
}

/** One RFC 8628 §3.4 poll. */
export function pollDeviceToken(
  deps: HytaleHttpDeps,
  deviceCode: string,
  opts: CallOptions = {},
): Promise<OAuthResult<TokenAnswer>> {
  return tokenEndpoint(
    deps,
    new URLSearchParams({ client_id: HYTALE_CLIENT_ID, grant_type: DEVICE_GRANT, device_code: deviceCode }),
    opts,
  );
}

/** RFC 6749 §6. Only the account's HytaleGrant object may call this (rotation, reuse revokes). */
export function refreshTokens(
  deps: HytaleHttpDeps,
  refreshToken: string,
  opts: CallOptions = {},
): Promise<OAuthResult<TokenAnswer>> {
  return tokenEndpoint(
    deps,
    new URLSearchParams({
      client_id: HYTALE_CLIENT_ID,
      grant_type: "refresh_token",
      refresh_token: refreshToken,
    }),
    opts,
  );
}

/** account-data's profile list; a 401 means the access token (and likely the grant) is no good. */
export async function fetchProfiles(
  deps: HytaleHttpDeps,
  accessToken: string,
  opts: CallOptions = {},
): Promise<{ ok: true; value: ProfileList } | { ok: false; status: 401 | 403 }> {
  const base = opts.baseUrl ?? deps.config.hytale.accountDataUrl;
  const res = await send(
    deps,
    `${base}/my-account/get-profiles`,
    { method: "GET", headers: { authorization: `Bearer ${accessToken}` } },
    opts,
    "account-data",
  );
  const failure = transportFailure(res, "account-data");
  if (failure) throw failure;
  if (res.status === 401 || res.status === 403) return { ok: false, status: res.status };
  const body = res.ok ? await jsonOf(res) : undefined;
  if (!body || !Array.isArray(body.profiles)) throw badAnswer("account-data", res.status);
  const profiles = body.profiles
    .filter(
      (p): p is Profile =>
        typeof p === "object" &&
        p !== null &&
        typeof (p as Profile).uuid === "string" &&
        typeof (p as Profile).username === "string",
    )
    .map((p) => ({ uuid: p.uuid.toLowerCase(), username: p.username }));
  return { ok: true, value: { owner: typeof body.owner === "string" ? body.owner : "", profiles } };
}
