// The shape of the job statistics (bookkeeping.ts), shared by /api/admin/jobs/stats and
// /api/v1/queues/stats so both document the same fields.
import * as z from "zod";

const Window = z.object({
  enqueued: z.number(),
  succeeded: z.number(),
  retried: z.number(),
  failed: z.number(),
  deadLettered: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
});
const Windows = z.object({ lastHour: Window, lastDay: Window });

export const JobStatsSchema = z.object({
  generatedAt: z.string(),
  byQueue: z.record(z.string(), Windows),
  byType: z.array(z.object({ queue: z.string(), jobType: z.string(), lastHour: Window, lastDay: Window })),
  totals: Windows,
});
