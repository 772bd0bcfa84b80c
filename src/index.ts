// Worker entry: HTTP, queue consumers and cron triggers, plus the Durable Object classes.
import { createApp } from "./app.ts";
import type { Bindings } from "./env.ts";
import { handleScheduled } from "./jobs/cron.ts";
import { handleQueue } from "./jobs/queue.consumer.ts";

export { RateLimiter } from "./rate-limit/rate-limiter.do.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    await handleQueue(batch, env);
  },
  async scheduled(controller, env) {
    await handleScheduled(controller, env);
  },
} satisfies ExportedHandler<Bindings, unknown>;
