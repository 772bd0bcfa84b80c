// The spellings clients send for flags and ids in queries and bodies: the website sends
// true/false where upstream read yes/no, numbers as strings, and 1/0.
import { z } from "@hono/zod-openapi";

const TRUE = new Set(["true", "yes", "1", "on"]);
const FALSE = new Set(["false", "no", "0", "off"]);

/** true/false/yes/no/1/0 (any case) → boolean; anything else → undefined. */
export function parseFlag(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v !== "string") return undefined;
  const s = v.trim().toLowerCase();
  return TRUE.has(s) ? true : FALSE.has(s) ? false : undefined;
}

/** An optional query flag in any of those spellings (absent = false); another value is a 400. */
export const looseFlag = z
  .union([z.boolean(), z.number(), z.string().max(10)])
  .optional()
  .refine((v) => v === undefined || parseFlag(v) !== undefined, "must be true/false, yes/no or 1/0")
  .transform((v) => parseFlag(v) ?? false)
  .openapi({ type: "string", enum: ["true", "false", "yes", "no", "1", "0"] });

/** A whole number sent as a number or a numeric string. */
export const looseInt = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^\s*-?\d{1,10}\s*$/)
      .transform(Number),
  ])
  .pipe(z.number().int().min(-2_147_483_648).max(2_147_483_647))
  .openapi({ type: "integer" });
