// Worker entry: HTTP, queue consumers and cron triggers (each handed its table from jobs.ts),
// plus the Durable Object classes.
import { createApp } from "./app.ts";
import { CRON_SCHEDULE, JOB_TABLES } from "./jobs.ts";
import type { Bindings } from "./platform/env.ts";
import { handleScheduled } from "./services/jobs/cron.ts";
import { handleQueue } from "./services/jobs/queue.consumer.ts";

export { RealtimeHub } from "./areas/realtime/hub.do.ts";
export { HytaleGrant } from "./services/hytale/grant.do.ts";
export { RateLimiter } from "./services/rate-limit/rate-limiter.do.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env, ctx) {
    await handleQueue(batch, env, JOB_TABLES, ctx);
  },
  async scheduled(controller, env) {
    await handleScheduled(controller, env, CRON_SCHEDULE);
  },
} satisfies ExportedHandler<Bindings, unknown>;
