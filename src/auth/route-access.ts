// Route-level access declarations: one spread gives a route its middleware, its OpenAPI
// `security` and an `x-access` marker that the shared security tests read from /openapi.json.
import { requireAdmin, requireService, requireUser, requireUserOrService } from "./access.ts";

export type AccessKind = "public" | "member" | "admin" | "service" | "member-or-service";

type Security = Record<string, string[]>[];
const bearer: Security = [{ bearerAuth: [] }];
const apiKey: Security = [{ apiKey: [] }];
const either: Security = [{ bearerAuth: [] }, { apiKey: [] }];

export const access = {
  public: () => ({ "x-access": "public" as const }),
  member: () => ({ security: bearer, "x-access": "member" as const, middleware: [requireUser()] }),
  admin: () => ({ security: bearer, "x-access": "admin" as const, middleware: [requireAdmin()] }),
  service: (scope: string) => ({
    security: apiKey,
    "x-access": "service" as const,
    "x-scope": scope,
    middleware: [requireService(scope)],
  }),
  memberOrService: (scope: string) => ({
    security: either,
    "x-access": "member-or-service" as const,
    "x-scope": scope,
    middleware: [requireUserOrService(scope)],
  }),
};
