// Signed outbound events end to end: endpoints registered through the admin routes, events
// published and delivered through the real queue to a local receiver that checks every
// signature independently (scripts/fakes/event-receiver.ts, node:crypto), retries on the Svix
// schedule, a 410 and an exhausted delivery disabling the endpoint, secret rotation with two
// signatures, the delivery log, replay, and the URL rules.

import { createExecutionContext } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { callJson, eventually, jobMessage, testDb, testDeps, testEnv, uid } from "../../../test/helpers.ts";
import { bearer, createAdmin, createTestUser, type TestUser } from "../../../test/users.ts";
import { createApp } from "../../app.ts";
import { JOB_HANDLERS } from "../../jobs.ts";
import { auditLogs, eventDeliveries, eventEndpoints } from "../../platform/db/schema/index.ts";
import type { Enqueue } from "../../platform/queue.ts";
import { notifyJobs } from "../../services/notifications/notify.jobs.ts";
import {
  attemptDelivery,
  EVENT_DELIVER_JOB,
  eventJobs,
  MAX_ATTEMPTS,
  publishEvent,
  RETRY_SCHEDULE_SECONDS,
  subscribes,
} from "../../services/notifications/signed-events.ts";

const receiver = inject("eventReceiverUrl");
let admin: TestUser;
const created: string[] = [];
beforeAll(async () => {
  admin = await createAdmin();
});
afterAll(async () => {
  for (const id of created) await testDb().delete(eventEndpoints).where(eq(eventEndpoints.id, id));
});

const api = <T = Record<string, unknown>>(
  path: string,
  method = "GET",
  body?: unknown,
  token = admin.token,
) =>
  callJson<T>(path, {
    method,
    headers: { ...bearer(token), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

interface Endpoint {
  id: string;
  url: string;
  enabled: boolean;
  disabledReason: string | null;
  rotating: boolean;
  eventTypes: string[];
  secret?: string;
}
interface Delivery {
  id: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  nextAttemptAt: string | null;
  attemptLog: {
    attempt: number;
    trigger: string;
    status: number | null;
    latencyMs: number;
    responseExcerpt: string;
  }[];
}
interface Received {
  id: string;
  timestamp: string;
  signatures: string[];
  body: string;
  verified: boolean | null;
  matchedSecrets: number[];
  answered: number;
  userAgent?: string;
}

/** Other test files publish sync and settings events meanwhile; `webhook.test` only this file does. */
async function endpoint(eventTypes: string[] = ["webhook.test"]) {
  const path = `/hooks/${uid("ep")}`;
  const r = await api<{ data: Endpoint }>("/api/admin/webhooks/endpoints", "POST", {
    url: `${receiver}${path}`,
    description: "test receiver",
    eventTypes,
  });
  expect(r.res.status, r.text).toBe(201);
  created.push(r.body.data.id);
  const secret = r.body.data.secret as string;
  await fetch(`${receiver}/__secrets`, { method: "POST", body: JSON.stringify({ path, secrets: [secret] }) });
  return { ...r.body.data, path, secret };
}
const respond = (path: string, statuses: number[]) =>
  fetch(`${receiver}/__respond`, { method: "POST", body: JSON.stringify({ path, statuses }) });
const receivedAt = async (path: string) =>
  (await (await fetch(`${receiver}/__received?path=${encodeURIComponent(path)}`)).json()) as Received[];
/** Publishes a `webhook.test` event and returns the id of its delivery to `e`. */
async function publishTo(e: { id: string }, deps = testDeps()) {
  const ids = await publishEvent(deps, { type: "webhook.test", key: uid("event"), data: { n: 1 } });
  const rows = await testDb().select().from(eventDeliveries).where(eq(eventDeliveries.endpointId, e.id));
  const id = rows.find((r) => ids.includes(r.id))?.id;
  if (!id) throw new Error("no delivery for the endpoint");
  return id;
}
const delivery = async (endpointId: string, id: string) =>
  (
    await api<{ data: Delivery & { body: string } }>(
      `/api/admin/webhooks/endpoints/${endpointId}/deliveries/${id}`,
    )
  ).body.data;

/** An enqueue that records instead of sending (to drive attempts by hand). */
function recorder() {
  const sent: { type: string; payload: unknown; delaySeconds?: number; id?: string }[] = [];
  const enqueue: Enqueue = async (type, payload, opts = {}) => {
    sent.push({ type, payload, delaySeconds: opts.delaySeconds, id: opts.id });
    return { id: opts.id ?? uid(), type, payload, priority: "default", enqueuedAt: new Date().toISOString() };
  };
  return { sent, enqueue };
}

describe("signed event endpoints", () => {
  it("shows the secret once, stores it encrypted, and never lists it", async () => {
    const e = await endpoint();
    expect(e.secret).toMatch(/^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
    const [row] = await testDb().select().from(eventEndpoints).where(eq(eventEndpoints.id, e.id));
    expect(row?.secret.startsWith("enc:")).toBe(true);
    expect(row?.secret).not.toContain(e.secret.slice(6));
    const list = await api("/api/admin/webhooks/endpoints");
    expect(list.res.status).toBe(200);
    expect(list.text).toContain(e.id);
    expect(list.text).not.toContain("whsec_");
    const one = await api(`/api/admin/webhooks/endpoints/${e.id}`);
    expect(one.text).not.toContain("whsec_");
    const [audit] = await testDb().select().from(auditLogs).where(eq(auditLogs.targetId, e.id));
    expect(audit?.action).toBe("event_endpoint.created");
    expect(JSON.stringify(audit?.details)).not.toContain("whsec_");
  });

  it("refuses bad URLs and unknown event types with a clear 400, and non-admins with 403", async () => {
    for (const url of [
      "ftp://example.com/x",
      "https://user:pw@example.com/x",
      "not a url",
      "http://10.0.0.1/x",
    ]) {
      const r = await api("/api/admin/webhooks/endpoints", "POST", { url, eventTypes: ["*"] });
      expect(r.res.status, url).toBe(400);
    }
    const bad = await api("/api/admin/webhooks/endpoints", "POST", {
      url: `${receiver}/x`,
      eventTypes: ["sync.exploded"],
    });
    expect(bad.res.status).toBe(400);
    expect(bad.text).toContain("hytale.account.*");
    const member = await createTestUser();
    const r = await api("/api/admin/webhooks/endpoints", "GET", undefined, member.token);
    expect(r.res.status).toBe(403);
    expect((await api(`/api/admin/webhooks/endpoints/${uid()}`)).res.status).toBe(404);
  });

  it("sends a signed test event the independent receiver verifies, and logs the attempt", async () => {
    const e = await endpoint();
    const r = await api<{ data: Delivery }>(`/api/admin/webhooks/endpoints/${e.id}/test`, "POST");
    expect(r.res.status, r.text).toBe(200);
    expect(r.body.data.status).toBe("delivered");
    expect(r.body.data.attemptLog).toHaveLength(1);
    expect(r.body.data.attemptLog[0]).toMatchObject({ attempt: 1, trigger: "test", status: 200 });
    expect(r.body.data.attemptLog[0]?.responseExcerpt).toContain("received");
    const [got] = await receivedAt(e.path);
    expect(got?.verified).toBe(true);
    expect(got?.id).toBe(r.body.data.id);
    expect(JSON.parse(got?.body ?? "{}")).toMatchObject({ type: "webhook.test", data: { endpointId: e.id } });
    expect(got?.userAgent).toBeTruthy();
  });

  it("delivers a finished sync once however often the notice and its jobs run", async () => {
    const e = await endpoint(["sync.completed"]);
    const syncLogId = uid("sync");
    const notice = jobMessage(
      "notify.sync-finished",
      { syncLogId, status: "COMPLETED" },
      `notify:${syncLogId}`,
    );
    const run = () => notifyJobs["notify.sync-finished"]?.(notice.payload, testDeps({ message: notice }));
    await run();
    await run();
    // Other files finish syncs too: only this sync's deliveries count.
    const ours = async () => (await receivedAt(e.path)).filter((g) => g.body.includes(syncLogId));
    const got = await eventually(async () => {
      const list = await ours();
      return list.length > 0 ? list : undefined;
    });
    const d = (
      await testDb().select().from(eventDeliveries).where(eq(eventDeliveries.endpointId, e.id))
    ).find((r) => r.body.includes(syncLogId));
    expect(d?.id).toBe(got[0]?.id);
    // The same attempt delivered again by the queue: claimed once, sent once.
    const again = jobMessage(
      EVENT_DELIVER_JOB,
      { deliveryId: d?.id, attempt: 1, trigger: "first" },
      `${d?.id}:1`,
    );
    await eventJobs[EVENT_DELIVER_JOB]?.(again.payload, testDeps({ message: again }));
    await new Promise((r) => setTimeout(r, 300));
    const after = await ours();
    expect(after).toHaveLength(1);
    expect(after[0]?.verified).toBe(true);
    expect(JSON.parse(after[0]?.body ?? "{}")).toMatchObject({
      type: "sync.completed",
      data: { syncLogId, status: "COMPLETED" },
    });
  });

  it("retries a failed attempt after 5 s through the queue, with the same webhook-id", async () => {
    const e = await endpoint();
    await respond(e.path, [503]);
    const id = await publishTo(e);
    const waiting = await eventually(async () => {
      const d = await delivery(e.id, id as string);
      return d.status === "retrying" ? d : undefined;
    });
    expect(waiting.attemptLog[0]).toMatchObject({ attempt: 1, status: 503 });
    const next = new Date(waiting.nextAttemptAt as string).getTime();
    expect(next).toBeGreaterThan(Date.now() - 5000);
    const done = await eventually(async () => {
      const d = await delivery(e.id, id as string);
      return d.status === "delivered" ? d : undefined;
    }, 20_000);
    expect(done.attempts).toBe(2);
    expect(done.attemptLog.map((a) => [a.attempt, a.trigger, a.status])).toEqual([
      [1, "first", 503],
      [2, "retry", 200],
    ]);
    const got = await receivedAt(e.path);
    expect(got.map((g) => g.id)).toEqual([id, id]);
    expect(got[1]?.verified).toBe(true);
  }, 30_000);

  it("follows the schedule, and disables the endpoint when the last attempt fails with no success since", async () => {
    const e = await endpoint(["settings.updated"]);
    const rec = recorder();
    const deps = testDeps({ enqueue: rec.enqueue });
    const [id] = await publishEvent(deps, {
      type: "settings.updated",
      key: uid("save"),
      data: { fields: [] },
    });
    await respond(e.path, Array(MAX_ATTEMPTS).fill(500));
    for (let n = 1; n <= MAX_ATTEMPTS; n++) {
      const outcome = await attemptDelivery(deps, id as string, n, n === 1 ? "first" : "retry");
      expect(outcome?.status).toBe(500);
    }
    const retries = rec.sent.filter((s) => (s.payload as { trigger: string }).trigger === "retry");
    expect(retries.map((s) => s.delaySeconds)).toEqual([...RETRY_SCHEDULE_SECONDS]);
    expect(retries.map((s) => s.id)).toEqual(RETRY_SCHEDULE_SECONDS.map((_, i) => `${id}:${i + 2}`));
    const d = await delivery(e.id, id as string);
    expect(d.status).toBe("failed");
    expect(d.attempts).toBe(MAX_ATTEMPTS);
    const after = await api<{ data: Endpoint }>(`/api/admin/webhooks/endpoints/${e.id}`);
    expect(after.body.data.enabled).toBe(false);
    expect(after.body.data.disabledReason).toContain("8 attempts");
    // A retry of an attempt already made does nothing.
    expect(await attemptDelivery(deps, id as string, 3, "retry")).toBeUndefined();
  });

  it("disables the endpoint at once on 410 Gone, audited", async () => {
    const e = await endpoint(["settings.updated"]);
    await respond(e.path, [410]);
    const rec = recorder();
    const deps = testDeps({ enqueue: rec.enqueue });
    const [id] = await publishEvent(deps, {
      type: "settings.updated",
      key: uid("save"),
      data: { fields: [] },
    });
    await attemptDelivery(deps, id as string, 1, "first");
    expect(rec.sent.filter((s) => (s.payload as { trigger: string }).trigger === "retry")).toHaveLength(0);
    const after = await api<{ data: Endpoint }>(`/api/admin/webhooks/endpoints/${e.id}`);
    expect(after.body.data).toMatchObject({
      enabled: false,
      disabledReason: "the endpoint answered 410 Gone",
    });
    const audits = await testDb().select().from(auditLogs).where(eq(auditLogs.targetId, e.id));
    expect(audits.map((a) => a.action)).toContain("event_endpoint.disabled");
    // Disabled endpoints get no new deliveries until an admin enables them again.
    expect(await publishEvent(deps, { type: "settings.updated", key: uid("save"), data: {} })).not.toContain(
      id,
    );
    const enabled = await api<{ data: Endpoint }>(`/api/admin/webhooks/endpoints/${e.id}`, "PATCH", {
      enabled: true,
    });
    expect(enabled.body.data).toMatchObject({ enabled: true, disabledReason: null });
  });

  it("signs with both secrets during a rotation's grace period, then with the new one only", async () => {
    const e = await endpoint();
    const rotated = await api<{ data: Endpoint }>(
      `/api/admin/webhooks/endpoints/${e.id}/rotate-secret`,
      "POST",
      {
        graceSeconds: 3600,
      },
    );
    expect(rotated.res.status, rotated.text).toBe(200);
    const fresh = rotated.body.data.secret as string;
    expect(fresh).not.toBe(e.secret);
    expect(rotated.body.data.rotating).toBe(true);
    await fetch(`${receiver}/__secrets`, {
      method: "POST",
      body: JSON.stringify({ path: e.path, secrets: [e.secret, fresh] }),
    });
    await api(`/api/admin/webhooks/endpoints/${e.id}/test`, "POST");
    const [during] = await receivedAt(e.path);
    expect(during?.signatures).toHaveLength(2);
    expect(during?.matchedSecrets.sort()).toEqual([0, 1]);
    await api(`/api/admin/webhooks/endpoints/${e.id}/rotate-secret`, "POST", { graceSeconds: 0 });
    const third = (await testDb().select().from(eventEndpoints).where(eq(eventEndpoints.id, e.id)))[0];
    expect(third?.previousSecret).toBeNull();
    // Signed with a secret the receiver does not know: it refuses with 401, recorded in the log.
    const refused = await api<{ data: Delivery }>(`/api/admin/webhooks/endpoints/${e.id}/test`, "POST");
    expect(refused.body.data.status).toBe("failed");
    expect(refused.body.data.attemptLog[0]?.status).toBe(401);
    const last = (await receivedAt(e.path)).at(-1);
    expect(last?.signatures).toHaveLength(1);
    expect(last?.verified).toBe(false);
  });

  it("replays a finished delivery with the same id and body, and lists the log newest first", async () => {
    const e = await endpoint();
    const first = await api<{ data: Delivery }>(`/api/admin/webhooks/endpoints/${e.id}/test`, "POST");
    const replay = await api<{ data: { attempt: number } }>(
      `/api/admin/webhooks/endpoints/${e.id}/deliveries/${first.body.data.id}/replay`,
      "POST",
    );
    expect(replay.res.status, replay.text).toBe(202);
    expect(replay.body.data.attempt).toBe(2);
    const replayed = await eventually(async () => {
      const d = await delivery(e.id, first.body.data.id);
      return d.attempts === 2 && d.status === "delivered" ? d : undefined;
    });
    expect(replayed.attemptLog.map((a) => a.trigger)).toEqual(["test", "replay"]);
    const got = await receivedAt(e.path);
    expect(got.map((g) => g.id)).toEqual([first.body.data.id, first.body.data.id]);
    expect(got[1]?.body).toBe(got[0]?.body);
    expect(got.every((g) => g.verified)).toBe(true);
    await api(`/api/admin/webhooks/endpoints/${e.id}/test`, "POST");
    const log = await api<{ data: { deliveries: Delivery[]; pagination: { total: number } } }>(
      `/api/admin/webhooks/endpoints/${e.id}/deliveries?pageSize=1`,
    );
    expect(log.body.data.pagination.total).toBe(2);
    expect(log.body.data.deliveries).toHaveLength(1);
    expect(log.body.data.deliveries[0]?.id).not.toBe(first.body.data.id);
    const missing = await api(`/api/admin/webhooks/endpoints/${e.id}/deliveries/msg_nope/replay`, "POST");
    expect(missing.res.status).toBe(404);
  });

  it("matches subscriptions exactly, by family and by *", () => {
    expect(subscribes(["sync.*"], "sync.failed")).toBe(true);
    expect(subscribes(["sync.*"], "settings.updated")).toBe(false);
    expect(subscribes(["hytale.account.*"], "hytale.session.created")).toBe(false);
    expect(subscribes(["*"], "hytale.session.created")).toBe(true);
    expect(subscribes(["sync.completed"], "sync.failed")).toBe(false);
  });

  it("keeps signing after the encryption key rotates, and re-encrypts with the new key on rotation", async () => {
    const e = await endpoint();
    const fresh = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    // The new key listed first becomes primary; the old one (k1) still decrypts.
    const rotatedEnv = { ...testEnv, ENCRYPTION_KEYS: `k2:${fresh}` };
    const app = createApp();
    const send = async (path: string, body?: unknown) => {
      const res = await app.fetch(
        new Request(`http://api.test${path}`, {
          method: "POST",
          headers: { ...bearer(admin.token), "content-type": "application/json" },
          body: JSON.stringify(body ?? {}),
        }),
        rotatedEnv,
        createExecutionContext(),
      );
      return (await res.json()) as { data: Delivery & Endpoint };
    };
    expect((await send(`/api/admin/webhooks/endpoints/${e.id}/test`)).data.status).toBe("delivered");
    const rotated = await send(`/api/admin/webhooks/endpoints/${e.id}/rotate-secret`, { graceSeconds: 0 });
    const [row] = await testDb().select().from(eventEndpoints).where(eq(eventEndpoints.id, e.id));
    expect(row?.secret.startsWith("enc:v2:k2:")).toBe(true);
    await fetch(`${receiver}/__secrets`, {
      method: "POST",
      body: JSON.stringify({ path: e.path, secrets: [rotated.data.secret] }),
    });
    expect((await send(`/api/admin/webhooks/endpoints/${e.id}/test`)).data.status).toBe("delivered");
    expect((await receivedAt(e.path)).map((g) => g.verified)).toEqual([true, true]);
  });

  it("announces a Hytale account that needs re-linking to endpoints subscribed to hytale.account.*", async () => {
    const e = await endpoint(["hytale.account.*"]);
    const accountId = uid("hytale-account");
    const notice = jobMessage(
      "notify.hytale-account",
      { accountId, reason: "relink-needed", grantCreatedAt: new Date().toISOString() },
      `notify:hytale:${accountId}`,
    );
    const handler = JOB_HANDLERS["notify.hytale-account"];
    expect(handler).toBeDefined();
    await handler?.(notice.payload, testDeps({ message: notice }));
    await handler?.(notice.payload, testDeps({ message: notice })); // redelivered: one delivery
    const got = await eventually(async () => {
      const list = (await receivedAt(e.path)).filter((g) => g.body.includes(accountId));
      return list.length ? list : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect((await receivedAt(e.path)).filter((g) => g.body.includes(accountId))).toHaveLength(1);
    expect(got[0]?.verified).toBe(true);
    expect(JSON.parse(got[0]?.body ?? "{}")).toMatchObject({
      type: "hytale.account.relink_required",
      data: { accountId, reason: "relink-needed" },
    });
  });
});
