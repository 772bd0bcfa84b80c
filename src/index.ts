// Worker entry: HTTP, queue consumers and cron triggers (each handed its table from jobs.ts),
// plus the Durable Object classes. With SENTRY_DSN set, the same handlers run under Sentry
// (src/sentry.ts, imported on the first invocation that needs it); without it, the SDK is never
// evaluated.
import { createApp } from "./app.ts";
import { RealtimeHub as RealtimeHubObject } from "./areas/realtime/hub.do.ts";
import { ConsoleRelay as ConsoleRelayObject } from "./areas/servers/console-relay.do.ts";
import { reportingDurableObject } from "./durable-object-reports.ts";
import { CRON_SCHEDULE, JOB_TABLES } from "./jobs.ts";
import type { Bindings } from "./platform/env.ts";
import { HytaleGrant as HytaleGrantObject } from "./services/hytale/grant.do.ts";
import { handleScheduled } from "./services/jobs/cron.ts";
import { handleQueue } from "./services/jobs/queue.consumer.ts";
import { RateLimiter as RateLimiterObject } from "./services/rate-limit/rate-limiter.do.ts";

// Every Durable Object class is exported wrapped, so its unexpected errors reach Sentry too.
export const RateLimiter = reportingDurableObject(RateLimiterObject, "RateLimiter");
export type RateLimiter = RateLimiterObject;
export const RealtimeHub = reportingDurableObject(RealtimeHubObject, "RealtimeHub");
export type RealtimeHub = RealtimeHubObject;
export const HytaleGrant = reportingDurableObject(HytaleGrantObject, "HytaleGrant");
export type HytaleGrant = HytaleGrantObject;
export const ConsoleRelay = reportingDurableObject(ConsoleRelayObject, "ConsoleRelay");
export type ConsoleRelay = ConsoleRelayObject;

const app = createApp();

const handlers = {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  async queue(batch, env, ctx) {
    await handleQueue(batch, env, JOB_TABLES, ctx);
  },
  async scheduled(controller, env) {
    await handleScheduled(controller, env, CRON_SCHEDULE);
  },
} satisfies ExportedHandler<Bindings, unknown>;

let instrumented:
  | Promise<Required<Pick<ExportedHandler<Bindings>, "fetch" | "queue" | "scheduled">>>
  | undefined;
function sentry() {
  instrumented ??= import("./sentry.ts").then(
    (m) =>
      m.instrument({ ...handlers }) as Required<
        Pick<ExportedHandler<Bindings>, "fetch" | "queue" | "scheduled">
      >,
  );
  return instrumented;
}

export default {
  fetch(request, env, ctx) {
    if (!env.SENTRY_DSN) return app.fetch(request, env, ctx);
    return sentry().then((h) => h.fetch(request, env, ctx));
  },
  async queue(batch, env, ctx) {
    if (!env.SENTRY_DSN) return handlers.queue(batch, env, ctx);
    await (await sentry()).queue(batch, env, ctx);
  },
  async scheduled(controller, env, ctx) {
    if (!env.SENTRY_DSN) return handlers.scheduled(controller, env);
    await (await sentry()).scheduled(controller, env, ctx);
  },
} satisfies ExportedHandler<Bindings, unknown>;
