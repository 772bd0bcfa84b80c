// The one router factory: every area builds its routes on this, so the validation hook (and thus
// the 400 body) is the same everywhere.
import { OpenAPIHono } from "@hono/zod-openapi";
import { AppError } from "./errors.ts";
import type { AppEnv } from "./types.ts";

type HookResult = { success: true } | { success: false; error: { issues: readonly ZodIssueLike[] } };
interface ZodIssueLike {
  path: readonly PropertyKey[];
  message: string;
}

/** Turns a failed zod validation into the INVALID_REQUEST error (thrown to `onError`). */
export function validationHook(result: HookResult, target?: string, publicError?: string): void {
  if (result.success) return;
  const details = result.error.issues.map((i) => ({
    path: [target, ...i.path.map(String)].filter(Boolean).join("."),
    message: i.message,
  }));
  const first = details[0];
  throw new AppError(
    "INVALID_REQUEST",
    first ? `Invalid ${first.path}: ${first.message}` : "Invalid request",
    { details, publicError },
  );
}

/**
 * @param opts.publicError replaces the validation message in the body's `error` (the auth routes
 *   answer upstream's snake_case `invalid_request`, which the website shows).
 */
export function createRouter(opts: { publicError?: string } = {}): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) =>
      validationHook(result as HookResult, (result as { target?: string }).target, opts.publicError),
  });
}
