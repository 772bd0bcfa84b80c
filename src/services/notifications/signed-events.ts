// Signed outbound events: publishEvent() writes one delivery per subscribed endpoint (id = the
// `webhook-id`, derived from the event's key, so publishing the same event twice is one delivery)
// and queues its first attempt; the `event.deliver` job makes one attempt, logs it, and on failure
// queues the next on Svix's schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). A 410 disables the
// endpoint at once; a delivery that fails all 8 attempts with no success since disables it too.
// Attempts are claimed atomically (attempt n runs only once, whoever delivers the message).
import { and, eq, sql } from "drizzle-orm";
import * as z from "zod";
import { sha256Hex } from "../../platform/crypto.ts";
import {
  type EventDelivery,
  type EventEndpoint,
  eventDeliveries,
  eventDeliveryAttempts,
  eventEndpoints,
} from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import type { JobTable } from "../../platform/jobs.types.ts";
import { errorText } from "../../platform/log.ts";
import { SYSTEM_ACTOR } from "../../platform/principal.ts";
import { decryptSecret, encryptSecret, keyRing } from "../../platform/secrets.ts";
import { auditInsert } from "../audit/audit.ts";
import { signedHeaders } from "./standard-webhooks.ts";

/** The event types endpoints can subscribe to (a subscription may also be `family.*` or `*`). */
export const EVENT_TYPES = [
  "sync.completed",
  "sync.failed",
  "settings.updated",
  "hytale.account.linked",
  "hytale.account.refreshed",
  "hytale.account.relink_required",
  "hytale.account.expiring",
  "hytale.account.unlinked",
  "hytale.account.session_cap",
  "hytale.session.created",
  "hytale.session.refreshed",
  "hytale.session.deleted",
  "webhook.test",
] as const;

export const EVENT_DELIVER_JOB = "event.deliver";
/** Seconds to wait after attempt n (index n-1) before attempt n+1; attempt 8 is the last. */
export const RETRY_SCHEDULE_SECONDS = [5, 300, 1800, 7200, 18000, 36000, 36000] as const;
export const MAX_ATTEMPTS = RETRY_SCHEDULE_SECONDS.length + 1;
const ATTEMPT_TIMEOUT_MS = 15_000;
const EXCERPT_CHARS = 500;

export function subscribes(subscriptions: readonly string[], type: string): boolean {
  return subscriptions.some(
    (s) => s === "*" || s === type || (s.endsWith(".*") && type.startsWith(s.slice(0, -1))),
  );
}

/** A subscription is a known type, a known family with `.*`, or `*`. */
export function isSubscription(s: string): boolean {
  if (s === "*" || (EVENT_TYPES as readonly string[]).includes(s)) return true;
  return s.endsWith(".*") && EVENT_TYPES.some((t) => t.startsWith(s.slice(0, -1)));
}

const boundTo = (endpointId: string) => `event_endpoints:${endpointId}`;

export async function encryptEndpointSecret(deps: Pick<Deps, "config">, endpointId: string, secret: string) {
  return encryptSecret(await keyRing(deps.config), secret, boundTo(endpointId));
}

/** The secrets that sign now: the current one, and the previous one while its grace period lasts. */
async function liveSecrets(deps: Pick<Deps, "config">, e: EventEndpoint, now: Date): Promise<string[]> {
  const ring = await keyRing(deps.config);
  const out = [await decryptSecret(ring, e.secret, boundTo(e.id))];
  if (e.previousSecret && e.previousSecretExpiresAt && e.previousSecretExpiresAt > now)
    out.push(await decryptSecret(ring, e.previousSecret, boundTo(e.id)));
  return out;
}

async function deliveryId(key: string, endpointId: string): Promise<string> {
  return `msg_${(await sha256Hex(`${key}\n${endpointId}`)).slice(0, 32)}`;
}

export interface OutboundEvent {
  type: (typeof EVENT_TYPES)[number];
  /** What makes this event this event (a sync id, a save's time): the same key is one delivery. */
  key: string;
  data: Record<string, unknown>;
}

/** The body every receiver gets: `{type, timestamp, data}` (the Standard Webhooks shape). */
export function eventBody(type: string, at: Date, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: at.toISOString(), data });
}

/** Queues the event for every enabled endpoint subscribed to it; returns the delivery ids. */
export async function publishEvent(
  deps: Pick<Deps, "db" | "enqueue" | "now">,
  event: OutboundEvent,
): Promise<string[]> {
  const endpoints = (
    await deps.db
      .select({ id: eventEndpoints.id, eventTypes: eventEndpoints.eventTypes })
      .from(eventEndpoints)
      .where(eq(eventEndpoints.enabled, true))
  ).filter((e) => subscribes(e.eventTypes, event.type));
  if (endpoints.length === 0) return [];
  const body = eventBody(event.type, deps.now(), event.data);
  const rows = await Promise.all(
    endpoints.map(async (e) => ({
      id: await deliveryId(`${event.type}:${event.key}`, e.id),
      endpointId: e.id,
      eventType: event.type,
      body,
    })),
  );
  await deps.db.insert(eventDeliveries).values(rows).onConflictDoNothing();
  for (const row of rows) await queueAttempt(deps, row.id, 1, "first");
  return rows.map((r) => r.id);
}

type Trigger = "first" | "retry" | "replay" | "test";

function queueAttempt(
  deps: Pick<Deps, "enqueue">,
  id: string,
  attempt: number,
  trigger: Trigger,
  delaySeconds?: number,
) {
  return deps.enqueue(
    EVENT_DELIVER_JOB,
    { deliveryId: id, attempt, trigger },
    { priority: "default", id: `${id}:${attempt}`, delaySeconds },
  );
}

/** A test event for one endpoint: a delivery of `webhook.test`, attempted now (no retries). */
export async function createTestDelivery(
  deps: Pick<Deps, "db" | "now">,
  endpoint: EventEndpoint,
): Promise<string> {
  const at = deps.now();
  const id = `msg_test_${crypto.randomUUID().replaceAll("-", "")}`;
  await deps.db.insert(eventDeliveries).values({
    id,
    endpointId: endpoint.id,
    eventType: "webhook.test",
    body: eventBody("webhook.test", at, { endpointId: endpoint.id, message: "NodeByte test event" }),
  });
  return id;
}

/** Queues a replay: the next attempt of a finished delivery, the same `webhook-id` and body. */
export async function queueReplay(deps: Pick<Deps, "enqueue">, d: EventDelivery): Promise<number> {
  if (d.status !== "delivered" && d.status !== "failed")
    throw new AppError("CONFLICT", `delivery is ${d.status}; replay it once it has delivered or failed`);
  const attempt = d.attempt + 1;
  await queueAttempt(deps, d.id, attempt, "replay");
  return attempt;
}

export interface AttemptOutcome {
  attempt: number;
  status: number | null;
  latencyMs: number;
  ok: boolean;
  error?: string;
  deliveryStatus: string;
}

type AttemptDeps = Pick<Deps, "db" | "config" | "fetch" | "now" | "log" | "enqueue">;

/**
 * Claims attempt `n` of a delivery: only when attempt n-1 is the last one made and the delivery is
 * waiting for it (or, for a replay, finished), or when attempt n itself was claimed over two
 * minutes ago by a run that never finished. Returns the claimed row, or undefined.
 */
async function claim(deps: AttemptDeps, id: string, n: number, trigger: Trigger) {
  const now = deps.now().toISOString();
  const waiting =
    trigger === "replay" ? sql`status in ('delivered', 'failed')` : sql`status in ('pending', 'retrying')`;
  const res = await deps.db.execute(sql`
    update event_deliveries set status = 'sending', attempt = ${n}, "claimedAt" = ${now}::timestamptz,
      "nextAttemptAt" = null
    where id = ${id} and (
      (attempt = ${n - 1} and ${waiting})
      or (attempt = ${n} and status = 'sending' and "claimedAt" < ${now}::timestamptz - interval '2 minutes'))
    returning id`);
  return res.rows.length > 0;
}

/** Makes attempt `n` (already claimed or about to be) and records it; shared by the job and the test route. */
export async function attemptDelivery(
  deps: AttemptDeps,
  id: string,
  n: number,
  trigger: Trigger,
): Promise<AttemptOutcome | undefined> {
  if (!(await claim(deps, id, n, trigger))) return undefined;
  const [row] = await deps.db
    .select({ d: eventDeliveries, e: eventEndpoints })
    .from(eventDeliveries)
    .innerJoin(eventEndpoints, eq(eventEndpoints.id, eventDeliveries.endpointId))
    .where(eq(eventDeliveries.id, id));
  if (!row) return undefined;
  const { d, e } = row;
  const started = Date.now();
  const now = deps.now();
  if (!e.enabled) {
    return record(deps, d, e, n, trigger, {
      status: null,
      latencyMs: 0,
      error: "endpoint disabled",
      excerpt: "",
    });
  }
  let status: number | null = null;
  let excerpt = "";
  let error: string | undefined;
  try {
    const headers = await signedHeaders(
      await liveSecrets(deps, e, now),
      d.id,
      Math.floor(now.getTime() / 1000),
      d.body,
    );
    const res = await deps.fetch(e.url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "user-agent": "NodeByte-Webhooks/1.0" },
      body: d.body,
      redirect: "manual",
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    status = res.status;
    excerpt = (await res.text().catch(() => "")).slice(0, EXCERPT_CHARS);
    if (status >= 300 && status < 400) error = "redirects are not followed";
    else if (status < 200 || status >= 300) error = `endpoint answered ${status}`;
  } catch (err) {
    error = errorText(err).slice(0, 300);
  }
  return record(deps, d, e, n, trigger, { status, latencyMs: Date.now() - started, error, excerpt });
}

async function record(
  deps: AttemptDeps,
  d: EventDelivery,
  e: EventEndpoint,
  n: number,
  trigger: Trigger,
  r: { status: number | null; latencyMs: number; error?: string; excerpt: string },
): Promise<AttemptOutcome> {
  const now = deps.now();
  const ok = r.error === undefined;
  const gone = r.status === 410;
  const retry = !ok && !gone && e.enabled && (trigger === "first" || trigger === "retry") && n < MAX_ATTEMPTS;
  const delay = retry ? RETRY_SCHEDULE_SECONDS[n - 1] : undefined;
  // Exhausted with no success since this delivery began: the endpoint is treated as dead.
  const exhausted =
    !ok &&
    !retry &&
    e.enabled &&
    trigger !== "test" &&
    trigger !== "replay" &&
    (!e.lastSuccessAt || e.lastSuccessAt < d.createdAt);
  const disable = e.enabled && (gone || exhausted);
  const deliveryStatus = ok ? "delivered" : retry ? "retrying" : "failed";
  const statements = [
    deps.db
      .insert(eventDeliveryAttempts)
      .values({
        deliveryId: d.id,
        attempt: n,
        trigger,
        status: r.status,
        latencyMs: r.latencyMs,
        responseExcerpt: r.excerpt,
        error: r.error ?? null,
      })
      .onConflictDoNothing(),
    deps.db
      .update(eventDeliveries)
      .set({
        status: deliveryStatus,
        lastStatus: r.status,
        error: r.error ?? null,
        claimedAt: null,
        nextAttemptAt: delay === undefined ? null : new Date(now.getTime() + delay * 1000),
        ...(ok ? { deliveredAt: now } : {}),
      })
      .where(and(eq(eventDeliveries.id, d.id), eq(eventDeliveries.attempt, n))),
    deps.db
      .update(eventEndpoints)
      .set(
        ok
          ? { lastSuccessAt: now }
          : {
              lastFailureAt: now,
              ...(disable
                ? {
                    enabled: false,
                    disabledReason: gone
                      ? "the endpoint answered 410 Gone"
                      : `no successful delivery in ${MAX_ATTEMPTS} attempts`,
                  }
                : {}),
            },
      )
      .where(eq(eventEndpoints.id, e.id)),
    ...(disable
      ? [
          auditInsert(deps.db, {
            action: "event_endpoint.disabled",
            actor: SYSTEM_ACTOR,
            targetType: "event_endpoint",
            targetId: e.id,
            details: { status: r.status, deliveryId: d.id, attempt: n },
          }),
        ]
      : []),
  ] as const;
  await deps.db.batch(statements as unknown as Parameters<typeof deps.db.batch>[0]);
  if (delay !== undefined) await queueAttempt(deps, d.id, n + 1, "retry", delay);
  if (disable) deps.log("warn", "event endpoint disabled", { endpointId: e.id, status: r.status });
  return { attempt: n, status: r.status, latencyMs: r.latencyMs, ok, error: r.error, deliveryStatus };
}

const Payload = z.object({
  deliveryId: z.string().min(1).max(100),
  attempt: z.number().int().min(1).max(1000),
  trigger: z.enum(["first", "retry", "replay"]).default("first"),
});

export const eventJobs: JobTable = {
  [EVENT_DELIVER_JOB]: async (payload, deps) => {
    const parsed = Payload.safeParse(payload);
    if (!parsed.success)
      throw new AppError("INVALID_REQUEST", "bad event.deliver payload", { retryable: false });
    const { deliveryId: id, attempt, trigger } = parsed.data;
    const outcome = await attemptDelivery(deps, id, attempt, trigger);
    if (outcome) {
      deps.log(outcome.ok ? "info" : "warn", "event delivery attempt", {
        deliveryId: id,
        attempt,
        status: outcome.status,
        deliveryStatus: outcome.deliveryStatus,
      });
      return;
    }
    const [d] = await deps.db.select().from(eventDeliveries).where(eq(eventDeliveries.id, id));
    if (d?.status === "sending" && d.attempt === attempt) {
      // Another copy of this attempt is running (or crashed): come back once its claim can lapse.
      throw new AppError("UNAVAILABLE", "delivery attempt in flight", {
        retryable: true,
        headers: { "Retry-After": "150" },
      });
    }
    if (d?.status === "retrying" && d.attempt === attempt) {
      // This attempt was made and recorded but its successor was never queued: queue it now.
      const delay = RETRY_SCHEDULE_SECONDS[attempt - 1];
      if (delay !== undefined) await queueAttempt(deps, id, attempt + 1, "retry", delay);
      return;
    }
    deps.log("info", "event delivery attempt already made; duplicate skipped", { deliveryId: id, attempt });
  },
};
