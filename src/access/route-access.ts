// Route-level access declarations: one spread gives a route its middleware (access check, then
// rate limits), its OpenAPI `security`, and `x-access`/`x-rate-limit` markers that the shared
// security and rate-limit tests read from /openapi.json.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../platform/types.ts";
import type { LimitName } from "../services/rate-limit/limits.ts";
import { rateLimit } from "../services/rate-limit/rate-limit.middleware.ts";
import {
  type Alongside,
  requireAdmin,
  requireService,
  requireUser,
  requireUserOrService,
} from "./authenticate.ts";

export const ACCESS_KINDS = ["public", "member", "admin", "service", "member-or-service"] as const;
export type AccessKind = (typeof ACCESS_KINDS)[number];

type Security = Record<string, string[]>[];
const bearer: Security = [{ bearerAuth: [] }];
const apiKey: Security = [{ apiKey: [] }];
const either: Security = [{ bearerAuth: [] }, { apiKey: [] }];

function declare(
  kind: AccessKind,
  mw: MiddlewareHandler<AppEnv>[],
  limits: LimitName[],
  extra: Record<string, unknown> = {},
) {
  const middleware = limits.length ? [...mw, rateLimit(...limits)] : mw;
  return {
    "x-access": kind,
    ...(limits.length ? { "x-rate-limit": limits } : {}),
    ...(middleware.length ? { middleware } : {}),
    ...extra,
  };
}

export const access = {
  public: (limits: LimitName[] = []) => declare("public", [], limits),
  member: (limits: LimitName[] = [], opts: { alongside?: Alongside } = {}) =>
    declare("member", [requireUser(opts)], limits, { security: bearer }),
  admin: (limits: LimitName[] = []) => declare("admin", [requireAdmin()], limits, { security: bearer }),
  service: (scope: string, limits: LimitName[] = []) =>
    declare("service", [requireService(scope)], limits, { security: apiKey, "x-scope": scope }),
  memberOrService: (scope: string, limits: LimitName[] = []) =>
    declare("member-or-service", [requireUserOrService(scope)], limits, {
      security: either,
      "x-scope": scope,
    }),
};
