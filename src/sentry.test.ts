// Sentry against the local fake ingest (scripts/fakes/sentry.ts; this file's invocations get a
// SENTRY_DSN pointing at it, the rest of the suite runs without one): an unexpected error in a
// route, a job and the RateLimiter Durable Object each arrive once, tagged and scrubbed; 4xx answers are not reported; a transaction per request and per job;
// nothing is sent without SENTRY_DSN. The faults are real: the database unreachable (the local
// Neon endpoint answers 503 for a DATABASE_URL with `fault=unavailable`) and a Durable Object
// call its SQLite storage refuses.
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { eventually, jobMessage, testEnv, uid } from "../test/helpers.ts";
import { createTestUser, TEST_PASSWORD } from "../test/users.ts";
import worker, { type RateLimiter } from "./index.ts";
import type { Bindings } from "./platform/env.ts";

const ingest = inject("sentryUrl");

interface Item {
  header: { type?: string };
  payload: {
    type?: string;
    transaction?: string;
    tags?: Record<string, string>;
    request?: Record<string, unknown>;
    exception?: { values?: { type?: string; value?: string }[] };
    contexts?: { trace?: { op?: string } };
  };
}
interface Envelope {
  items: Item[];
  raw: string;
}

async function envelopes(): Promise<Envelope[]> {
  return (await (await fetch(`${ingest}/__envelopes`)).json()) as Envelope[];
}

/** Items of type `type` whose tag `key` is `value`, with the raw text of their envelopes. */
async function itemsTagged(type: "event" | "transaction", key: string, value: string) {
  const found: { item: Item; raw: string }[] = [];
  for (const e of await envelopes())
    for (const item of e.items)
      if (item.header.type === type && item.payload.tags?.[key] === value) found.push({ item, raw: e.raw });
  return found;
}

/** Sentry on, reporting to the fake ingest, every request and job traced (the suite runs without it). */
const tracedEnv: Bindings = { ...testEnv, SENTRY_DSN: inject("sentryDsn"), SENTRY_TRACES_SAMPLE_RATE: "1" };

function faultyEnv(): Bindings {
  const url = new URL(String(testEnv.DATABASE_URL));
  url.searchParams.set("fault", "unavailable");
  return { ...tracedEnv, DATABASE_URL: url.toString() };
}

describe("Sentry (fake ingest)", () => {
  it("reports an unexpected error in a route once, tagged, with no token, password, e-mail or query string", async () => {
    const member = await createTestUser();
    const requestId = uid("rid-route").replaceAll("-", "");
    const email = `${uid("leak")}@example.com`;
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("http://api.test/api/v1/auth/login?token=query-secret-123456&next=%2Fdashboard", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-request-id": requestId,
          authorization: `Bearer ${member.token}`,
          cookie: "session=cookie-secret-123456",
        },
        body: JSON.stringify({ email, password: TEST_PASSWORD }),
      }),
      faultyEnv(),
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    const [event, ...more] = await eventually(async () => {
      const found = await itemsTagged("event", "requestId", requestId);
      return found.length ? found : undefined;
    });
    expect(more).toEqual([]);
    expect(event?.item.payload.tags).toMatchObject({
      requestId,
      route: "/api/v1/auth/login",
      method: "POST",
      caller: "anonymous",
    });
    expect(event?.item.payload.request).toEqual({ method: "POST", url: "http://api.test/api/v1/auth/login" });
    const raw = event?.raw ?? "";
    for (const secret of [
      "query-secret-123456",
      "cookie-secret-123456",
      TEST_PASSWORD,
      email,
      member.token,
      member.user.email,
      "next=",
    ])
      expect(raw).not.toContain(secret);
    // The transaction of the same request carries no more than the event.
    const [tx] = await eventually(async () => {
      const found = await itemsTagged("transaction", "requestId", requestId);
      return found.length ? found : undefined;
    });
    expect(tx?.item.payload.contexts?.trace?.op).toBe("http.server");
    for (const secret of ["query-secret-123456", TEST_PASSWORD, email, member.token])
      expect(tx?.raw).not.toContain(secret);
  });

  it("tags the caller kind: a service key's request", async () => {
    const requestId = uid("rid-svc").replaceAll("-", "");
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("http://api.test/api/v1/stats/overview", {
        headers: { "x-api-key": String(testEnv.BACKEND_API_KEY), "x-request-id": requestId },
      }),
      faultyEnv(),
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    const [event] = await eventually(async () => {
      const found = await itemsTagged("event", "requestId", requestId);
      return found.length ? found : undefined;
    });
    expect(event?.item.payload.tags).toMatchObject({ caller: "service", route: "/api/v1/stats/overview" });
    expect(event?.raw).not.toContain(String(testEnv.BACKEND_API_KEY));
  });

  it("does not report 4xx answers (their transactions arrive, no event)", async () => {
    const ids: string[] = [];
    for (const [path, init] of [
      ["/api/no/such/route", {}],
      ["/api/v1/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: "{" }],
      ["/api/admin/jobs/dead", {}],
    ] as [string, { method?: string; headers?: Record<string, string>; body?: string }][]) {
      const requestId = uid("rid-4xx").replaceAll("-", "");
      ids.push(requestId);
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`http://api.test${path}`, {
          ...init,
          headers: { ...init.headers, "x-request-id": requestId },
        }),
        tracedEnv,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    for (const requestId of ids) {
      await eventually(async () => {
        const found = await itemsTagged("transaction", "requestId", requestId);
        return found.length ? found : undefined;
      });
      expect(await itemsTagged("event", "requestId", requestId)).toEqual([]);
    }
  });

  it("reports an unexpected error in a job once (not per retry), with jobId, jobType and queue, and a transaction per job", async () => {
    const job = jobMessage("maintenance.expired-auth-tokens", { note: "password=job-secret-123456" });
    for (const attempts of [1, 2]) {
      const ctx = createExecutionContext();
      const batch = createMessageBatch("jobs-low", [
        { id: uid("m"), timestamp: new Date(), attempts, body: job },
      ]);
      await worker.queue(batch, faultyEnv(), ctx);
      await waitOnExecutionContext(ctx);
      expect((await getQueueResult(batch, ctx)).retryMessages).toHaveLength(1);
    }
    const txs = await eventually(async () => {
      const found = await itemsTagged("transaction", "jobId", job.id);
      return found.length >= 2 ? found : undefined;
    });
    expect(txs.map((t) => t.item.payload.transaction)).toEqual([
      "job maintenance.expired-auth-tokens",
      "job maintenance.expired-auth-tokens",
    ]);
    const events = await itemsTagged("event", "jobId", job.id);
    expect(events).toHaveLength(1);
    expect(events[0]?.item.payload.tags).toMatchObject({
      jobId: job.id,
      jobType: "maintenance.expired-auth-tokens",
      queue: "jobs-low",
      attempt: "1",
    });
    expect(events[0]?.raw).not.toContain("job-secret-123456");
  });

  it("reports an error thrown inside the RateLimiter Durable Object once, tagged with the object and method", async () => {
    const before = (await envelopes())
      .flatMap((e) => e.items)
      .filter((i) => i.header.type === "event" && i.payload.tags?.durableObject === "RateLimiter").length;
    const stub = testEnv.RATE_LIMITER.getByName(uid("do-fault"));
    // The object as deployed with SENTRY_DSN set (the suite's bindings have none), then a limit
    // its SQLite storage refuses (NaN tokens: NOT NULL constraint).
    const refused = await runInDurableObject(stub, async (instance: RateLimiter) => {
      (instance as unknown as { env: Bindings }).env = tracedEnv;
      return instance.take({ capacity: Number.NaN, periodMs: 1000 }).then(
        () => undefined,
        (err: unknown) => String(err),
      );
    });
    expect(refused).toMatch(/NOT NULL constraint failed/);
    const events = await eventually(async () => {
      const found = (await envelopes())
        .flatMap((e) => e.items)
        .filter((i) => i.header.type === "event" && i.payload.tags?.durableObject === "RateLimiter");
      return found.length > before ? found : undefined;
    });
    // Settle: a second report of the same error would come with the same flush.
    await new Promise((r) => setTimeout(r, 1000));
    const after = (await envelopes())
      .flatMap((e) => e.items)
      .filter((i) => i.header.type === "event" && i.payload.tags?.durableObject === "RateLimiter");
    expect(after.length).toBe(before + 1);
    expect(events.at(-1)?.payload.tags).toMatchObject({ durableObject: "RateLimiter", method: "take" });
  });

  it("sends nothing when SENTRY_DSN is not set", async () => {
    const requestId = uid("rid-off").replaceAll("-", "");
    const ctx = createExecutionContext();
    const env = { ...faultyEnv(), SENTRY_DSN: undefined };
    const res = await worker.fetch(
      new Request("http://api.test/api/stats", { headers: { "x-request-id": requestId } }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    // A request with Sentry on, sent after it, arrives: the one without would have arrived first.
    const marker = uid("rid-on").replaceAll("-", "");
    const ctx2 = createExecutionContext();
    await worker.fetch(
      new Request("http://api.test/api/stats", { headers: { "x-request-id": marker } }),
      faultyEnv(),
      ctx2,
    );
    await waitOnExecutionContext(ctx2);
    await eventually(async () => {
      const found = await itemsTagged("event", "requestId", marker);
      return found.length ? found : undefined;
    });
    expect(await itemsTagged("event", "requestId", requestId)).toEqual([]);
    expect(await itemsTagged("transaction", "requestId", requestId)).toEqual([]);
  });
});

describe("the fake ingest refuses what Sentry refuses", () => {
  const dsn = new URL(inject("sentryDsn"));
  const endpoint = `${ingest}/api${dsn.pathname}/envelope/`;
  const envelope = `${JSON.stringify({ event_id: "0".repeat(32) })}\n${JSON.stringify({ type: "event" })}\n{}\n`;

  it("401 without auth or with a malformed X-Sentry-Auth, 403 for another key, 400 for a body that is no envelope", async () => {
    expect((await fetch(endpoint, { method: "POST", body: envelope })).status).toBe(401);
    expect(
      (await fetch(endpoint, { method: "POST", body: envelope, headers: { "x-sentry-auth": "Bearer nope" } }))
        .status,
    ).toBe(401);
    expect(
      (await fetch(`${endpoint}?sentry_key=wrongkey&sentry_version=7`, { method: "POST", body: envelope }))
        .status,
    ).toBe(403);
    const ok = `${endpoint}?sentry_key=${dsn.username}&sentry_version=7`;
    expect((await fetch(ok, { method: "POST", body: "not json\n" })).status).toBe(400);
    expect(
      (
        await fetch(endpoint, {
          method: "POST",
          body: envelope,
          headers: { "x-sentry-auth": `Sentry sentry_key=${dsn.username}, sentry_version=7` },
        })
      ).status,
    ).toBe(200);
  });
});
