// Demo panel: one request through the panel's middleware order: control endpoints, faults, route
// match (404/405), auth:sanctum (401), JSON check, throttle (429), key-type checks (403), handler.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type AdminHooks, handleAdmin, readBody } from "./admin.ts";
import { applicationTransformers } from "./application-transformers.ts";
import { clientTransformers } from "./client-transformers.ts";
import type { PanelData } from "./data.ts";
import { type DemoPanelStats, emptyStats, Faults } from "./faults.ts";
import { errorBody, fail, type Reply, reply } from "./fractal.ts";
import {
  bearer,
  expectsJson,
  malformedJson,
  methodNotAllowed,
  routeNotFound,
  sleep,
  tooManyAttempts,
  unexpected,
  writeReply,
} from "./http-helpers.ts";
import { parseIncludes } from "./includes.ts";
import { FixedWindowLimiter } from "./rate-limit.ts";
import type { MutablePanelData } from "./recreate.ts";
import { matchRoute } from "./routes.ts";
import { type RuntimeTiming, ServerRuntimes } from "./server-runtime.ts";
import { FakeWings } from "./wings.ts";
import { WingsTransfers } from "./wings-transfers.ts";

/** One request as the panel received it (a test checks what reached the panel). */
export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  /** When it arrived (ms since epoch, the panel's clock): a test counts requests per minute. */
  at: number;
}
const REQUEST_LOG_SIZE = 20_000;

export interface PipelineConfig {
  data: PanelData;
  applicationKey: string;
  clientKey: string;
  applicationLimit: number;
  clientLimit: number;
  clientKeyRootAdmin: boolean;
  runtimeTiming?: RuntimeTiming;
  /** Lifetime of websocket tokens (WebsocketController: 600 s). */
  websocketTokenSeconds?: number;
}

export function createPipeline(cfg: PipelineConfig) {
  const { data, applicationKey, clientKey } = cfg;
  // The client key belongs to the admin (user 1) when it is an admin key, else to the first non-admin.
  const clientOwner = () =>
    cfg.clientKeyRootAdmin ? 1 : ([...data.tables.users.values()].find((u) => !u.rootAdmin)?.id ?? 1);
  const app = applicationTransformers(data);
  const client = clientTransformers(data, clientOwner);
  const faults = new Faults();
  const limiter = new FixedWindowLimiter();
  const timers = new Set<NodeJS.Timeout>();
  const runtime = new ServerRuntimes(data, cfg.runtimeTiming);
  const wings = new FakeWings(data, runtime, clientOwner, cfg.websocketTokenSeconds);
  const transfers = new WingsTransfers(data, runtime);
  let requests: LoggedRequest[] = [];
  let stats = emptyStats();
  const hooks: AdminHooks = {
    faults,
    stats: (): DemoPanelStats => ({
      ...stats,
      byRoute: { ...stats.byRoute },
      byStatus: { ...stats.byStatus },
      faultsFired: faults.fired,
    }),
    resetStats: () => {
      stats = emptyStats();
      faults.fired = 0;
    },
    resetRateLimits: () => limiter.reset(),
    requests: () => [...requests],
    resetRequests: () => {
      requests = [];
    },
    runtime,
    wings,
    data,
  };
  const send = (req: IncomingMessage, res: ServerResponse, r: Reply) => {
    stats.byStatus[r.status] = (stats.byStatus[r.status] ?? 0) + 1;
    writeReply(req, res, r);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = (req.method ?? "GET").toUpperCase();
    if (path.startsWith("/__")) return handleAdmin(req, res, path, hooks);

    stats.total++;
    // Panels behind Cloudflare refuse a request without a User-Agent (browser integrity check,
    // error 1010) before the panel sees it; Workers' fetch sends none unless told to.
    if (!req.headers["user-agent"]) {
      stats.byStatus[403] = (stats.byStatus[403] ?? 0) + 1;
      res.writeHead(403, { "content-type": "text/plain; charset=UTF-8" });
      return void res.end("error code: 1010");
    }
    if (requests.length >= REQUEST_LOG_SIZE) requests = requests.slice(REQUEST_LOG_SIZE / 2);
    requests.push({ method, path, query: url.search, at: Date.now() });
    let matched: ReturnType<typeof matchRoute> = null;
    try {
      matched = matchRoute(method, path);
    } catch {
      // A malformed %-escape in a parameter: no route.
    }
    const routeKey = `${method} ${matched && "route" in matched ? matched.route.pattern : "(unmatched)"}`;
    stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;

    const fault = faults.take(method, url.pathname, url.search);
    if (fault?.kind === "reset") return void req.socket.destroy();
    if (fault?.kind === "hang") return;
    if (fault?.kind === "slow") {
      await sleep(fault.delayMs ?? 2000, timers);
      if (res.destroyed) return;
    }
    if (fault?.kind === "status") {
      const status = fault.status ?? 500;
      return send(req, res, { status, body: errorBody("HttpException", status, "Injected fault.") });
    }
    if (fault?.kind === "remove-servers") (data as MutablePanelData).removeFirstServers(fault.count ?? 1);
    if (fault?.kind === "empty") {
      const pagination = { total: 0, count: 0, per_page: 100, current_page: 1, total_pages: 1, links: {} };
      return send(req, res, reply({ object: "list", data: [], meta: { pagination } }));
    }
    if (fault?.kind === "429") {
      const retryAfter = fault.retryAfter ?? 1;
      const resetAt = Math.floor(Date.now() / 1000) + retryAfter;
      return send(req, res, tooManyAttempts({ limit: cfg.applicationLimit, retryAfter, resetAt }));
    }

    if (!matched) return send(req, res, routeNotFound(path));
    if (!("route" in matched)) return send(req, res, methodNotAllowed(method, path, matched.allowed));
    const { route, params } = matched;

    // auth:sanctum runs before the throttle: a 401 carries no rate-limit headers and isn't counted.
    const token = bearer(req);
    if (token === null || (token !== applicationKey && token !== clientKey)) {
      if (expectsJson(req)) return send(req, res, fail(401, "AuthenticationException", "Unauthenticated."));
      stats.byStatus[302] = (stats.byStatus[302] ?? 0) + 1;
      res.writeHead(302, { location: `${url.origin}/auth/login` });
      return void res.end();
    }
    const raw = method === "GET" || method === "HEAD" ? "" : await readBody(req);
    let body: unknown = {};
    if ((req.headers["content-type"] ?? "").includes("json") && raw.trim() !== "") {
      try {
        body = JSON.parse(raw);
      } catch {
        return send(req, res, malformedJson());
      }
    }

    const limit = route.api === "application" ? cfg.applicationLimit : cfg.clientLimit;
    const decision = limiter.hit(`${route.api}:${token}`, limit);
    if (!decision.allowed) {
      stats.rateLimited++;
      return send(req, res, tooManyAttempts(decision));
    }

    let result: Reply;
    if (route.api === "application" && token === clientKey && !cfg.clientKeyRootAdmin) {
      result = fail(
        403,
        "AccessDeniedHttpException",
        "This account does not have permission to access the API.",
      );
    } else if (route.api === "client" && token === applicationKey) {
      result = fail(
        403,
        "AccessDeniedHttpException",
        "You are attempting to use an application API key on an endpoint that requires a client API key.",
      );
    } else {
      const includes = parseIncludes([
        ...url.searchParams.getAll("include"),
        ...url.searchParams.getAll("include[]"),
      ]);
      const linkBase = `${url.origin}${url.pathname}`;
      try {
        result = route.handle({
          data,
          app,
          client,
          params,
          body,
          rawBody: raw,
          runtime,
          wings,
          url,
          linkBase,
          includes,
        });
      } catch (e) {
        console.error("demo panel: handler failed", e);
        result = unexpected();
      }
    }
    if (route.paginated && result.status === 200) stats.pagesServed++;
    const rateHeaders = {
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(decision.remaining),
    };
    send(req, res, { ...result, headers: { ...rateHeaders, ...result.headers } });
  };

  const stopTimers = () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };
  return { handle, hooks, faults, runtime, wings, transfers, stopTimers };
}
