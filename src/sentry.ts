// Sentry through @sentry/cloudflare's client, scopes and spans, loaded by index.ts with a dynamic
// import only when SENTRY_DSN is set (without it this module is never evaluated, nothing is sent).
//
// Not `withSentry()`: its automatic instrumentation (outbound fetch spans, OpenTelemetry, AI and
// database integrations we do not use) doubles the SDK's cost in the bundle (≈54 KiB gzip against
// ≈27 KiB for what is used here; docs/operations.md). What we keep: one isolation scope per
// invocation (AsyncLocalStorage), a transaction per request and per job (sampled at
// SENTRY_TRACES_SAMPLE_RATE), explicit reports through the telemetry seam with their tags, the
// incoming `sentry-trace`/`baggage` continued, and a flush before the invocation ends
// (waitUntil). Every event, transaction and breadcrumb is scrubbed first (report-scrub.ts).

import {
  CloudflareClient,
  type CloudflareOptions,
  captureException,
  continueTrace,
  createTransport,
  dedupeIntegration,
  getCurrentScope,
  getIsolationScope,
  linkedErrorsIntegration,
  setAsyncLocalStorageAsyncContextStrategy,
  setCurrentClient,
  setHttpStatus,
  startSpan,
  withIsolationScope,
  withScope,
} from "@sentry/cloudflare";
import { createStackParser } from "@sentry/core";
import { nodeStackLineParser } from "@sentry/core/server";
import type { Bindings } from "./platform/env.ts";
import { scrubReport, scrubText } from "./platform/report-scrub.ts";
import { type Reporter, type ReportTags, setReporter } from "./platform/telemetry.ts";
import { APP_VERSION } from "./platform/version.ts";

setAsyncLocalStorageAsyncContextStrategy();

function sampleRate(env: Bindings): number {
  const rate = Number(env.SENTRY_TRACES_SAMPLE_RATE ?? "0.1");
  return Number.isFinite(rate) && rate >= 0 && rate <= 1 ? rate : 0.1;
}

function cleanTags(tags: ReportTags): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags))
    if (typeof v === "string" && v) out[k] = scrubText(v).slice(0, 200);
  return out;
}

/** The options of the client: no PII, no trace headers to third parties, everything scrubbed. */
export function sentryOptions(env: Bindings): CloudflareOptions {
  return {
    dsn: env.SENTRY_DSN,
    environment: env.ENVIRONMENT ?? "production",
    release: `nodebyte-edge-api@${APP_VERSION}`,
    tracesSampleRate: sampleRate(env),
    // No client-report envelope per invocation for the transactions sampling dropped.
    sendClientReports: false,
    tracePropagationTargets: [],
    // Classic transaction events (scrubbed by beforeSendTransaction), not streamed span items.
    traceLifecycle: "static",
    // Nothing about the caller or the payloads: no user, cookies, headers, bodies, query
    // parameters, database parameters, queue arguments or local variables.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      databaseQueryData: false,
      queues: false,
      stackFrameVariables: false,
      genAI: { inputs: false, outputs: false },
      graphQL: { document: false, variables: false },
    },
    beforeSend: (event) => scrubReport(event),
    beforeSendTransaction: (event) => scrubReport(event),
    beforeBreadcrumb: (crumb) => scrubReport(crumb),
  };
}

/**
 * One client per invocation: a client's transport buffer must not hold another invocation's
 * sends (workerd does not let one request wait on another's I/O). Building one is cheap next to
 * a request's own I/O; it sends nothing until something is captured or sampled.
 */
function clientFor(env: Bindings): CloudflareClient {
  const client = new CloudflareClient({
    ...sentryOptions(env),
    integrations: [linkedErrorsIntegration(), dedupeIntegration()],
    stackParser,
    transport: (o) =>
      createTransport(o, async (request) => {
        const res = await fetch(o.url, { method: "POST", body: request.body as BodyInit });
        await res.body?.cancel();
        return {
          statusCode: res.status,
          headers: {
            "x-sentry-rate-limits": res.headers.get("x-sentry-rate-limits"),
            "retry-after": res.headers.get("retry-after"),
          },
        };
      }),
  });
  client.init();
  return client;
}

const stackParser = createStackParser(nodeStackLineParser());

/** One invocation: its own isolation scope and tags; an escaping error reported; a flush at the end. */
function invocation<T>(
  env: Bindings,
  ctx: Pick<ExecutionContext, "waitUntil">,
  tags: ReportTags,
  mechanism: string,
  fn: () => Promise<T>,
): Promise<T> {
  return withIsolationScope(async (scope) => {
    const c = clientFor(env);
    setCurrentClient(c);
    scope.setClient(c);
    scope.setTags(cleanTags(tags));
    try {
      return await fn();
    } catch (err) {
      captureException(err, { mechanism: { handled: false, type: mechanism } });
      throw err;
    } finally {
      ctx.waitUntil(c.flush(2000));
    }
  });
}

const reporter: Reporter = {
  captureException(err, tags) {
    withScope((scope) => {
      scope.setTags(cleanTags(tags));
      captureException(err);
    });
  },
  transaction(name, op, tags, fn) {
    return startSpan({ name, op, forceTransaction: true, attributes: cleanTags(tags) }, () => {
      getCurrentScope().setTags(cleanTags(tags));
      return fn();
    });
  },
};

type Handlers = Required<Pick<ExportedHandler<Bindings>, "fetch" | "queue" | "scheduled">>;

/** The Worker's handlers under Sentry; the seam's reporter installed for this isolate. */
export function instrument(handlers: Handlers): Handlers {
  setReporter(reporter);
  return {
    fetch(request, env, ctx) {
      const url = new URL(request.url);
      const path = url.pathname;
      return invocation(env, ctx, {}, "auto.http.cloudflare", () => {
        // The request as events show it: method and address without its query, nothing else.
        getIsolationScope().addEventProcessor((event) => ({
          ...event,
          request: { method: request.method, url: `${url.origin}${path}` },
        }));
        return continueTrace(
          { sentryTrace: request.headers.get("sentry-trace") ?? "", baggage: request.headers.get("baggage") },
          () =>
            startSpan(
              {
                name: `${request.method} ${path}`,
                op: "http.server",
                attributes: { "http.request.method": request.method },
              },
              async (span) => {
                const res = await handlers.fetch(request, env, ctx);
                setHttpStatus(span, res.status);
                // The request's id (the answer's X-Request-Id) tags its transaction too.
                const requestId = res.headers.get("x-request-id");
                if (requestId) getCurrentScope().setTag("requestId", scrubText(requestId).slice(0, 200));
                return res;
              },
            ),
        );
      });
    },
    queue(batch, env, ctx) {
      return invocation(env, ctx, { queue: batch.queue }, "auto.faas.cloudflare.queue", async () => {
        await handlers.queue(batch, env, ctx);
      });
    },
    scheduled(controller, env, ctx) {
      return invocation(env, ctx, { cron: controller.cron }, "auto.faas.cloudflare.scheduled", () =>
        startSpan(
          { name: `cron ${controller.cron}`, op: "function.cron", forceTransaction: true },
          async () => {
            await handlers.scheduled(controller, env, ctx);
          },
        ),
      );
    },
  };
}

/**
 * A Durable Object error (a Durable Object call is its own invocation, outside the Worker's
 * handlers), tagged with the class and method, flushed before the call's waitUntil ends.
 */
export async function reportDurableObjectError(env: Bindings, err: unknown, tags: ReportTags): Promise<void> {
  const c = clientFor(env);
  await withIsolationScope(async (scope) => {
    setCurrentClient(c);
    scope.setClient(c);
    scope.setTags(cleanTags(tags));
    captureException(err, { mechanism: { handled: false, type: "auto.faas.cloudflare.durable_object" } });
  });
  await c.flush(2000);
}
