// Demo panel: startDemoPanel(), a local fake Pterodactyl panel over HTTP with a generated (or given)
// dataset, the panel's keys, throttle and error shapes, fault injection and request statistics.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { generatePanelData, type PanelData, type Sizes } from "./data.ts";
import type { DemoPanelStats, Faults } from "./faults.ts";
import { createPipeline, type LoggedRequest } from "./pipeline.ts";
import { createRng } from "./prng.ts";
import type { RuntimeTiming, ServerRuntimes } from "./server-runtime.ts";
import type { FakeWings } from "./wings.ts";

export interface DemoPanelOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: "127.0.0.1";
  sizes?: Partial<Sizes>;
  seed?: number;
  /** Serve this dataset instead of generating one from sizes/seed. */
  data?: PanelData;
  applicationKey?: string;
  clientKey?: string;
  /** Application API requests per 60 s window per key (the panel's default: 240). */
  rateLimitPerMinute?: number;
  /** Client API requests per window (panel default 720; defaults to rateLimitPerMinute when that is set). */
  clientRateLimitPerMinute?: number;
  /** The client key's owner is a root admin: the panel then also accepts it on the application API. */
  clientKeyRootAdmin?: boolean;
  /** How long backups and restores take in the fake Wings (default 150 ms / 300 ms). */
  runtimeTiming?: RuntimeTiming;
  /** Lifetime of the websocket tokens `GET …/websocket` mints (600 s, as the panel). */
  websocketTokenSeconds?: number;
}

export interface DemoPanel {
  /** e.g. http://127.0.0.1:8790 (no trailing slash). */
  url: string;
  applicationKey: string;
  clientKey: string;
  data: PanelData;
  faults: Faults;
  stats(): DemoPanelStats;
  resetStats(): void;
  resetRateLimits(): void;
  /** Every API request received (method, path, query), oldest first. */
  requests(): LoggedRequest[];
  /** Per-server power state, files, backups and console. */
  runtime: ServerRuntimes;
  /** The fake Wings websocket on the same port (`/api/servers/{uuid}/ws`). */
  wings: FakeWings;
  close(): Promise<void>;
}

/** A key in the panel's format: 16-character identifier (ptla_/ptlc_ prefix) + 32-character token. */
export function makeKey(prefix: "ptla_" | "ptlc_", seed: number): string {
  const rng = createRng(seed);
  return `${prefix}${rng.alnum(16 - prefix.length)}${rng.alnum(32)}`;
}

export async function startDemoPanel(opts: DemoPanelOptions = {}): Promise<DemoPanel> {
  const seed = opts.seed ?? 1;
  const data = opts.data ?? generatePanelData(opts.sizes, seed);
  const applicationKey = opts.applicationKey ?? makeKey("ptla_", seed ^ 0xa11ce);
  const clientKey = opts.clientKey ?? makeKey("ptlc_", seed ^ 0xc11e);
  const pipeline = createPipeline({
    data,
    applicationKey,
    clientKey,
    applicationLimit: opts.rateLimitPerMinute ?? 240,
    clientLimit: opts.clientRateLimitPerMinute ?? opts.rateLimitPerMinute ?? 720,
    clientKeyRootAdmin: opts.clientKeyRootAdmin ?? false,
    runtimeTiming: opts.runtimeTiming,
    websocketTokenSeconds: opts.websocketTokenSeconds,
  });
  const server = createServer((req, res) => {
    // The fake Wings' signed links first (they carry their own token), then the panel.
    pipeline.transfers
      .handle(req, res)
      .then((served) => (served ? undefined : pipeline.handle(req, res)))
      .catch((e: unknown) => {
        console.error("demo panel: request failed", e);
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const origin = `http://${address.address}:${address.port}`;
  // The fake Wings accepts upgrades whose Origin is the panel's own location.
  server.on("upgrade", (req, socket, head) => {
    if (!pipeline.wings.handleUpgrade(req, socket, head, origin)) socket.destroy();
  });
  const { hooks } = pipeline;
  return {
    url: origin,
    applicationKey,
    clientKey,
    data,
    faults: pipeline.faults,
    stats: hooks.stats,
    resetStats: hooks.resetStats,
    resetRateLimits: hooks.resetRateLimits,
    requests: hooks.requests,
    runtime: pipeline.runtime,
    wings: pipeline.wings,
    close: () =>
      new Promise<void>((resolve) => {
        pipeline.stopTimers();
        pipeline.wings.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
