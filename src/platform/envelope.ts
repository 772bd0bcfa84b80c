// Upstream's `{success, data, message}` answer envelope (service, stats and sync routes): the
// value and its OpenAPI schema from one place.
import { z } from "@hono/zod-openapi";
import { jsonBody } from "./openapi.ts";

export function envelope<T>(data: T, message = "") {
  return { success: true as const, data, message };
}

export function envelopeBody<T extends z.ZodType>(data: T, description = "OK") {
  return jsonBody(z.object({ success: z.literal(true), data, message: z.string() }), description);
}
