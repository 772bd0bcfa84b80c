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
import { pool } from "../../platform/pool.ts";
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
  uuid: string;
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

type DeliveryDeps = Pick<Deps, "db" | "config" | "fetch" | "stubs">;
type TokenValues = { session: string; identity: string } | null;

/** Servers per list read: `filter[uuid]` with this many uuids, `per_page` the same. */
export const LIST_CHUNK = 100;

/**
 * Reads servers by uuid with ONE list request per ≤ 100 (`filter[uuid]=u1,u2,…` — Spatie splits
 * the value on commas into an OR of partial matches — `include=variables`, `per_page=100`). The
 * answer is matched by exact uuid: what a partial match adds is ignored, and a uuid missing from
 * the answer is missing from the map. Further pages are read only when the partial matches
 * overflow one page.
 */
export async function readPanelServers(
  deps: DeliveryDeps,
  ctx: DeliveryContext,
  uuids: readonly string[],
): Promise<Map<string, PanelServer>> {
  const found = new Map<string, PanelServer>();
  if (!ctx.conn) return found;
  const pd = panelDeps(deps, ctx.conn);
  const wanted = [...new Set(uuids.map((u) => u.toLowerCase()))];
  for (let i = 0; i < wanted.length; i += LIST_CHUNK) {
    const chunk = wanted.slice(i, i + LIST_CHUNK);
    const want = new Set(chunk);
    for (let page = 1; ; page++) {
      const { body } = await panelRequest<{
        data?: { attributes: PanelServer }[];
        meta?: { pagination?: { total_pages?: number } };
      }>(pd, "application", "/servers", {
        query: { "filter[uuid]": chunk.join(","), include: "variables", per_page: LIST_CHUNK, page },
      });
      for (const d of body?.data ?? []) {
        const uuid = String(d.attributes?.uuid ?? "").toLowerCase();
        if (want.has(uuid)) found.set(uuid, d.attributes);
      }
      const pages = Number(body?.meta?.pagination?.total_pages ?? 1);
      if (chunk.every((u) => found.has(u)) || page >= pages) break;
    }
  }
  return found;
}

/** The item read: `GET /servers/{id}?include=variables`. */
async function readPanelServer(deps: DeliveryDeps, ctx: DeliveryContext, id: number) {
  if (!ctx.conn) throw new AppError("INTERNAL", "no panel connection");
  const { body } = await panelRequest<{ attributes: PanelServer }>(
    panelDeps(deps, ctx.conn),
    "application",
    `/servers/${id}`,
    { query: { include: "variables" } },
  );
  return body.attributes;
}

/**
 * Writes the two tokens (or "" with `values: null`, only when a session is deliberately removed)
 * into the server's startup environment and compares what the panel saved. Throws a retryable
 * AppError when the panel fails; answers `refused` when the egg cannot safely hold them. A server
 * without a panel id is read from the list by uuid (one request instead of a lookup plus the item).
 */
export async function deliverTokens(
  deps: DeliveryDeps,
  target: DeliveryTarget,
  values: TokenValues,
  context?: DeliveryContext,
): Promise<DeliveryResult> {
  const ctx = context ?? (await deliveryContext(deps));
  if (!ctx.conn) return { status: "refused", error: "no panel is configured" };
  let server: PanelServer | undefined;
  if (target.pterodactylId !== null) server = await readPanelServer(deps, ctx, target.pterodactylId);
  else if (target.uuid)
    server = (await readPanelServers(deps, ctx, [target.uuid])).get(target.uuid.toLowerCase());
  else return { status: "refused", error: "the server is not on the panel" };
  if (!server) return { status: "refused", error: "the panel does not have this server" };
  return writeTokens(deps, ctx, server, values);
}

/** One item of a batch delivery: the outcome, or what the panel (or we) threw. */
export type BatchOutcome = DeliveryResult | { status: "error"; error: unknown };

/**
 * A batch's deliveries: the servers read with one list request per ≤ 100 (readPanelServers),
 * then one PATCH each (pooled). A server the list does not return is refused ("the panel does
 * not have this server"); a target without a uuid but with a panel id takes the item read. A
 * failed list read fails every delivery of its chunk (the caller retries them); a rate limit
 * (an error with Retry-After: the panel's 429 or our budget) fails the rest of the batch unsent.
 */
export async function deliverTokensMany(
  deps: DeliveryDeps,
  items: readonly { target: DeliveryTarget; values: TokenValues }[],
  ctx: DeliveryContext,
  concurrency = 10,
): Promise<BatchOutcome[]> {
  const out: BatchOutcome[] = new Array(items.length);
  if (!ctx.conn) return items.map(() => ({ status: "refused", error: "no panel is configured" }));
  const byUuid: number[] = [];
  items.forEach((it, i) => {
    if (it.target.uuid) byUuid.push(i);
    else if (it.target.pterodactylId === null)
      out[i] = { status: "refused", error: "the server is not on the panel" };
  });
  const servers = new Map<number, PanelServer>();
  // Once the panel (or our budget) says "wait", the rest of the batch waits too: firing the
  // remaining requests into a closed window only collects 429s.
  let halted: unknown;
  const halt = (error: unknown) => {
    if (error instanceof AppError && error.headers["Retry-After"]) halted ??= error;
  };
  for (let c = 0; c < byUuid.length; c += LIST_CHUNK) {
    const idx = byUuid.slice(c, c + LIST_CHUNK);
    if (halted) {
      for (const i of idx) out[i] = { status: "error", error: halted };
      continue;
    }
    try {
      const found = await readPanelServers(
        deps,
        ctx,
        idx.map((i) => items[i]?.target.uuid ?? ""),
      );
      for (const i of idx) {
        const s = found.get(String(items[i]?.target.uuid).toLowerCase());
        if (s) servers.set(i, s);
        else out[i] = { status: "refused", error: "the panel does not have this server" };
      }
    } catch (error) {
      halt(error);
      for (const i of idx) out[i] = { status: "error", error };
    }
  }
  const todo = items.map((_, i) => i).filter((i) => out[i] === undefined);
  await pool(todo, concurrency, async (i) => {
    const it = items[i];
    if (!it) return;
    if (halted) {
      out[i] = { status: "error", error: halted };
      return;
    }
    try {
      const server = servers.get(i) ?? (await readPanelServer(deps, ctx, it.target.pterodactylId ?? 0));
      out[i] = await writeTokens(deps, ctx, server, it.values);
    } catch (error) {
      halt(error);
      out[i] = { status: "error", error };
    }
  });
  return out;
}

/** Egg check, then `PATCH /servers/{id}/startup` with everything the server had plus our two. */
async function writeTokens(
  deps: DeliveryDeps,
  ctx: DeliveryContext,
  server: PanelServer,
  values: TokenValues,
): Promise<DeliveryResult> {
  const { conn, names } = ctx;
  if (!conn) return { status: "refused", error: "no panel is configured" };
  const refusal = await eggRefusal(deps.db, server, ctx);
  if (refusal) return { status: "refused", error: refusal };
  // Every egg variable as the server has it now (the panel stores absent ones as ""), plus ours.
  const environment: Record<string, string | null> = {};
  for (const { attributes: v } of server.relationships?.variables?.data ?? []) {
    environment[v.env_variable] = v.server_value ?? v.default_value;
  }
  environment[names.session] = values?.session ?? "";
  environment[names.identity] = values?.identity ?? "";
  const saved = await panelRequest<{ attributes: PanelServer }>(
    panelDeps(deps, conn),
    "application",
    `/servers/${server.id}/startup`,
    {
      method: "PATCH",
      body: {
        startup: server.container.startup_command,
        environment,
        egg: server.egg,
        image: server.container.image,
        skip_scripts: false,
      },
    },
  );
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
