// A local fake of Hytale's sessions host, as unfriendly as the real one:
// - `POST /game-session/new` (Bearer OAuth access token, JSON `{uuid}`: a profile of the token's
//   owner) → `{sessionToken, identityToken, expiresAt}`: EdDSA JWTs with a `kid` and a real `exp`.
//   403 for the session cap (100 live sessions per account unless it holds the unlimited
//   entitlement) and 403 for a missing `hytale:server` entitlement, told apart only by the body;
//   404 for a profile the account does not own; 401 for an unknown or expired access token.
// - `POST /game-session/refresh` (Bearer session token, no body) → new session + identity tokens;
//   the presented session token stops working (401 once expired or replaced).
// - `DELETE /game-session` (Bearer session token) → 204; 404 for a session it does not know.
// - `GET /.well-known/jwks.json`: the signing keys (these tokens are verified against it).
// Faults: `/__fault/{500,503,slow}/…` by path prefix (stateless), and per account
// `POST /__fail {sub, op: new|refresh|delete, status: 500|503|"timeout", times}` (the next
// `times` calls of that op for that account fail; "timeout" answers after 15 s).
// Test controls: `POST /__account {sub, entitled?, unlimited?, cap?}`, `GET /__sessions/{sub}`
// (live sessions of an account), `POST /__expire {sessionToken}`, `GET /__stats`.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { defaultProfiles } from "./hytale-account-data.ts";

type KeyLike = Parameters<SignJWT["sign"]>[0];
type Op = "new" | "refresh" | "delete";

interface Session {
  id: string;
  sub: string;
  profile: string;
  token: string;
  expiresAt: number;
  refreshes: number;
}

interface Account {
  entitled: boolean;
  unlimited: boolean;
  cap: number;
  failures: Partial<Record<Op, { status: number | "timeout"; times: number }>>;
}

export const SESSION_CAP = 100;
export const SESSION_LIMIT_BODY = {
  error: "session_limit_reached",
  message: "Too many concurrent game sessions for this account (limit 100)",
};
export const NO_ENTITLEMENT_BODY = {
  error: "missing_entitlement",
  message: "This account does not hold the hytale:server entitlement",
};

export interface FakeHytaleSessionsOptions {
  port?: number;
  /** Who an OAuth access token belongs to (the OAuth fake's accessTokenOwner). */
  ownerOf: (accessToken: string) => string | undefined;
  /** Whether `sub` owns profile `uuid` (default: the account-data fake's default profiles). */
  owns?: (sub: string, uuid: string) => boolean;
  /** Seconds a session lives (default 3600). */
  sessionTtl?: number;
  /** Milliseconds a "timeout" failure waits before answering (default 15 s). */
  timeoutMs?: number;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeHytaleSessions(opts: FakeHytaleSessionsOptions) {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  const key = privateKey as KeyLike;
  const ttl = opts.sessionTtl ?? 3600;
  const owns = opts.owns ?? ((sub, uuid) => defaultProfiles(sub).some((p) => p.uuid === uuid));
  const accounts = new Map<string, Account>();
  const byToken = new Map<string, Session>();
  const stats = { created: 0, refreshed: 0, deleted: 0, refused: 0 };
  let baseUrl = "";

  const account = (sub: string): Account => {
    let a = accounts.get(sub);
    if (!a) {
      a = { entitled: true, unlimited: false, cap: SESSION_CAP, failures: {} };
      accounts.set(sub, a);
    }
    return a;
  };
  const live = (sub: string) =>
    [...byToken.values()].filter((s) => s.sub === sub && s.expiresAt > Date.now());
  const json = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const bearer = (req: IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";

  async function sign(claims: Record<string, unknown>, sub: string, exp: number, aud: string) {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "EdDSA", kid, typ: "JWT" })
      .setIssuer(baseUrl)
      .setSubject(sub)
      .setAudience(aud)
      .setIssuedAt()
      .setExpirationTime(Math.floor(exp / 1000))
      .setJti(randomUUID())
      .sign(key);
  }

  /** New tokens for `s` (same session id); the previous session token stops working. */
  async function issue(s: Session) {
    s.expiresAt = Date.now() + ttl * 1000;
    byToken.delete(s.token);
    s.token = await sign({ sid: s.id, scope: "hytale:server" }, s.profile, s.expiresAt, "hytale-session");
    byToken.set(s.token, s);
    const identityToken = await sign(
      { sid: s.id, profile: { uuid: s.profile }, scope: "hytale:server" },
      s.profile,
      s.expiresAt,
      "hytale-server",
    );
    return { sessionToken: s.token, identityToken, expiresAt: new Date(s.expiresAt).toISOString() };
  }

  /** A scripted failure for this op and account, if one is armed; true when it answered. */
  async function failed(res: ServerResponse, sub: string | undefined, op: Op): Promise<boolean> {
    const f = sub ? accounts.get(sub)?.failures[op] : undefined;
    if (!f || f.times <= 0) return false;
    f.times--;
    if (f.status === "timeout") {
      await new Promise((r) => setTimeout(r, opts.timeoutMs ?? 15_000));
      if (res.destroyed) return true;
      json(res, 504, { error: "gateway_timeout" });
      return true;
    }
    json(res, f.status, { error: "internal_error" });
    return true;
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    let path = url.pathname;
    const fault = /^\/__fault\/(500|503|slow)(\/.*)$/.exec(path);
    if (fault) {
      const [, kind, rest] = fault as unknown as [string, string, string];
      if (kind !== "slow") {
        await readBody(req);
        return json(res, Number(kind), { error: "internal_error" });
      }
      await new Promise((r) => setTimeout(r, opts.timeoutMs ?? 15_000));
      if (res.destroyed) return;
      path = rest;
    }
    const body = await readBody(req);
    const control = (): Record<string, unknown> => {
      try {
        return JSON.parse(body || "{}") as Record<string, unknown>;
      } catch {
        return {};
      }
    };
    if (req.method === "GET" && path === "/.well-known/jwks.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=3600" });
      return res.end(JSON.stringify({ keys: [jwk] }));
    }
    if (req.method === "POST" && path === "/game-session/new") {
      const sub = opts.ownerOf(bearer(req));
      if (!sub) return json(res, 401, { error: "unauthorized", message: "Invalid or expired access token" });
      if (await failed(res, sub, "new")) return;
      const uuid = String(control().uuid ?? "").toLowerCase();
      if (!/^[0-9a-f-]{36}$/.test(uuid))
        return json(res, 400, { error: "bad_request", message: "uuid is required" });
      const a = account(sub);
      if (!a.entitled) {
        stats.refused++;
        return json(res, 403, NO_ENTITLEMENT_BODY);
      }
      if (!owns(sub, uuid)) return json(res, 404, { error: "profile_not_found", message: "No such profile" });
      if (!a.unlimited && live(sub).length >= a.cap) {
        stats.refused++;
        return json(res, 403, SESSION_LIMIT_BODY);
      }
      stats.created++;
      const s: Session = { id: randomUUID(), sub, profile: uuid, token: "", expiresAt: 0, refreshes: 0 };
      return json(res, 200, await issue(s));
    }
    if (path === "/game-session/refresh" || path === "/game-session") {
      const s = byToken.get(bearer(req));
      const op: Op = req.method === "DELETE" ? "delete" : "refresh";
      if (await failed(res, s?.sub, op)) return;
      if (req.method === "POST" && path === "/game-session/refresh") {
        if (!s || s.expiresAt <= Date.now()) return json(res, 401, { error: "invalid_session" });
        s.refreshes++;
        stats.refreshed++;
        return json(res, 200, await issue(s));
      }
      if (req.method === "DELETE" && path === "/game-session") {
        if (!s) return json(res, 404, { error: "session_not_found" });
        byToken.delete(s.token);
        stats.deleted++;
        res.writeHead(204);
        return res.end();
      }
    }
    if (req.method === "POST" && path === "/__account") {
      const c = control();
      const a = account(String(c.sub ?? ""));
      if (typeof c.entitled === "boolean") a.entitled = c.entitled;
      if (typeof c.unlimited === "boolean") a.unlimited = c.unlimited;
      if (typeof c.cap === "number") a.cap = c.cap;
      return json(res, 200, { entitled: a.entitled, unlimited: a.unlimited, cap: a.cap });
    }
    if (req.method === "POST" && path === "/__fail") {
      const c = control();
      const op = String(c.op) as Op;
      if (!["new", "refresh", "delete"].includes(op))
        return json(res, 400, { error: "op: new|refresh|delete" });
      const status = c.status === "timeout" ? "timeout" : Number(c.status ?? 500);
      account(String(c.sub ?? "")).failures[op] = { status, times: Number(c.times ?? 1) };
      return json(res, 200, { ok: true });
    }
    if (req.method === "POST" && path === "/__expire") {
      const s = byToken.get(String(control().sessionToken ?? ""));
      if (!s) return json(res, 404, { error: "unknown session" });
      s.expiresAt = Date.now() - 1;
      return json(res, 200, { ok: true });
    }
    const list = /^\/__sessions\/(.+)$/.exec(path);
    if (req.method === "GET" && list) {
      const sessions = live(decodeURIComponent(list[1] as string)).map((s) => ({
        id: s.id,
        profile: s.profile,
        expiresAt: new Date(s.expiresAt).toISOString(),
        refreshes: s.refreshes,
      }));
      return json(res, 200, { count: sessions.length, sessions });
    }
    if (req.method === "GET" && path === "/__stats") return json(res, 200, stats);
    return json(res, 404, { error: "not_found" });
  });
  server.keepAliveTimeout = 75_000;
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    stats: () => ({ ...stats }),
    /** Live sessions of an account (benches read it without HTTP). */
    liveCount: (sub: string) => live(sub).length,
    /** Whether `sessionToken` is a session's current, unexpired token (a bench counts lost sessions). */
    isCurrent: (sessionToken: string) => {
      const s = byToken.get(sessionToken);
      return s !== undefined && s.token === sessionToken && s.expiresAt > Date.now();
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export type FakeHytaleSessions = Awaited<ReturnType<typeof startFakeHytaleSessions>>;
