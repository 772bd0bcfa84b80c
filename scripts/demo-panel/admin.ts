// Demo panel: the test-control endpoints next to the API: POST/GET/DELETE /__faults, GET/DELETE
// /__stats and DELETE /__rate-limits. They need no key and are never faulted or counted.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DemoPanelStats, Faults } from "./faults.ts";

export interface AdminHooks {
  faults: Faults;
  stats(): DemoPanelStats;
  resetStats(): void;
  resetRateLimits(): void;
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
    case "DELETE /__rate-limits":
      hooks.resetRateLimits();
      return json(204);
    default:
      return json(404, { error: `unknown control endpoint ${route}` });
  }
}
