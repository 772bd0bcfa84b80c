// Discord delivery through the queue against the local fake: a dispatched event posts once even
// when its job is delivered twice; 429 waits Discord's retry_after; a dead webhook is disabled;
// a finished sync reaches the admins' SYSTEM webhooks. This file owns discord_notifications_enabled.
import { eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, inject, it } from "vitest";
import { callJson, eventually, jobMessage, testDb, testDeps, testEnv, uid } from "../../../test/helpers.ts";
import { discordWebhooks, eventEndpoints, notificationDeliveries } from "../../platform/db/schema/index.ts";
import { embedChars, packEmbeds, storedWebhookUrl } from "./discord.ts";
import { DISCORD_POST_JOB, discordJobs, fanOutToDiscord } from "./discord-delivery.ts";
import { notifyJobs } from "./notify.jobs.ts";
import { encryptEndpointSecret } from "./signed-events.ts";
import { newSigningSecret } from "./standard-webhooks.ts";

const fake = inject("discordUrl");
const receiver = inject("eventReceiverUrl");
afterAll(async () => {
  await testDb().execute(sql`delete from config where key = 'discord_notifications_enabled'`);
});

async function webhook(type: string, opts: { register?: boolean; scope?: string } = {}) {
  const address = {
    id: String(200000000000000000n + BigInt(Math.floor(Math.random() * 1e15))),
    token: `tok_${crypto.randomUUID().replaceAll("-", "")}`,
  };
  if (opts.register !== false)
    await fetch(`${fake}/__webhooks`, { method: "POST", body: JSON.stringify(address) });
  const id = uid("wh");
  await testDb()
    .insert(discordWebhooks)
    .values({
      id,
      name: "test",
      webhookUrl: await storedWebhookUrl(testDeps(), id, address),
      type,
      scope: opts.scope ?? "ADMIN",
      description: "",
    });
  return { id, discordId: address.id };
}
type Posted = { body: { embeds: { title: string; fields?: { name: string; value: string }[] }[] } };
const messages = async (discordId: string) =>
  (await (await fetch(`${fake}/__messages?webhook=${discordId}`)).json()) as Posted[];
const post = (webhookId: string, id = uid("discord")) =>
  jobMessage(
    DISCORD_POST_JOB,
    { webhookId, event: "test.event", embeds: [{ title: "Hello", color: 1 }] },
    id,
  );
const run = (message: ReturnType<typeof post>) =>
  discordJobs[DISCORD_POST_JOB]?.(message.payload, testDeps({ message })) as Promise<void>;

describe("Discord delivery", () => {
  it("dispatches an event to the matching webhooks once, however often the dispatch and its jobs arrive", async () => {
    const w = await webhook("BILLING");
    const other = await webhook("SECURITY");
    const dispatchId = uid("dispatch");
    const send = () =>
      callJson<{ data: { dispatched: number; task_ids: string[] } }>("/api/v1/webhook/dispatch", {
        method: "POST",
        headers: { "x-api-key": String(testEnv.BACKEND_API_KEY), "content-type": "application/json" },
        body: JSON.stringify({ event: "billing.invoice_paid", data: { amount: "12.50" }, id: dispatchId }),
      });
    const first = await send();
    expect(first.res.status, first.text).toBe(202);
    expect(first.body.data.task_ids).toContain(`discord:dispatch:${dispatchId}:${w.id}`);
    const second = await send();
    expect(second.body.data.task_ids).toEqual(first.body.data.task_ids);
    const got = await eventually(async () =>
      (await messages(w.discordId)).length ? messages(w.discordId) : undefined,
    );
    expect(got[0]?.body.embeds[0]?.title).toBe("📢 Notification");
    // The same job delivered again (a lost ack): no second post.
    await run(post(w.id, `discord:dispatch:${dispatchId}:${w.id}`));
    await new Promise((r) => setTimeout(r, 500));
    expect(await messages(w.discordId)).toHaveLength(1);
    expect(await messages(other.discordId)).toHaveLength(0);
  });

  it("waits Discord's retry_after on 429, then delivers", async () => {
    const w = await webhook("CUSTOM");
    await fetch(`${fake}/__faults`, {
      method: "POST",
      body: JSON.stringify({ webhookId: w.discordId, kind: "429", times: 1, retryAfter: 1.4 }),
    });
    const message = post(w.id);
    await expect(run(message)).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      retryable: true,
      headers: { "Retry-After": "2" },
    });
    await run(message);
    expect(await messages(w.discordId)).toHaveLength(1);
    const [d] = await testDb()
      .select()
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.id, message.id));
    expect(d).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("disables a webhook Discord calls dead and marks the delivery failed", async () => {
    const w = await webhook("CUSTOM", { register: false });
    const message = post(w.id);
    await run(message);
    const [row] = await testDb().select().from(discordWebhooks).where(eq(discordWebhooks.id, w.id));
    expect(row?.enabled).toBe(false);
    const [d] = await testDb()
      .select()
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.id, message.id));
    expect(d?.status).toBe("failed");
    expect(d?.error).toContain("10015");
  });

  it("sends a finished sync to the admins' SYSTEM webhooks when Discord notifications are on, and to a signed endpoint once", async () => {
    const w = await webhook("SYSTEM");
    const endpointId = uid("ep");
    const path = `/hooks/${endpointId}`;
    const secret = newSigningSecret();
    await testDb()
      .insert(eventEndpoints)
      .values({
        id: endpointId,
        url: `${receiver}${path}`,
        eventTypes: ["sync.completed"],
        secret: await encryptEndpointSecret(testDeps(), endpointId, secret),
      });
    await fetch(`${receiver}/__secrets`, {
      method: "POST",
      body: JSON.stringify({ path, secrets: [secret] }),
    });
    const id = crypto.randomUUID();
    // A duration no other run has: other files' syncs also reach every SYSTEM webhook meanwhile.
    const seconds = 40_000 + Math.floor(Math.random() * 50_000);
    const ours = async () =>
      (await messages(w.discordId)).filter((m) =>
        m.body.embeds[0]?.fields?.some((f) => f.name === "Duration" && f.value === `${seconds}.00 seconds`),
      );
    await testDb().execute(sql`insert into sync_logs (id, type, status, metadata, "durationSeconds", "completedAt")
      values (${id}, 'full', 'COMPLETED', '{}'::jsonb, ${seconds}, now())`);
    const notice = jobMessage("notify.sync-finished", { syncLogId: id, status: "COMPLETED" }, `notify:${id}`);
    await testDb().execute(sql`delete from config where key = 'discord_notifications_enabled'`);
    await notifyJobs["notify.sync-finished"]?.(notice.payload, testDeps({ message: notice }));
    await new Promise((r) => setTimeout(r, 300));
    expect(await ours()).toHaveLength(0); // off by default
    await testDb().execute(sql`insert into config (key, value) values ('discord_notifications_enabled', 'true')
      on conflict (key) do update set value = excluded.value`);
    await notifyJobs["notify.sync-finished"]?.(notice.payload, testDeps({ message: notice }));
    const got = await eventually(async () => ((await ours()).length ? ours() : undefined));
    expect(got[0]?.body.embeds[0]?.title).toBe("🔄 Sync Operation Completed Successfully");
    // The notice raised again (a duplicate notify job): the same post job, delivered once.
    await notifyJobs["notify.sync-finished"]?.(notice.payload, testDeps({ message: notice }));
    await testDb().execute(sql`delete from config where key = 'discord_notifications_enabled'`);
    await new Promise((r) => setTimeout(r, 800));
    expect(await ours()).toHaveLength(1);
    // Three runs of the notice, one signed delivery (Discord being off does not stop it).
    const mine = await eventually(async () => {
      const events = (await (await fetch(`${receiver}/__received?path=${path}`)).json()) as {
        body: string;
        verified: boolean;
      }[];
      const m = events.filter((e) => e.body.includes(id));
      return m.length ? m : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    const all = (await (await fetch(`${receiver}/__received?path=${path}`)).json()) as { body: string }[];
    expect(all.filter((e) => e.body.includes(id))).toHaveLength(1);
    expect(mine[0]?.verified).toBe(true);
    await testDb().delete(eventEndpoints).where(eq(eventEndpoints.id, endpointId));
  });

  it("packs many notices into messages Discord accepts (10 embeds, 6,000 characters), in order, none lost", async () => {
    const w = await webhook("CUSTOM");
    const embeds = Array.from({ length: 23 }, (_, i) => ({
      title: `Notice ${i}`,
      description: i % 5 === 0 ? "x".repeat(2500) : `short ${i}`,
      color: 1,
    }));
    const packed = packEmbeds(embeds);
    for (const m of packed) {
      expect(m.length).toBeLessThanOrEqual(10);
      expect(m.reduce((n, e) => n + embedChars(e), 0)).toBeLessThanOrEqual(6000);
    }
    const queued: { payload: unknown; id?: string }[] = [];
    const ids = await fanOutToDiscord(
      testDeps({
        enqueue: async (type, payload, opts = {}) => {
          queued.push({ payload, id: opts.id });
          return jobMessage(type, payload, opts.id);
        },
      }),
      { key: uid("batch"), event: "custom.batch", type: "CUSTOM", embeds },
    );
    const ours = queued.filter((q) => (q.payload as { webhookId: string }).webhookId === w.id);
    expect(ours).toHaveLength(packed.length);
    expect(ids).toEqual(expect.arrayContaining(ours.map((q) => q.id)));
    for (const q of ours) await run(jobMessage(DISCORD_POST_JOB, q.payload, q.id));
    const byHand = await messages(w.discordId);
    expect(byHand).toHaveLength(packed.length);
    expect(byHand.flatMap((m) => m.body.embeds.map((e) => e.title))).toEqual(embeds.map((e) => e.title));
  });
});
