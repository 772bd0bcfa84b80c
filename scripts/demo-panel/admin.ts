// Demo panel: the test-control endpoints next to the API: POST/GET/DELETE /__faults, GET/DELETE
// /__stats, DELETE /__rate-limits and POST /__mutate (change panel data from another process,
// e.g. the Worker's tests). They need no key and are never faulted or counted.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PanelData } from "./data.ts";
import type { DemoPanelStats, Faults } from "./faults.ts";
import type { LoggedRequest } from "./pipeline.ts";
import type { MutablePanelData } from "./recreate.ts";
import type { ServerRuntimes } from "./server-runtime.ts";
import type { FakeWings } from "./wings.ts";

export interface AdminHooks {
  faults: Faults;
  stats(): DemoPanelStats;
  resetStats(): void;
  resetRateLimits(): void;
  /** Every API request received (method, path, query), oldest first. */
  requests(): LoggedRequest[];
  resetRequests(): void;
  runtime: ServerRuntimes;
  wings: FakeWings;
  data: PanelData;
}

/** The PanelData mutations POST /__mutate may call: `{op, args}`. */
const MUTATIONS = [
  "addUser",
  "updateUser",
  "renameUserEmail",
  "removeUser",
  "addServer",
  "updateServer",
  "removeServer",
  "addAllocation",
  "removeAllocation",
  "assignAllocation",
  "addSubuser",
  "removeSubuser",
  "setServerEnvironment",
  "setFields",
  "addNode",
  "removeNode",
  "recreateLocation",
  "recreateEgg",
  "recreateAllocation",
  "removeFirstServers",
] as const;

function mutate(data: PanelData, body: { op?: string; args?: unknown[] }): unknown {
  const op = MUTATIONS.find((m) => m === body.op);
  if (!op) throw new Error(`unknown mutation ${String(body.op)}; allowed: ${MUTATIONS.join(", ")}`);
  const fn = (data as MutablePanelData)[op] as (...args: unknown[]) => unknown;
  return fn.apply(data, Array.isArray(body.args) ? body.args : []) ?? null;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const show = <T extends { path: RegExp | string }>(rule: T) => ({
  ...rule,
  path: rule.path instanceof RegExp ? rule.path.source : rule.path,
});

export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  hooks: AdminHooks,
) {
  const json = (status: number, body?: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const route = `${req.method ?? "GET"} ${path}`;
  switch (route) {
    case "POST /__faults":
      try {
        return json(201, show(hooks.faults.addFromJson(JSON.parse(await readBody(req)))));
      } catch (e) {
        return json(400, { error: e instanceof Error ? e.message : String(e) });
      }
    case "GET /__faults":
      return json(200, hooks.faults.list().map(show));
    case "DELETE /__faults":
      hooks.faults.clear();
      return json(204);
    case "GET /__stats":
      return json(200, hooks.stats());
    case "DELETE /__stats":
      hooks.resetStats();
      return json(204);
    case "POST /__mutate":
      try {
        return json(200, { result: mutate(hooks.data, JSON.parse(await readBody(req))) });
      } catch (e) {
        return json(400, { error: e instanceof Error ? e.message : String(e) });
      }
    case "GET /__requests":
      return json(200, hooks.requests());
    case "DELETE /__requests":
      hooks.resetRequests();
      return json(204);
    case "POST /__console": {
      // The console lines of a server: {id}.
      try {
        const { id } = JSON.parse(await readBody(req)) as { id?: number };
        return json(200, hooks.runtime.consoleOf(Number(id)));
      } catch (e) {
        return json(400, { error: e instanceof Error ? e.message : String(e) });
      }
    }
    case "GET /__wings":
      // The fake Wings' sockets (?server=<uuid>): open ones have closedAt null.
      return json(
        200,
        hooks.wings.connections(new URL(req.url ?? "/", "http://x").searchParams.get("server") ?? undefined),
      );
    case "POST /__wings": {
      // {op: "token-seconds", seconds, server?} | {op: "install", server, line} | {op: "error", server, detail}
      // | {op: "event", server, event, args} | {op: "drop", server} (a Wings restart)
      try {
        const b = JSON.parse(await readBody(req)) as Record<string, unknown>;
        const server = typeof b.server === "string" ? b.server : undefined;
        if (b.op === "token-seconds" && typeof b.seconds === "number")
          hooks.wings.setTokenSeconds(b.seconds, server);
        else if (b.op === "install" && server)
          hooks.wings.broadcast(server, "install output", [String(b.line ?? "")]);
        else if (b.op === "error" && server) hooks.wings.daemonError(server, String(b.detail ?? ""));
        else if (b.op === "drop" && server) hooks.wings.drop(server);
        else if (b.op === "event" && server && typeof b.event === "string")
          hooks.wings.broadcast(server, b.event, Array.isArray(b.args) ? b.args.map(String) : []);
        else return json(400, { error: "op: token-seconds | install | error | event | drop" });
        return json(204);
      } catch (e) {
        return json(400, { error: e instanceof Error ? e.message : String(e) });
      }
    }
    case "DELETE /__rate-limits":
      hooks.resetRateLimits();
      return json(204);
    default:
      return json(404, { error: `unknown control endpoint ${route}` });
  }
}
