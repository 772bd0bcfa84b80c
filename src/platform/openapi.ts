// Shared OpenAPI pieces: the error body schema and the standard error responses routes declare.
import { z } from "@hono/zod-openapi";
import { ERROR_CODES } from "./errors.ts";

export const ErrorBodySchema = z
  .object({
    success: z.literal(false),
    error: z.string(),
    code: z.enum(ERROR_CODES as [string, ...string[]]),
    requestId: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Error");

const errorContent = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorBodySchema } },
});

/** Error answers every route may give (validation, rate limit, server). */
export const commonErrors = {
  400: errorContent("Invalid request"),
  429: errorContent("Rate limited"),
  500: errorContent("Internal error or bad environment"),
} as const;

export const authErrors = {
  401: errorContent("Missing or invalid credentials"),
  403: errorContent("Not allowed"),
} as const;

export const notFoundError = { 404: errorContent("Not found") } as const;
export const conflictError = { 409: errorContent("Conflict") } as const;

export function jsonBody<T>(schema: T, description = "OK") {
  return { description, content: { "application/json": { schema } } };
}

/**
 * A query enum that falls back to a default for unknown values (lenient like upstream's list
 * filters) while the OpenAPI document still lists the accepted values.
 */
export function enumOr<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return z
    .string()
    .max(100)
    .optional()
    .transform((v): T[number] =>
      (values as readonly string[]).includes(v ?? "") ? (v as T[number]) : fallback,
    )
    .openapi({ type: "string", enum: [...values], default: fallback });
}

/** A JSON request body (`request.body`); `required: false` lets an empty or absent body through as `{}`. */
export function jsonRequestBody<T>(schema: T, required = true) {
  return { required, content: { "application/json": { schema } } };
}
