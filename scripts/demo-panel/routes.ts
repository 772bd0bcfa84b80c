// Demo panel: the route table (Application + Client API) and the matcher that also tells a wrong
// method (405) from an unknown path (404).
import { APPLICATION_ROUTES } from "./application-routes.ts";
import { CLIENT_CONTROL_ROUTES } from "./client-control-routes.ts";
import { CLIENT_ROUTES } from "./client-routes.ts";
import type { Route } from "./route.ts";

export type { Route, RouteContext } from "./route.ts";

export const ROUTES: readonly Route[] = [...APPLICATION_ROUTES, ...CLIENT_ROUTES, ...CLIENT_CONTROL_ROUTES];

/** Finds the route for a path; `allowed` lists the methods the path supports when the method differs. */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; params: string[] } | { allowed: string[] } | null {
  const allowed: string[] = [];
  for (const r of ROUTES) {
    const m = r.regex.exec(path);
    if (!m) continue;
    if (r.method === method || (method === "HEAD" && r.method === "GET")) {
      return { route: r, params: m.slice(1).map((p) => decodeURIComponent(p)) };
    }
    allowed.push(r.method);
  }
  return allowed.length > 0 ? { allowed } : null;
}
