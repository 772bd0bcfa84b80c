// The dependency seam: ONE object of one shape, built per request (access layer) and per queue
// message (jobs runtime), that every route, job and service function reads its collaborators
// from. Services take the slice they need (`Pick<Deps, "db" | "now">`), so tests build one with
// createDeps() and swap a part (clock, fetch, actor) at this single seam.
import { type Database, getDb } from "./db/client.ts";
import type { Config } from "./env.ts";
import { childLogger, type Logger } from "./log.ts";
import { type Actor, type ClientMeta, NO_CLIENT, SYSTEM_ACTOR } from "./principal.ts";
import { type Enqueue, queueProducer } from "./queue.ts";
import { APP_VERSION } from "./version.ts";

export type Clock = () => Date;

/**
 * Live events, published after a change has committed (a sync page, a finished run). The
 * realtime hub plugs in here; until then nothing listens and publish is a no-op.
 */
export interface EventSink {
  publish(topic: string, data: Record<string, unknown>): void;
}
export const NO_EVENTS: EventSink = { publish() {} };

/**
 * Events to the realtime hub (after the caller's commit, never awaited by it): every event goes to
 * the `admin` topic, one naming a sync run also to `sync:{id}`, one naming a server to `server:{uuid}`.
 */
export function hubEvents(stubs: Stubs, waitUntil: (p: Promise<unknown>) => void): EventSink {
  return {
    publish(event, data) {
      const topics = ["admin"];
      if (typeof data.syncLogId === "string") topics.push(`sync:${data.syncLogId}`);
      if (typeof data.serverUuid === "string") topics.push(`server:${data.serverUuid}`);
      for (const topic of topics) waitUntil(stubs.realtimeHub(topic).publish(topic, event, data));
    },
  };
}

export type RateLimiterStub = ReturnType<Env["RATE_LIMITER"]["getByName"]>;
export type RealtimeHubStub = ReturnType<Env["REALTIME_HUB"]["getByName"]>;
export type HytaleGrantStub = ReturnType<Env["HYTALE_GRANT"]["getByName"]>;
export type ConsoleRelayStub = ReturnType<Env["CONSOLE_RELAY"]["getByName"]>;

/** Durable Object stubs, made only when asked for. */
export interface Stubs {
  rateLimiter(name: string): RateLimiterStub;
  /** The hub object of a realtime topic (src/areas/realtime/hub.do.ts). */
  realtimeHub(topic: string): RealtimeHubStub;
  /** The one writer of a Hytale account's tokens. */
  hytaleGrant(accountId: string): HytaleGrantStub;
  /** The console relay of one server (our server id). */
  consoleRelay(serverId: string): ConsoleRelayStub;
}

export interface Deps {
  db: Database;
  config: Config;
  /** Stamped with requestId or jobId. */
  log: Logger;
  /** Every time rule reads this clock. */
  now: Clock;
  /** Every outbound HTTP call goes through this. */
  fetch: typeof fetch;
  enqueue: Enqueue;
  /** Who this request or job acts as (audit records it). */
  actor: Actor;
  /** The client of a request; nulls in jobs. */
  meta: ClientMeta;
  stubs: Stubs;
  events: EventSink;
  /** Work that may finish after the answer (the invocation's waitUntil). */
  waitUntil(promise: Promise<unknown>): void;
}

export interface DepsInit {
  log?: Logger;
  /** Tests record what would be queued. */
  enqueue?: Enqueue;
  now?: Clock;
  fetch?: typeof fetch;
  actor?: Actor;
  meta?: ClientMeta;
  events?: EventSink;
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** What every outbound request says it is, unless the caller names itself. */
export const USER_AGENT = `nodebyte-edge-api/${APP_VERSION}`;

/**
 * Adds `User-Agent: nodebyte-edge-api/<version>` to a request that has none: Workers' fetch sends
 * none, and services behind Cloudflare (Resend, panels) refuse such requests (403, error 1010).
 */
export function withUserAgent(inner: typeof fetch): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (headers.has("user-agent")) return inner(input, init);
    headers.set("user-agent", USER_AGENT);
    return inner(input, { ...init, headers });
  };
}

const systemClock: Clock = () => new Date();
// Bound through an arrow: the runtime's fetch refuses to be called as a method of another object.
const globalFetch: typeof fetch = (input, init) => fetch(input, init);

export function createDeps(config: Config, init: DepsInit = {}): Deps {
  const now = init.now ?? systemClock;
  const waitUntil =
    init.waitUntil ??
    ((p: Promise<unknown>) => {
      p.catch(() => {});
    });
  const stubs: Stubs = {
    rateLimiter: (name) => config.rateLimiter.getByName(name),
    realtimeHub: (topic) => config.realtimeHub.getByName(topic),
    hytaleGrant: (accountId) => config.hytaleGrant.getByName(accountId),
    consoleRelay: (serverId) => config.consoleRelay.getByName(serverId),
  };
  return {
    db: getDb(config),
    config,
    log: init.log ?? childLogger({}),
    now,
    fetch: withUserAgent(init.fetch ?? globalFetch),
    enqueue: init.enqueue ?? queueProducer(config, now),
    actor: init.actor ?? SYSTEM_ACTOR,
    meta: init.meta ?? NO_CLIENT,
    stubs,
    events: init.events ?? hubEvents(stubs, waitUntil),
    waitUntil,
  };
}

/** The same seam acting as someone else (the access layer sets the caller, a flow the signed-in user). */
export function withActor(deps: Deps, actor: Actor): Deps {
  return { ...deps, actor };
}
