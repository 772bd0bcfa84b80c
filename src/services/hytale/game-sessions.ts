// Hytale game sessions: the sessions host's protocol (new with the account's access token, refresh
// and DELETE with the session token), the tokens sealed at rest (bound to their column and
// account), and their delivery into the game server's two hidden startup variables through the
// panel's application API (read the server, PATCH …/startup with everything it had plus the two
// values, compare what the panel answers). docs/hytale.md explains the choices.
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import { type HytaleGameSession, hytaleGameSessions } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import type { Config } from "../../platform/env.ts";
import { AppError } from "../../platform/errors.ts";
import { decryptSecret, encryptSecret, keyRing } from "../../platform/secrets.ts";
import { panelConnection } from "../panel/connection.ts";
import { panelDeps, panelRequest } from "../panel/panel-client.ts";
import { readSettings } from "../settings/settings.ts";
import { verifyHytaleToken } from "./jwks.ts";

const TIMEOUT_MS = 10_000;
/** In broker mode, sessions with less than this left are refreshed by the backend (SPEC §9). */
export const SESSION_REFRESH_WINDOW_MS = 5 * 60_000;

export interface SessionTokens {
  sessionToken: string;
  identityToken: string;
  expiresAt: Date;
}

type PeerDeps = Pick<Deps, "fetch" | "config" | "now">;

// --- tokens at rest ------------------------------------------------------------------------------

type Keys = Pick<Config, "encryptionKey" | "encryptionKeys">;
const place = (column: string, accountId: string) => `hytale_game_sessions.${column}:${accountId}`;

export async function sealSession(config: Keys, accountId: string, t: SessionTokens) {
  const ring = await keyRing(config);
  return {
    sessionToken: await encryptSecret(ring, t.sessionToken, place("session_token", accountId)),
    identityToken: await encryptSecret(ring, t.identityToken, place("identity_token", accountId)),
    expiresAt: t.expiresAt,
  };
}

export async function openSession(config: Keys, row: HytaleGameSession) {
  const ring = await keyRing(config);
  return {
    sessionToken: await decryptSecret(ring, row.sessionToken, place("session_token", row.accountId)),
    identityToken: await decryptSecret(ring, row.identityToken, place("identity_token", row.accountId)),
  };
}

// --- the sessions host ---------------------------------------------------------------------------

async function send(deps: PeerDeps, method: string, path: string, bearer: string, body?: unknown) {
  try {
    return await deps.fetch(`${deps.config.hytale.sessionsUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        accept: "application/json",
        "user-agent": "NodeByte-Edge-API (+https://nodebyte.host)",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new AppError(
      timedOut ? "UPSTREAM_TIMEOUT" : "UPSTREAM_ERROR",
      timedOut ? "Hytale sessions host did not answer in time" : "Hytale sessions host could not be reached",
      { retryable: true, cause: err },
    );
  }
}

function peerFailure(res: Response): AppError {
  const retryAfter = res.headers.get("retry-after");
  const headers: Record<string, string> =
    retryAfter && /^\d{1,6}$/.test(retryAfter) ? { "Retry-After": retryAfter } : {};
  if (res.status === 429)
    return new AppError("RATE_LIMITED", "Hytale sessions host is rate limiting us", {
      headers,
      retryable: true,
    });
  if (res.status === 504)
    return new AppError("UPSTREAM_TIMEOUT", "Hytale sessions host timed out", { retryable: true });
  return new AppError("UPSTREAM_ERROR", `Hytale sessions host failed (HTTP ${res.status})`, {
    headers,
    retryable: res.status >= 500,
    context: { status: res.status },
  });
}

/** Both tokens verified against the host's JWKS; `expiresAt` is the earlier of their `exp`. */
async function tokensOf(deps: PeerDeps, res: Response): Promise<SessionTokens> {
  const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  const s = body?.sessionToken;
  const i = body?.identityToken;
  if (typeof s !== "string" || typeof i !== "string" || !s || !i) {
    throw new AppError("UPSTREAM_ERROR", "Hytale sessions host sent an answer we cannot read");
  }
  const opts = { jwksUrl: deps.config.hytale.jwksUrl };
  const [sc, ic] = await Promise.all([
    verifyHytaleToken(deps, s, opts),
    verifyHytaleToken(deps, i, opts),
  ]).catch((err: unknown) => {
    throw new AppError("UPSTREAM_ERROR", "Hytale sessions host sent tokens that do not verify", {
      cause: err,
    });
  });
  const exp = Math.min(Number(sc.exp), Number(ic.exp));
  return { sessionToken: s, identityToken: i, expiresAt: new Date(exp * 1000) };
}

/** POST /game-session/new. The two 403s differ only in their body. */
export async function createUpstreamSession(deps: PeerDeps, accessToken: string, profileUuid: string) {
  const res = await send(deps, "POST", "/game-session/new", accessToken, { uuid: profileUuid });
  if (res.ok) return tokensOf(deps, res);
  const text = await res.text().catch(() => "");
  if (res.status === 403) {
    if (/limit|too many|maximum/i.test(text)) {
      throw new AppError("SESSION_LIMIT", "Session limit reached for this account", {
        publicError: "Session limit reached for this account",
      });
    }
    throw new AppError("FORBIDDEN", "The Hytale account may not host servers (missing entitlement)", {
      publicError: "missing_entitlement",
    });
  }
  if (res.status === 404 || res.status === 400)
    throw new AppError("NOT_FOUND", "Unknown profile for this Hytale account", {
      publicError: "profile_not_found",
    });
  if (res.status === 401)
    throw new AppError("UPSTREAM_ERROR", "Hytale sessions host refused the account's access token", {
      retryable: false,
    });
  throw peerFailure(res);
}

/** POST /game-session/refresh with the session token (which stops working afterwards). */
export async function refreshUpstreamSession(deps: PeerDeps, sessionToken: string) {
  const res = await send(deps, "POST", "/game-session/refresh", sessionToken);
  if (res.ok) return tokensOf(deps, res);
  await res.body?.cancel();
  if (res.status === 401 || res.status === 404)
    throw new AppError("NOT_FOUND", "The game session is no longer known to Hytale", {
      publicError: "session_not_found",
    });
  throw peerFailure(res);
}

/** DELETE /game-session: done on 2xx, and on 401/404 (the host no longer has it). */
export async function deleteUpstreamSession(deps: PeerDeps, sessionToken: string): Promise<void> {
  const res = await send(deps, "DELETE", "/game-session", sessionToken);
  await res.body?.cancel();
  if (res.ok || res.status === 404 || res.status === 401) return;
  throw peerFailure(res);
}

// --- delivery to the server -----------------------------------------------------------------------

export interface SessionVariables {
  session: string;
  identity: string;
}

export async function sessionVariables(deps: Pick<Deps, "db" | "config">): Promise<SessionVariables> {
  const s = await readSettings(deps, ["hytale_session_variable", "hytale_identity_variable"]);
  return {
    session: s.text("hytale_session_variable") || "HYTALE_SERVER_SESSION_TOKEN",
    identity: s.text("hytale_identity_variable") || "HYTALE_SERVER_IDENTITY_TOKEN",
  };
}

export type DeliveryResult = { status: "delivered" } | { status: "refused"; error: string };

interface PanelVariable {
  env_variable: string;
  default_value: string | null;
  user_viewable: boolean;
  user_editable: boolean;
  server_value: string | null;
}
interface PanelServer {
  id: number;
  egg: number;
  container: { startup_command: string; image: string; environment: Record<string, unknown> };
  relationships?: { variables?: { data?: { attributes: PanelVariable }[] } };
}

export interface DeliveryTarget {
  pterodactylId: number | null;
  uuid: string | null;
}

/** What every delivery of a batch shares: the panel connection, the variable names, egg verdicts. */
export interface DeliveryContext {
  conn: Awaited<ReturnType<typeof panelConnection>>;
  names: SessionVariables;
  /** Mirror verdict per egg (the live flags are checked per server, from the same GET). */
  mirrored: Map<number, Promise<string | undefined>>;
}

export async function deliveryContext(deps: Pick<Deps, "db" | "config">): Promise<DeliveryContext> {
  const [conn, names] = await Promise.all([panelConnection(deps), sessionVariables(deps)]);
  return { conn, names, mirrored: new Map() };
}

/** The synced egg (what the last sync saw) may still say visible when the panel changed: refuse too. */
async function mirrorRefusal(
  db: Database,
  egg: number,
  names: SessionVariables,
): Promise<string | undefined> {
  const r = await db.execute<{ env_variable: string }>(sql`
    select env_variable from egg_variables
    where egg_id = ${egg} and "deletedAt" is null and (user_viewable or user_editable)
      and env_variable in (${names.session}, ${names.identity})`);
  const visible = r.rows[0];
  return visible
    ? `variable ${visible.env_variable} of egg ${egg} is customer-visible in the synced egg`
    : undefined;
}

/** Why a server's egg cannot take the tokens (undefined: it can), from live and mirrored flags. */
async function eggRefusal(
  db: Database,
  server: PanelServer,
  ctx: DeliveryContext,
): Promise<string | undefined> {
  const vars = (server.relationships?.variables?.data ?? []).map((d) => d.attributes);
  for (const name of [ctx.names.session, ctx.names.identity]) {
    const v = vars.find((x) => x.env_variable === name);
    if (!v) return `egg ${server.egg} has no variable ${name}`;
    if (v.user_viewable || v.user_editable)
      return `variable ${name} of egg ${server.egg} is visible or editable by the customer`;
  }
  let verdict = ctx.mirrored.get(server.egg);
  if (!verdict) {
    verdict = mirrorRefusal(db, server.egg, ctx.names);
    ctx.mirrored.set(server.egg, verdict);
    // A failed read is not a verdict: the next delivery asks again.
    verdict.catch(() => ctx.mirrored.delete(server.egg));
  }
  return verdict;
}

/**
 * Writes the two tokens (or "" with `values: null`, only when a session is deliberately removed)
 * into the server's startup environment and compares what the panel saved. Throws a retryable
 * AppError when the panel fails; answers `refused` when the egg cannot safely hold them.
 */
export async function deliverTokens(
  deps: Pick<Deps, "db" | "config" | "fetch" | "stubs">,
  target: DeliveryTarget,
  values: { session: string; identity: string } | null,
  context?: DeliveryContext,
): Promise<DeliveryResult> {
  const ctx = context ?? (await deliveryContext(deps));
  const { conn, names } = ctx;
  if (!conn) return { status: "refused", error: "no panel is configured" };
  const pd = panelDeps(deps, conn);
  let id = target.pterodactylId;
  if (id === null) {
    if (!target.uuid) return { status: "refused", error: "the server is not on the panel" };
    const list = await panelRequest<{ data: { attributes: { id: number; uuid: string } }[] }>(
      pd,
      "application",
      "/servers",
      { query: { "filter[uuid]": target.uuid } },
    );
    id = list.body?.data?.find((d) => d.attributes.uuid === target.uuid)?.attributes.id ?? null;
    if (id === null) return { status: "refused", error: "the panel does not have this server" };
  }
  const { body } = await panelRequest<{ attributes: PanelServer }>(pd, "application", `/servers/${id}`, {
    query: { include: "variables" },
  });
  const server = body.attributes;
  const refusal = await eggRefusal(deps.db, server, ctx);
  if (refusal) return { status: "refused", error: refusal };
  // Every egg variable as the server has it now (the panel stores absent ones as ""), plus ours.
  const environment: Record<string, string | null> = {};
  for (const { attributes: v } of server.relationships?.variables?.data ?? []) {
    environment[v.env_variable] = v.server_value ?? v.default_value;
  }
  environment[names.session] = values?.session ?? "";
  environment[names.identity] = values?.identity ?? "";
  const saved = await panelRequest<{ attributes: PanelServer }>(pd, "application", `/servers/${id}/startup`, {
    method: "PATCH",
    body: {
      startup: server.container.startup_command,
      environment,
      egg: server.egg,
      image: server.container.image,
      skip_scripts: false,
    },
  });
  const env = saved.body?.attributes?.container?.environment ?? {};
  const same = (k: string) =>
    (env[k] ?? "") === (environment[k] ?? "") || (env[k] === null && environment[k] === "");
  if (!same(names.session) || !same(names.identity)) {
    throw new AppError("UPSTREAM_ERROR", "the panel did not keep the session tokens (read-back differs)", {
      retryable: true,
    });
  }
  return { status: "delivered" };
}

/** Records a delivery's outcome on the session row (never the tokens). */
export function deliveryUpdate(
  db: Database,
  sessionId: string,
  now: Date,
  r: DeliveryResult | { status: "failed"; error: string },
) {
  return db
    .update(hytaleGameSessions)
    .set({
      deliveryStatus: r.status,
      deliveryError: r.status === "delivered" ? null : r.error,
      ...(r.status === "delivered" ? { deliveredAt: now } : {}),
    })
    .where(and(eq(hytaleGameSessions.id, sessionId), sql`ended_at is null`));
}

// --- the session cap ----------------------------------------------------------------------------

export interface SessionGauge {
  live: number;
  cap: number;
  /** The count at which the near-cap notice goes out. */
  noticeAt: number;
}

export async function sessionGauge(
  deps: Pick<Deps, "db" | "config">,
  accountId: string,
): Promise<SessionGauge> {
  const [s, r] = await Promise.all([
    readSettings(deps, ["hytale_session_cap", "hytale_session_cap_notice_percent"]),
    deps.db.execute<{ n: number }>(
      sql`select count(*)::int as n from hytale_game_sessions where account_id = ${accountId} and ended_at is null and expires_at > now()`,
    ),
  ]);
  const cap = Math.max(1, s.get("hytale_session_cap") || 100);
  const pct = Math.min(100, Math.max(1, s.get("hytale_session_cap_notice_percent") || 90));
  return { live: r.rows[0]?.n ?? 0, cap, noticeAt: Math.ceil((cap * pct) / 100) };
}

/** Queues the near-cap notice when `g` just reached the threshold (or `force`: the peer said full). */
export async function noticeIfNearCap(
  deps: Pick<Deps, "enqueue" | "now">,
  accountId: string,
  g: SessionGauge,
  force = false,
) {
  if (!force && g.live !== g.noticeAt) return;
  const day = deps.now().toISOString().slice(0, 10);
  await deps.enqueue(
    "hytale.session-cap-notice",
    { accountId, live: g.live, cap: g.cap },
    { priority: "low", id: `session-cap:${accountId}:${day}` },
  );
}

/** The account status's game-session part: the cap gauge and the servers whose delivery failed. */
export async function gameSessionStatus(deps: Pick<Deps, "db" | "config">, accountId: string) {
  const t = hytaleGameSessions;
  const [g, problems] = await Promise.all([
    sessionGauge(deps, accountId),
    deps.db
      .select({ server_id: t.serverId, delivery_status: t.deliveryStatus, delivery_error: t.deliveryError })
      .from(t)
      .where(
        and(eq(t.accountId, accountId), sql`ended_at is null and delivery_status in ('refused', 'failed')`),
      )
      .limit(100),
  ]);
  return { live: g.live, cap: g.cap, near_cap: g.live >= g.noticeAt, delivery_problems: problems };
}
