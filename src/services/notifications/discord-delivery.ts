// Delivering to Discord through the queue: fanOutToDiscord() packs the embeds into messages
// Discord accepts (≤ 10 embeds, ≤ 6,000 characters) and queues one `discord.post` job per message
// and enabled webhook of the event's type (and scope), with an id derived from the event, so the
// same event raised twice queues the same jobs. The job records its delivery under its own id, so a
// redelivered job that already posted does not post again; 429 and 5xx retry (after Discord's
// `retry_after`); a webhook Discord calls dead is disabled and the delivery marked failed.
import { and, eq, sql } from "drizzle-orm";
import * as z from "zod";
import { discordWebhooks, notificationDeliveries } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import type { JobTable } from "../../platform/jobs.types.ts";
import { type Embed, packEmbeds, postToDiscord } from "./discord.ts";

export const DISCORD_POST_JOB = "discord.post";

export async function fanOutToDiscord(
  deps: Pick<Deps, "db" | "enqueue">,
  input: { key: string; event: string; type: string; scope?: string; embeds: Embed[] },
): Promise<string[]> {
  const rows = await deps.db
    .select({ id: discordWebhooks.id })
    .from(discordWebhooks)
    .where(
      and(
        eq(discordWebhooks.enabled, true),
        eq(discordWebhooks.type, input.type),
        input.scope ? eq(discordWebhooks.scope, input.scope) : undefined,
      ),
    );
  const messages = packEmbeds(input.embeds);
  const ids: string[] = [];
  for (const row of rows) {
    for (const [i, embeds] of messages.entries()) {
      const job = await deps.enqueue(
        DISCORD_POST_JOB,
        { webhookId: row.id, event: input.event, embeds },
        { priority: "default", id: `discord:${input.key}:${row.id}${i === 0 ? "" : `:${i}`}` },
      );
      ids.push(job.id);
    }
  }
  return ids;
}

const Payload = z.object({
  webhookId: z.string().min(1),
  event: z.string().min(1).max(100),
  embeds: z.array(z.record(z.string(), z.unknown())).min(1).max(10),
});

export const discordJobs: JobTable = {
  [DISCORD_POST_JOB]: async (payload, deps) => {
    const parsed = Payload.safeParse(payload);
    if (!parsed.success)
      throw new AppError("INVALID_REQUEST", "bad discord.post payload", { retryable: false });
    const { webhookId, event } = parsed.data;
    const id = deps.message.id;
    const now = deps.now().toISOString();
    // Claim the delivery atomically: a copy of this job that already delivered it, or is sending
    // it right now, wins; a claim older than a minute (a crashed attempt) may be taken over.
    const claim = await deps.db.execute(sql`
      insert into notification_deliveries (id, channel, "targetId", event, status, attempts, "claimedAt")
      values (${id}, 'discord', ${webhookId}, ${event}, 'sending', 1, ${now}::timestamptz)
      on conflict (id) do update set status = 'sending', attempts = notification_deliveries.attempts + 1,
        "claimedAt" = excluded."claimedAt"
      where notification_deliveries.status in ('pending', 'failed')
         or (notification_deliveries.status = 'sending'
             and notification_deliveries."claimedAt" < ${now}::timestamptz - interval '1 minute')
      returning id`);
    if (claim.rows.length === 0) {
      deps.log("info", "discord post already delivered or in flight; duplicate skipped", {
        webhookId,
        event,
      });
      return;
    }
    const mark = (set: Partial<typeof notificationDeliveries.$inferInsert>) =>
      deps.db.update(notificationDeliveries).set(set).where(eq(notificationDeliveries.id, id));
    const [webhook] = await deps.db.select().from(discordWebhooks).where(eq(discordWebhooks.id, webhookId));
    if (!webhook?.enabled) {
      await mark({ status: "failed", error: "webhook disabled or deleted" });
      return;
    }
    let outcome: Awaited<ReturnType<typeof postToDiscord>>;
    try {
      outcome = await postToDiscord(deps, webhook, parsed.data.embeds as unknown as Embed[], {
        throwOnRetryable: true,
      });
    } catch (err) {
      // Released for the retry of this message.
      await mark({ status: "pending", error: (err as Error).message.slice(0, 300) });
      throw err;
    }
    if (outcome.ok) {
      await mark({ status: "delivered", deliveredAt: deps.now(), lastStatus: 204, error: null });
      return;
    }
    await mark({ status: "failed", lastStatus: outcome.status, error: outcome.error.slice(0, 300) });
    deps.log("error", "discord post failed", {
      webhookId,
      event,
      status: outcome.status,
      dead: outcome.dead,
    });
  },
};
