// A local fake of Hytale's OAuth server (an RFC 8628 device-authorization server with RFC 6749
// refresh), as unfriendly as the real one:
// - `POST /oauth2/device/auth` (form client_id=hytale-server, scope) → device_code, user_code,
//   verification_uri(_complete), expires_in, interval (both configurable; interval may be omitted).
// - `POST /oauth2/token` grant_type=urn:ietf:params:oauth:grant-type:device_code →
//   authorization_pending, slow_down (polled faster than the interval: the interval grows by 5 s),
//   expired_token, access_denied, invalid_grant (unknown or already used), or the tokens once.
//   grant_type=refresh_token → rotation (new access + refresh token); presenting a rotated-away
//   refresh token revokes the whole grant (invalid_grant for every token of it).
// - Access tokens are EdDSA (Ed25519) JWTs with a `kid`; `GET /.well-known/jwks.json` serves the
//   current and the previous key; `POST /__rotate-keys` rotates.
// - Faults by path prefix, stateless and race-free: `/__fault/500/…`, `/__fault/503/…`,
//   `/__fault/401/…`, `/__fault/429/…`, `/__fault/slow/…` (answers after 5 s) and `/__fault/reset/…`
//   (reads the request, then drops the connection without an answer).
// Test controls: `POST /__approve {user_code, sub?}`, `/__deny`, `/__expire`, `/__slow-down`
// `{user_code}`, `/__seed-grant {sub, refresh_token?}` (a grant as if linked, with the given refresh token
// or a new one; answers it),
// `/__revoke {sub}` (the grant and its access tokens die, as when the user revokes the app),
// `/__omit-refresh {sub}` (the next refresh answer carries no refresh_token), `/__slow-refresh
// {sub, ms}` (the next refresh answer is late),
// `POST /__sign {claims, kid?}` (any claims, signed with the current key; kid null omits it),
// `GET /__codes/{user_code}` (poll counts), `GET /__grants/{sub}`, `GET /__stats`.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

type KeyLike = Parameters<SignJWT["sign"]>[0];

export const HYTALE_CLIENT_ID = "hytale-server";
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
/** Polls this much earlier than the interval are still on time (network jitter). */
const POLL_TOLERANCE_MS = 150;

interface DeviceCode {
  deviceCode: string;
  userCode: string;
  scope: string;
  intervalMs: number;
  expiresAt: number;
  status: "pending" | "approved" | "denied" | "used";
  sub?: string;
  lastPollAt?: number;
  polls: number;
  slowDowns: number;
  forceSlowDown: boolean;
}

interface Grant {
  sub: string;
  scope: string;
  current: string;
  used: Set<string>;
  revoked: boolean;
  refreshes: number;
  omitNextRefresh: boolean;
  /** The next refresh answer waits this long (a slow peer: concurrent callers pile up). */
  delayNextMs: number;
}

interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  publicJwk: JWK;
}

export interface FakeHytaleOAuthOptions {
  port?: number;
  /** Seconds announced as `interval` (default 5); `null` omits the field (clients default to 5). */
  interval?: number | null;
  /** Seconds a device code lives (default 600). */
  expiresIn?: number;
  /** Seconds an access token lives (default 3600). */
  accessTokenTtl?: number;
  /** Approve every device code at once (dev convenience). */
  autoApprove?: boolean;
  onDeviceCode?: (code: { userCode: string; verificationUriComplete: string }) => void;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  return { kid, privateKey, publicJwk };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ";
function newUserCode(): string {
  const bytes = randomBytes(8);
  const chars = [...bytes].map((b) => userCodeAlphabet[b % userCodeAlphabet.length]);
  return `${chars.slice(0, 4).join("")}-${chars.slice(4).join("")}`;
}

export async function startFakeHytaleOAuth(opts: FakeHytaleOAuthOptions = {}) {
  const codes = new Map<string, DeviceCode>();
  const byUserCode = new Map<string, DeviceCode>();
  const grants = new Map<string, Grant>();
  const grantByRefresh = new Map<string, Grant>();
  const accessTokens = new Map<string, { sub: string; expiresAt: number }>();
  let keys: SigningKey[] = [await newKey()];
  const stats = { deviceAuth: 0, devicePolls: 0, refreshes: 0, tokenRequests: 0 };
  const accessTtl = opts.accessTokenTtl ?? 3600;
  let baseUrl = "";

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
    res.end(JSON.stringify(body));
  };
  const oauthError = (res: ServerResponse, error: string, description: string, status = 400) =>
    json(res, status, { error, error_description: description });

  async function issue(grant: Grant, rotate: boolean) {
    // Rotation happens before the first await, so a concurrent second use of the same refresh
    // token already sees it as used (the real server's check-and-rotate is atomic too).
    let refreshToken: string | undefined;
    if (!rotate) refreshToken = grant.current;
    else if (grant.omitNextRefresh) grant.omitNextRefresh = false;
    else {
      grant.used.add(grant.current);
      grant.current = randomBytes(32).toString("base64url");
      grantByRefresh.set(grant.current, grant);
      refreshToken = grant.current;
    }
    const now = Math.floor(Date.now() / 1000);
    const key = keys[0] as SigningKey;
    const accessToken = await new SignJWT({ scope: grant.scope, client_id: HYTALE_CLIENT_ID })
      .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "JWT" })
      .setIssuer(baseUrl)
      .setSubject(grant.sub)
      .setAudience([HYTALE_CLIENT_ID])
      .setIssuedAt(now)
      .setExpirationTime(now + accessTtl)
      .setJti(randomUUID())
      .sign(key.privateKey);
    accessTokens.set(accessToken, { sub: grant.sub, expiresAt: (now + accessTtl) * 1000 });
    return {
      access_token: accessToken,
      token_type: "bearer",
      expires_in: accessTtl,
      scope: grant.scope,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
  }

  /** A grant as if a device flow had completed for `sub` (benches seed thousands at once). */
  function seedGrant(sub: string, scope = "openid offline auth:server", refreshToken?: string): string {
    const grant: Grant = {
      sub,
      scope,
      current: refreshToken ?? randomBytes(32).toString("base64url"),
      used: new Set(),
      revoked: false,
      refreshes: 0,
      omitNextRefresh: false,
      delayNextMs: 0,
    };
    grants.set(sub, grant);
    grantByRefresh.set(grant.current, grant);
    return grant.current;
  }

  async function token(req: IncomingMessage, res: ServerResponse, form: URLSearchParams) {
    stats.tokenRequests++;
    if (form.get("client_id") !== HYTALE_CLIENT_ID)
      return oauthError(res, "invalid_client", "Unknown client", 401);
    const grantType = form.get("grant_type");
    if (grantType === DEVICE_GRANT) {
      stats.devicePolls++;
      const code = codes.get(form.get("device_code") ?? "");
      if (!code) return oauthError(res, "invalid_grant", "Unknown device code");
      const now = Date.now();
      const early =
        code.lastPollAt !== undefined && now - code.lastPollAt < code.intervalMs - POLL_TOLERANCE_MS;
      code.polls++;
      code.lastPollAt = now;
      if (now >= code.expiresAt) return oauthError(res, "expired_token", "The device code has expired");
      if (code.status === "used") return oauthError(res, "invalid_grant", "The device code was already used");
      if (early || code.forceSlowDown) {
        code.forceSlowDown = false;
        code.slowDowns++;
        code.intervalMs += 5000;
        return oauthError(res, "slow_down", "Polling too fast; the interval was increased by 5 seconds");
      }
      if (code.status === "denied") return oauthError(res, "access_denied", "The user denied the request");
      if (code.status === "pending") return oauthError(res, "authorization_pending", "Waiting for the user");
      code.status = "used";
      const sub = code.sub ?? randomUUID();
      seedGrant(sub, code.scope);
      const grant = grants.get(sub) as Grant;
      return json(res, 200, await issue(grant, false));
    }
    if (grantType === "refresh_token") {
      stats.refreshes++;
      const presented = form.get("refresh_token") ?? "";
      const grant = grantByRefresh.get(presented);
      if (!grant || grant.revoked) return oauthError(res, "invalid_grant", "The refresh token is invalid");
      if (presented !== grant.current) {
        // Reuse of a rotated refresh token: the whole grant is revoked (RFC 6819 §5.2.2.3).
        grant.revoked = true;
        return oauthError(res, "invalid_grant", "The refresh token was already used; the grant is revoked");
      }
      grant.refreshes++;
      const answer = await issue(grant, true);
      const delay = grant.delayNextMs;
      grant.delayNextMs = 0;
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return json(res, 200, answer);
    }
    void req;
    return oauthError(res, "unsupported_grant_type", "Unsupported grant type");
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    let path = url.pathname;
    const fault = /^\/__fault\/(500|503|401|429|slow|reset)(\/.*)$/.exec(path);
    if (fault) {
      const [, kind, rest] = fault as unknown as [string, string, string];
      await readBody(req);
      // The request arrived, and the connection dies before any answer (was it processed?).
      if (kind === "reset") return void req.socket.destroy();
      if (kind === "500") return json(res, 500, { error: "server_error" });
      if (kind === "503") return json(res, 503, { error: "temporarily_unavailable" }, { "retry-after": "7" });
      if (kind === "401") return oauthError(res, "invalid_client", "Client authentication failed", 401);
      if (kind === "429") return json(res, 429, { error: "rate_limited" }, { "retry-after": "11" });
      await new Promise((r) => setTimeout(r, 5000));
      path = rest;
      if (res.destroyed) return;
    }
    const body = req.method === "POST" ? await readBody(req) : "";
    const control = (): Record<string, string> => {
      try {
        return JSON.parse(body || "{}") as Record<string, string>;
      } catch {
        return {};
      }
    };
    if (req.method === "POST" && path === "/oauth2/device/auth") {
      stats.deviceAuth++;
      const form = new URLSearchParams(body);
      if (form.get("client_id") !== HYTALE_CLIENT_ID)
        return oauthError(res, "invalid_client", "Unknown client", 401);
      const interval = opts.interval === undefined ? 5 : opts.interval;
      const expiresIn = opts.expiresIn ?? 600;
      const code: DeviceCode = {
        deviceCode: randomBytes(24).toString("base64url"),
        userCode: newUserCode(),
        scope: form.get("scope") ?? "openid offline auth:server",
        intervalMs: (interval ?? 5) * 1000,
        expiresAt: Date.now() + expiresIn * 1000,
        status: opts.autoApprove ? "approved" : "pending",
        polls: 0,
        slowDowns: 0,
        forceSlowDown: false,
      };
      codes.set(code.deviceCode, code);
      byUserCode.set(code.userCode, code);
      const verificationUri = `${baseUrl}/oauth2/device/verify`;
      const complete = `${verificationUri}?user_code=${code.userCode}`;
      opts.onDeviceCode?.({ userCode: code.userCode, verificationUriComplete: complete });
      return json(res, 200, {
        device_code: code.deviceCode,
        user_code: code.userCode,
        verification_uri: verificationUri,
        verification_uri_complete: complete,
        expires_in: expiresIn,
        ...(interval === null ? {} : { interval }),
      });
    }
    if (req.method === "POST" && path === "/oauth2/token") return token(req, res, new URLSearchParams(body));
    if (req.method === "GET" && path === "/.well-known/jwks.json") {
      return json(res, 200, { keys: keys.map((k) => k.publicJwk) }, { "cache-control": "max-age=3600" });
    }
    if (req.method === "GET" && path === "/oauth2/device/verify") {
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end(
        `Approve with: curl -X POST ${baseUrl}/__approve -d '{"user_code":"${url.searchParams.get("user_code") ?? ""}"}'\n`,
      );
    }
    if (req.method === "POST" && ["/__approve", "/__deny", "/__expire", "/__slow-down"].includes(path)) {
      const c = control();
      const code = byUserCode.get(String(c.user_code ?? ""));
      if (!code) return json(res, 404, { error: "unknown user_code" });
      if (path === "/__approve") {
        code.status = "approved";
        code.sub = c.sub ?? code.sub;
      } else if (path === "/__deny") code.status = "denied";
      else if (path === "/__expire") code.expiresAt = Date.now() - 1;
      else code.forceSlowDown = true;
      return json(res, 200, { ok: true });
    }
    if (req.method === "POST" && path === "/__seed-grant") {
      const c = control();
      const sub = String(c.sub ?? randomUUID());
      const given = typeof c.refresh_token === "string" && c.refresh_token ? c.refresh_token : undefined;
      return json(res, 200, { sub, refresh_token: seedGrant(sub, undefined, given) });
    }
    if (req.method === "POST" && path === "/__revoke") {
      const grant = grants.get(String(control().sub ?? ""));
      if (!grant) return json(res, 404, { error: "unknown sub" });
      grant.revoked = true;
      for (const [t, a] of accessTokens) if (a.sub === grant.sub) accessTokens.delete(t);
      return json(res, 200, { ok: true });
    }
    if (req.method === "POST" && path === "/__slow-refresh") {
      const c = control();
      const grant = grants.get(String(c.sub ?? ""));
      if (!grant) return json(res, 404, { error: "unknown sub" });
      grant.delayNextMs = Number(c.ms ?? 1000);
      return json(res, 200, { ok: true });
    }
    if (req.method === "POST" && path === "/__omit-refresh") {
      const grant = grants.get(String(control().sub ?? ""));
      if (!grant) return json(res, 404, { error: "unknown sub" });
      grant.omitNextRefresh = true;
      return json(res, 200, { ok: true });
    }
    if (req.method === "POST" && path === "/__sign") {
      // Any claims, signed with the current key; `kid: null` leaves the kid out.
      const c = JSON.parse(body || "{}") as { claims?: Record<string, unknown>; kid?: string | null };
      const key = keys[0] as SigningKey;
      const header: { alg: string; kid?: string } = { alg: "EdDSA" };
      if (c.kid !== null) header.kid = c.kid ?? key.kid;
      const token = await new SignJWT(c.claims ?? {}).setProtectedHeader(header).sign(key.privateKey);
      return json(res, 200, { token, kid: key.kid });
    }
    if (req.method === "POST" && path === "/__rotate-keys") {
      keys = [await newKey(), ...keys].slice(0, 2);
      return json(res, 200, { kid: keys[0]?.kid });
    }
    const codeInfo = /^\/__codes\/([A-Z-]+)$/.exec(path);
    if (req.method === "GET" && codeInfo) {
      const code = byUserCode.get(codeInfo[1] as string);
      if (!code) return json(res, 404, { error: "unknown user_code" });
      return json(res, 200, {
        status: code.status,
        polls: code.polls,
        slowDowns: code.slowDowns,
        interval: code.intervalMs / 1000,
      });
    }
    const grantInfo = /^\/__grants\/(.+)$/.exec(path);
    if (req.method === "GET" && grantInfo) {
      const grant = grants.get(decodeURIComponent(grantInfo[1] as string));
      if (!grant) return json(res, 404, { error: "unknown sub" });
      return json(res, 200, { revoked: grant.revoked, refreshes: grant.refreshes });
    }
    if (req.method === "GET" && path === "/__stats") return json(res, 200, stats);
    return json(res, 404, { error: "not_found" });
  });
  // Longer than any client keeps an idle connection: no reset of a reused keep-alive socket.
  server.keepAliveTimeout = 75_000;
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    url: baseUrl,
    stats: () => ({ ...stats }),
    resetStats() {
      stats.deviceAuth = stats.devicePolls = stats.refreshes = stats.tokenRequests = 0;
    },
    seedGrant,
    /** Who an access token belongs to (the account-data fake authenticates with this). */
    accessTokenOwner(token: string): string | undefined {
      const t = accessTokens.get(token);
      return t && t.expiresAt > Date.now() ? t.sub : undefined;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export type FakeHytaleOAuth = Awaited<ReturnType<typeof startFakeHytaleOAuth>>;
