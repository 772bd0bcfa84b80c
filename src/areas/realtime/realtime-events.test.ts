// Live events beyond the sync's, on the `admin` topic (and `server:{uuid}`): job failures and
// dead jobs from the queue consumer, audit rows (tailed by the admin object's alarm while admins
// watch), notices through announce() (Hytale account and session notices), server power. None
// of them writes a row of its own. `admin` is shared by parallel files: frames are matched by
// this file's own ids.
import {
  createExecutionContext,
  createMessageBatch,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { jobMessage, testDb, testDeps, testEnv, uid } from "../../../test/helpers.ts";
import { connect } from "../../../test/realtime-client.ts";
import { createAdmin, type TestUser } from "../../../test/users.ts";
import { SYSTEM_ACTOR } from "../../platform/principal.ts";
import { audit } from "../../services/audit/audit.ts";
import { handleQueue } from "../../services/jobs/queue.consumer.ts";
import { announce } from "../../services/notifications/notify.jobs.ts";
import { publishServerEvent } from "../../services/realtime/publish.ts";
import type { RealtimeHub } from "./hub.do.ts";

const hub = (topic: string) =>
  (env as unknown as { REALTIME_HUB: DurableObjectNamespace<RealtimeHub> }).REALTIME_HUB.getByName(topic);

let admin: TestUser;
beforeAll(async () => {
  admin = await createAdmin();
});

async function adminSocket() {
  return connect(admin.token, "admin", (await hub("admin").stats()).offset);
}

describe("live events on admin", () => {
  it("job failures and dead jobs arrive as one job.failed and one job.dead per batch, written nowhere else", async () => {
    const dash = await adminSocket();
    const flaky = `flaky-${uid()}`;
    const unknown = `gone-${uid()}`;
    const batch = createMessageBatch("jobs-default", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: jobMessage("test.flaky", {}, flaky) },
      { id: "m2", timestamp: new Date(), attempts: 1, body: jobMessage("test.unknown-type", {}, unknown) },
    ]);
    const ctx = createExecutionContext();
    await handleQueue(
      batch,
      testEnv,
      {
        handlers: {
          "test.flaky": async () => {
            throw new Error("upstream wobble");
          },
        },
        deadJobHooks: {},
      },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const failed = await dash.next((f) => f.type === "job.failed" && JSON.stringify(f.data).includes(flaky));
    expect(failed.data).toMatchObject({
      count: 1,
      jobs: [{ jobId: flaky, jobType: "test.flaky", outcome: "retried", attempt: 1, queue: "jobs-default" }],
    });
    expect(String((failed.data.jobs as { error: string }[])[0]?.error)).toContain("upstream wobble");
    const dead = await dash.next((f) => f.type === "job.dead" && JSON.stringify(f.data).includes(unknown));
    expect(dead.data).toMatchObject({ count: 1, jobs: [{ jobId: unknown, jobType: "test.unknown-type" }] });
    // A successful batch says nothing.
    const quiet = createMessageBatch("jobs-default", [
      { id: "m3", timestamp: new Date(), attempts: 1, body: jobMessage("test.ok", {}, `ok-${uid()}`) },
    ]);
    const ctx2 = createExecutionContext();
    const before = dash.frames.length;
    await handleQueue(quiet, testEnv, { handlers: { "test.ok": async () => {} }, deadJobHooks: {} }, ctx2);
    await waitOnExecutionContext(ctx2);
    expect(
      dash.frames
        .slice(before)
        .filter((f) => f.type.startsWith("job.") && JSON.stringify(f.data).includes("test.ok")),
    ).toEqual([]);
    dash.close();
  });

  it("audit rows reach admins from the alarm's tail while they watch, each once", async () => {
    const dash = await adminSocket();
    const target = uid();
    await audit(testDb(), {
      action: "realtime.test",
      actor: SYSTEM_ACTOR,
      targetType: "test",
      targetId: target,
      details: { n: 1 },
    });
    await runDurableObjectAlarm(hub("admin"));
    const frame = await dash.next(
      (f) => f.type === "audit" && (f.data.target as { id?: string })?.id === target,
    );
    expect(frame.data).toMatchObject({
      action: "realtime.test",
      actor: { type: "system" },
      target: { type: "test", id: target },
      details: { n: 1 },
    });
    expect(Number.isNaN(Date.parse(String(frame.data.at)))).toBe(false);
    // The next reads overlap the last one: still one frame for the row.
    await runDurableObjectAlarm(hub("admin"));
    await runDurableObjectAlarm(hub("admin"));
    const again = await hub("admin").stats();
    expect(again.sockets).toBeGreaterThan(0);
    expect(
      dash.frames.filter((f) => f.type === "audit" && (f.data.target as { id?: string })?.id === target),
    ).toHaveLength(1);
    // The frame is history like any other (resumable); nothing was written for it in Postgres.
    const rows = await testDb().execute(
      sql`select count(*)::int as n from audit_logs where "targetId" = ${target}`,
    );
    expect(rows.rows[0]).toEqual({ n: 1 });
    dash.close();
  });

  it("announce() notices (Hytale account and session notices) reach admins live", async () => {
    const dash = await adminSocket();
    const accountId = uid();
    await announce(testDeps({ message: jobMessage("notify.hytale-account", {}) }), {
      type: "hytale.account.relink_required",
      key: `k-${accountId}`,
      data: { accountId, reason: "relink-needed" },
    });
    const f = await dash.next(
      (x) => x.type === "notice.hytale.account.relink_required" && x.data.accountId === accountId,
    );
    expect(f.data).toEqual({ key: `k-${accountId}`, accountId, reason: "relink-needed" });
    dash.close();
  });

  it("a server's power action reaches server:{uuid} and admin", async () => {
    const uuid = crypto.randomUUID();
    const dash = await adminSocket();
    const watcher = await connect(admin.token, `server:${uuid}`);
    await publishServerEvent(testDeps(), uuid, "server.power", { signal: "restart" });
    const onServer = await watcher.next((f) => f.type === "server.power");
    expect(onServer).toMatchObject({
      topic: `server:${uuid}`,
      data: { serverUuid: uuid, signal: "restart" },
    });
    await dash.next((f) => f.type === "server.power" && f.data.serverUuid === uuid);
    watcher.close();
    dash.close();
  });
});

describe("batching and throttled analytics", () => {
  it("sends frames published together as one batch message, in offset order, and resumes them one by one", async () => {
    const topic = `server:${crypto.randomUUID()}`;
    const c = await connect(admin.token, topic);
    await c.next((f) => f.type === "welcome");
    const messagesBefore = c.messages;
    // Five publishes in one turn of the object: one flush, one socket message.
    await runInDurableObject(hub(topic), async (instance: RealtimeHub) => {
      await Promise.all(Array.from({ length: 5 }, (_, i) => instance.publish(topic, "tick", { i })));
    });
    await c.next((f) => f.type === "tick" && f.data.i === 4);
    const ticks = c.frames.filter((f) => f.type === "tick");
    expect(ticks.map((f) => f.data.i)).toEqual([0, 1, 2, 3, 4]);
    expect(ticks.map((f) => f.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(c.messages - messagesBefore).toBe(1);
    // A resume gets the same frames one by one in the welcome.
    const again = await connect(admin.token, topic, 2);
    const welcome = await again.next((f) => f.type === "welcome");
    expect((welcome.data.frames as { offset: number }[]).map((f) => f.offset)).toEqual([3, 4, 5]);
    c.close();
    again.close();
  });

  it("analytics frames go only to sockets that asked, at most one per 250 ms, latest value winning", async () => {
    const topic = `server:${crypto.randomUUID()}`;
    const dash = await connect(admin.token, topic, undefined, "&analytics=1");
    const plain = await connect(admin.token, topic);
    await dash.next((f) => f.type === "analytics"); // the join changed the topic's figures
    const seen = dash.frames.length;
    const started = Date.now();
    await runInDurableObject(hub(topic), async (instance: RealtimeHub) => {
      for (let n = 1; n <= 50; n++) await instance.publishAnalytics(topic, "load", { n });
    });
    const last = await dash.next(
      (f) => f.type === "analytics" && (f.data.load as { n: number })?.n === 50,
      10_000,
      seen,
    );
    const frames = dash.frames.slice(seen).filter((f) => f.type === "analytics");
    // 50 values coalesced: far fewer frames, never more than one per 250 ms since the burst began.
    expect(frames.length).toBeLessThanOrEqual(Math.floor((Date.now() - started) / 250) + 2);
    expect(frames.length).toBeLessThan(5);
    expect(last.data.load).toEqual({ n: 50 });
    // History publishes also refresh the topic's figures, coalesced the same way.
    await hub(topic).publish(topic, "tick", { i: 1 });
    const fig = await dash.next(
      (f) => f.type === "analytics" && (f.data.topic as { offset?: number } | undefined)?.offset === 1,
      10_000,
      seen,
    );
    expect(fig.data.topic).toMatchObject({ sockets: 2, users: 1, offset: 1 });
    expect(plain.frames.some((f) => f.type === "analytics")).toBe(false);
    dash.close();
    plain.close();
  });
});
