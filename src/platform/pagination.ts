// Page/pageSize parsing and the pagination object the admin pages read.
import { z } from "@hono/zod-openapi";

/**
 * A page size or limit: a whole number ≥ 1; larger than `max` is clamped to `max`, as upstream
 * did (the website asks for 200 where a list allows 100), instead of refused.
 */
export const clampedSize = (max: number, fallback: number) =>
  z.coerce
    .number()
    .refine(Number.isInteger, "must be a whole number")
    .refine((n) => n >= 1, "must be at least 1")
    .default(fallback)
    .transform((n) => Math.min(n, max))
    .openapi({ type: "integer", minimum: 1, description: `values above ${max} are read as ${max}` });

export const pageQuery = (maxPageSize = 100, defaultPageSize = 25) => ({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: clampedSize(maxPageSize, defaultPageSize),
});

export function pagination(page: number, pageSize: number, total: number) {
  return { page, pageSize, total, totalPages: Math.max(1, Math.ceil(total / pageSize)) };
}

export const PaginationSchema = z.object({
  page: z.number(),
  pageSize: z.number(),
  total: z.number(),
  totalPages: z.number(),
});
