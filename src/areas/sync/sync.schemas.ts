// The SyncLog shape both sync route files answer with (website-client §4.6).
import { z } from "@hono/zod-openapi";

export const SyncLogSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    status: z.string(),
    itemsTotal: z.number(),
    itemsSynced: z.number(),
    itemsFailed: z.number(),
    error: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    startedAt: z.string(),
    completedAt: z.string().nullable(),
    cancelledAt: z.string().nullable(),
    durationSeconds: z.number().nullable(),
  })
  .openapi("SyncLog");
