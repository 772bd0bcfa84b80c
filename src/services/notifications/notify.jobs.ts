// Delivery of notify() events: `notify.sync-finished` (a finished sync run) and
// `notify.settings-updated` (admin settings saved; field names only) go to every signed event
// endpoint subscribed to them, and to every enabled SYSTEM webhook of ADMIN scope when
// `discord_notifications_enabled` is on, with upstream's embeds.
import { eq } from "drizzle-orm";
import { syncLogs, users } from "../../platform/db/schema/index.ts";
import type { JobDeps, JobTable } from "../../platform/jobs.types.ts";
import { readSettings } from "../settings/settings.ts";
import { fanOutToDiscord } from "./discord-delivery.ts";
import { eventEmbed, settingsUpdatedEmbed, syncFinishedEmbed, webhookTypeOf } from "./embeds.ts";
import { type OutboundEvent, publishEvent } from "./signed-events.ts";

async function discordOn(deps: JobDeps): Promise<boolean> {
  return (await readSettings(deps, ["discord_notifications_enabled"])).get("discord_notifications_enabled");
}

/**
 * An area's notice through the shared path: the signed event to its subscribed endpoints, and, when
 * Discord notifications are on, an embed to the ADMIN webhooks of the event's family.
 */
export async function announce(deps: JobDeps, event: OutboundEvent): Promise<void> {
  await publishEvent(deps, event);
  // And live to the admin dashboards (realtime `admin` topic; no write of its own).
  deps.events.publish(`notice.${event.type}`, { key: event.key, ...event.data });
  if (!(await discordOn(deps))) return;
  const flat = Object.fromEntries(
    Object.entries(event.data).map(([k, v]) => [
      k,
      v === null || typeof v !== "object" ? v : JSON.stringify(v),
    ]),
  ) as Record<string, string | number | boolean | null>;
  await fanOutToDiscord(deps, {
    key: `${event.type}:${event.key}`,
    event: event.type,
    type: webhookTypeOf(event.type),
    scope: "ADMIN",
    embeds: [eventEmbed(event.type, flat, deps.now().toISOString())],
  });
}

export const notifyJobs: JobTable = {
  "notify.sync-finished": async (payload, deps) => {
    const p = payload as { syncLogId?: string; status?: string; error?: string; failedStep?: string };
    if (typeof p?.syncLogId !== "string") return;
    const [log] = await deps.db.select().from(syncLogs).where(eq(syncLogs.id, p.syncLogId));
    const completed = p.status === "COMPLETED";
    await publishEvent(deps, {
      type: completed ? "sync.completed" : "sync.failed",
      key: p.syncLogId,
      data: {
        syncLogId: p.syncLogId,
        type: log?.type ?? null,
        status: p.status ?? log?.status ?? "FAILED",
        itemsSynced: log?.itemsSynced ?? null,
        itemsFailed: log?.itemsFailed ?? null,
        durationSeconds: log?.durationSeconds ?? null,
        ...(completed ? {} : { failedStep: p.failedStep ?? null, error: p.error ?? null }),
      },
    });
    if (!(await discordOn(deps))) {
      deps.log("info", "sync finished notice not sent to Discord (discord_notifications_enabled is off)", {
        syncLogId: p.syncLogId,
      });
      return;
    }
    const embed = syncFinishedEmbed({
      status: p.status ?? log?.status ?? "FAILED",
      durationSeconds: log?.durationSeconds,
      error: p.error,
      at: (log?.completedAt ?? deps.now()).toISOString(),
    });
    const jobs = await fanOutToDiscord(deps, {
      key: `sync:${p.syncLogId}`,
      event: completed ? "sync.completed" : "sync.failed",
      type: "SYSTEM",
      scope: "ADMIN",
      embeds: [embed],
    });
    deps.log("info", "sync finished notice queued", { syncLogId: p.syncLogId, webhooks: jobs.length });
  },
  "notify.settings-updated": async (payload, deps) => {
    const p = payload as { fields?: string[]; by?: string | null; at?: string };
    if (!Array.isArray(p?.fields)) return;
    const at = p.at ?? deps.now().toISOString();
    await publishEvent(deps, {
      type: "settings.updated",
      key: `${at}:${p.by ?? "system"}`,
      data: { fields: p.fields, by: p.by ?? null, at },
    });
    if (!(await discordOn(deps))) return;
    const [who] = p.by ? await deps.db.select().from(users).where(eq(users.id, p.by)) : [];
    await fanOutToDiscord(deps, {
      key: `settings:${at}:${p.by ?? "system"}`,
      event: "settings.updated",
      type: "SYSTEM",
      scope: "ADMIN",
      embeds: [
        settingsUpdatedEmbed({
          fields: p.fields,
          by: who?.username || who?.firstName || p.by || "system",
          at,
        }),
      ],
    });
  },
};
