// Live state of game servers: the panel's `/resources` answer (Wings' power state and usage),
// cached 20 s per server in the Workers cache, as the panel itself caches it. ONE cache, shared by
// the server page (`GET /api/v1/servers/{id}/resources`, areas/servers) and the dashboard lists
// (areas/dashboard): whoever asks first within 20 s pays the panel call, everyone else reads it.
// The dashboard's batch reads spend the interactive share only while half of it is left for
// actions, never wait long, and fall back to the mirror's values, marked, instead of failing.
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { interactiveBudget, interactiveStub, panelClientCall } from "../panel/client-api.ts";
import type { PanelConnection } from "../panel/connection.ts";
import { panelDeps } from "../panel/panel-client.ts";

/** The panel caches /resources for 20 s; asking more often only spends the budget. */
export const RESOURCES_CACHE_SECONDS = 20;
/** Panel calls one dashboard request runs at once. */
export const LIVE_CONCURRENCY = 4;
/** How long a dashboard request waits for live state before it answers with what it has. */
export const LIVE_DEADLINE_MS = 1_500;

export interface PanelStats {
  current_state?: string;
  is_suspended?: boolean;
  resources?: {
    memory_bytes?: number;
    cpu_absolute?: number;
    disk_bytes?: number;
    network_rx_bytes?: number;
    network_tx_bytes?: number;
    uptime?: number;
  };
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** The panel's stats object as our camelCase view (untrusted: every field coerced). */
export function resourcesView(s: PanelStats) {
  const r = s.resources ?? {};
  return {
    /** offline | starting | running | stopping (Wings' states). */
    state: (typeof s.current_state === "string" && s.current_state) || "unknown",
    isSuspended: Boolean(s.is_suspended),
    memoryBytes: num(r.memory_bytes),
    cpuAbsolute: num(r.cpu_absolute),
    diskBytes: num(r.disk_bytes),
    networkRxBytes: num(r.network_rx_bytes),
    networkTxBytes: num(r.network_tx_bytes),
    uptimeMs: num(r.uptime),
  };
}
export type ResourcesView = ReturnType<typeof resourcesView>;

export interface LiveEntry {
  view: ResourcesView;
  /** When the panel answered (ms since epoch, the seam's clock). */
  fetchedAt: number;
}

const cacheKey = (serverId: string) => `https://server-resources.cache/${encodeURIComponent(serverId)}`;
const inflight = new Map<string, Promise<LiveEntry>>();

/** The cached entry when it is younger than 20 s by `now`. */
export async function cachedResources(serverId: string, now: number): Promise<LiveEntry | undefined> {
  const hit = await caches.default.match(cacheKey(serverId));
  if (!hit) return undefined;
  const stored = (await hit.json()) as LiveEntry;
  return now - stored.fetchedAt < RESOURCES_CACHE_SECONDS * 1000 ? stored : undefined;
}

/**
 * The cached entry, or `load()` (one call per isolate for concurrent misses of one server) stored
 * for 20 s. `load` throws what the caller wants thrown (the servers area maps panel refusals).
 */
export async function liveResources(
  serverId: string,
  now: number,
  load: () => Promise<ResourcesView>,
): Promise<LiveEntry & { cached: boolean }> {
  const hit = await cachedResources(serverId, now);
  if (hit) return { ...hit, cached: true };
  const key = cacheKey(serverId);
  let pending = inflight.get(key);
  if (!pending) {
    pending = (async () => {
      const entry: LiveEntry = { view: await load(), fetchedAt: now };
      await caches.default.put(
        key,
        new Response(JSON.stringify(entry), {
          headers: {
            "content-type": "application/json",
            "cache-control": `max-age=${RESOURCES_CACHE_SECONDS}`,
          },
        }),
      );
      return entry;
    })().finally(() => inflight.delete(key));
    inflight.set(key, pending);
  }
  return { ...(await pending), cached: false };
}

/** A power action or a restore changes the state: the next read goes to the panel. */
export async function forgetResources(serverId: string): Promise<void> {
  await caches.default.delete(cacheKey(serverId));
}

/** Why some servers were answered from the mirror. */
export type LiveFallback = "not_configured" | "budget" | "timeout" | "panel";

export interface LiveBatch {
  /** Our server id → the live entry, for the servers that have one. */
  entries: Map<string, LiveEntry>;
  /** Servers asked for that got none, and the first reason why (null when none fell back). */
  fromMirror: number;
  reason: LiveFallback | null;
}

/**
 * Live state for a page of servers (`uuid` = the panel's): cache hits first, then at most
 * LIVE_CONCURRENCY panel calls at a time for the misses, paid in one go from the interactive share
 * and only from its upper half (the lower half stays for power buttons and server pages). Answers
 * within LIVE_DEADLINE_MS whatever happens; calls still running then finish in the background and
 * fill the cache for the next request. Never throws.
 */
export async function liveStateOf(
  deps: Pick<Deps, "fetch" | "stubs" | "now" | "log" | "waitUntil">,
  conn: PanelConnection | undefined,
  servers: readonly { id: string; uuid: string }[],
): Promise<LiveBatch> {
  const now = deps.now().getTime();
  const entries = new Map<string, LiveEntry>();
  const batch = (reason: LiveFallback | null): LiveBatch => {
    const fromMirror = servers.length - entries.size;
    return { entries, fromMirror, reason: fromMirror ? reason : null };
  };
  if (!servers.length) return batch(null);
  const hits = await Promise.all(servers.map((s) => cachedResources(s.id, now).catch(() => undefined)));
  const misses = servers.filter((s, i) => {
    const hit = hits[i];
    if (hit) entries.set(s.id, hit);
    return !hit;
  });
  if (!misses.length) return batch(null);
  if (!conn?.clientApiKey) return batch("not_configured");

  const panel = panelDeps(deps, conn);
  const limit = interactiveBudget(conn);
  let granted = 0;
  try {
    const stub = await interactiveStub(panel, conn.clientApiKey);
    granted = (await stub.takeUpTo(limit, misses.length, Math.ceil(limit.capacity / 2))).granted;
  } catch (err) {
    deps.log("warn", "live state: interactive budget unreadable", { error: err });
    return batch("budget");
  }
  let reason: LiveFallback | null = granted < misses.length ? "budget" : null;
  const todo = misses.slice(0, granted);
  const load = (s: { id: string; uuid: string }) =>
    liveResources(s.id, now, async () => {
      const answer = await panelClientCall(panel, `/servers/${encodeURIComponent(s.uuid)}/resources`, {
        prepaid: true,
      });
      const attributes = (answer.json as { attributes?: PanelStats } | undefined)?.attributes;
      if (answer.status !== 200 || !attributes || typeof attributes !== "object") {
        // An AppError: a server page joining this call (same server, same moment) answers it.
        throw new AppError(
          answer.status === 409 ? "CONFLICT" : answer.status === 404 ? "NOT_FOUND" : "UPSTREAM_ERROR",
          `The panel answered ${answer.status} for the server's resources`,
        );
      }
      return resourcesView(attributes);
    });
  let next = 0;
  const workers = Array.from({ length: Math.min(LIVE_CONCURRENCY, todo.length) }, async () => {
    while (next < todo.length) {
      const s = todo[next++] as { id: string; uuid: string };
      try {
        entries.set(s.id, await load(s));
      } catch {
        // An installing or suspended server (409), a panel hiccup: that one stays the mirror's.
        reason ??= "panel";
      }
    }
  });
  const all = Promise.all(workers);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([
    all.then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), LIVE_DEADLINE_MS);
    }),
  ]);
  if (timer !== undefined) clearTimeout(timer);
  if (timedOut) {
    // The calls keep going after the answer so the cache is warm for the next request.
    deps.waitUntil(all);
    // A copy: late answers must not change the page being sent.
    const answered = batch(reason ?? "timeout");
    return { ...answered, entries: new Map(entries) };
  }
  return batch(reason);
}
