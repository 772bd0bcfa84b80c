// Calling an account's HytaleGrant object from routes and jobs, and turning its plain-value
// failures into the API's errors: not linked → 404, grant gone → 409 `needs_relink`, an OAuth
// error → 502, a peer's 5xx/429/timeout → 502/429/504 with its Retry-After.
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import type { GrantFailure } from "./grant.do.ts";

export function grantStub(deps: Pick<Deps, "stubs">, accountId: string) {
  return deps.stubs.hytaleGrant(accountId);
}

export function grantError(f: GrantFailure): AppError {
  switch (f.kind) {
    case "not_linked":
      return new AppError("NOT_FOUND", "No Hytale account is linked for this account", {
        publicError: "No token found for account",
      });
    case "needs_relink":
      return new AppError("CONFLICT", "The Hytale account must be linked again (device flow)", {
        publicError: "needs_relink",
        context: { reason: f.reason },
      });
    case "oauth":
      return new AppError("UPSTREAM_ERROR", `Hytale OAuth server refused: ${f.error}`, {
        retryable: false,
        context: { error: f.error },
      });
    case "upstream":
      return new AppError(f.code, f.message, {
        retryable: true,
        headers: f.retryAfter ? { "Retry-After": f.retryAfter } : {},
      });
  }
}
