// Demo panel: the shapes every route shares: the context a handler gets, the Route record, the
// route() builder and `{x:id}` route-model binding.
import type { ApplicationTransformers } from "./application-transformers.ts";
import type { ClientTransformers } from "./client-transformers.ts";
import type { PanelData } from "./data.ts";
import type { Reply } from "./fractal.ts";
import type { PageContext } from "./listing.ts";
import type { ServerRuntimes } from "./server-runtime.ts";
import type { FakeWings } from "./wings.ts";

export interface RouteContext extends PageContext {
  data: PanelData;
  app: ApplicationTransformers;
  client: ClientTransformers;
  params: string[];
  body: unknown;
  /** The request body as sent (file writes). */
  rawBody: string;
  /** What Wings holds per server (power state, files, backups). */
  runtime: ServerRuntimes;
  /** The fake Wings websocket (tokens are minted for it). */
  wings: FakeWings;
}

export interface Route {
  method: "GET" | "PATCH" | "POST" | "PUT" | "DELETE";
  api: "application" | "client";
  /** The route as a pattern, e.g. /api/application/servers/{server} (used for stats). */
  pattern: string;
  regex: RegExp;
  /** A length-aware paginated listing (counted in pagesServed). */
  paginated: boolean;
  handle(ctx: RouteContext): Reply;
}

export function route(
  method: Route["method"],
  pattern: string,
  handle: Route["handle"],
  paginated = false,
): Route {
  const source = pattern.replace(/\{[^}]+\}/g, "([^/]+)");
  const api = pattern.startsWith("/api/application") ? "application" : "client";
  return { method, api, pattern, regex: new RegExp(`^${source}$`), paginated, handle };
}

/** `{x:id}` route-model binding: a row by numeric id, else the 404 the panel answers. */
export function byId<T>(map: Map<number, T>, raw: string | undefined): T | undefined {
  return raw !== undefined && /^\d+$/.test(raw) ? map.get(Number(raw)) : undefined;
}
