// The Discord embeds of each event, as upstream drew them (reference §7.2, §7.3). Pure: data in,
// embed out; only string values are rendered; Discord's limits are applied when posting.
import type { Embed } from "./discord.ts";

const field = (name: string, value: unknown, inline = true) =>
  typeof value === "string" && value !== "" ? [{ name, value, inline }] : [];

export function syncFinishedEmbed(e: {
  status: string;
  durationSeconds?: number | null;
  error?: string;
  at: string;
}): Embed {
  const ok = e.status === "COMPLETED";
  const duration = `${Number(e.durationSeconds ?? 0).toFixed(2)} seconds`;
  return {
    title: ok ? "🔄 Sync Operation Completed Successfully" : "🔄 Sync Operation Failed",
    description: ok ? "Panel synchronization has completed successfully" : "Panel synchronization has failed",
    color: ok ? 3066993 : 15158332,
    fields: [
      { name: "Status", value: ok ? "✅ Completed Successfully" : "❌ Failed", inline: true },
      { name: "Duration", value: duration, inline: true },
      ...field("Error", e.error, false),
    ],
    footer: { text: "NodeByte Sync System" },
    timestamp: e.at,
  };
}

export function settingsUpdatedEmbed(e: { fields: string[]; by: string; at: string }): Embed {
  return {
    title: "⚙️ System Settings Updated",
    description: "Administrator has updated system configuration",
    color: 3066993,
    fields: [
      { name: "Modified By", value: e.by, inline: true },
      { name: "Total Changes", value: `${e.fields.length} setting(s)`, inline: true },
      // Names only: upstream also printed old → new values, secrets included.
      { name: "Changed Settings", value: e.fields.map((f) => `• **${f}**`).join("\n"), inline: false },
      { name: "Updated At", value: e.at, inline: false },
    ],
    footer: { text: "NodeByte System" },
    timestamp: e.at,
  };
}

const EVENTS: Record<string, { title: string; color: number; fields: [string, string][] }> = {
  "sync.started": { title: "🔄 Sync Started", color: 0x3b82f6, fields: [["Type", "type"]] },
  "sync.completed": {
    title: "✅ Sync Completed",
    color: 0x22c55e,
    fields: [
      ["Type", "type"],
      ["Duration", "duration"],
    ],
  },
  "sync.failed": { title: "❌ Sync Failed", color: 0xef4444, fields: [["Error", "error"]] },
  "user.registered": { title: "👤 New User Registered", color: 0x8b5cf6, fields: [["Email", "email"]] },
  "server.created": {
    title: "🖥️ Server Created",
    color: 0x6366f1,
    fields: [
      ["Name", "name"],
      ["Owner", "owner"],
    ],
  },
  "server.suspended": {
    title: "⚠️ Server Suspended",
    color: 0xf59e0b,
    fields: [
      ["Name", "name"],
      ["Reason", "reason"],
    ],
  },
  "support.ticket_created": {
    title: "🎫 New Support Ticket",
    color: 0x0ea5e9,
    fields: [
      ["Subject", "subject"],
      ["User", "user"],
      ["Priority", "priority"],
    ],
  },
};

/** The embed of a dispatched event (upstream's queued-webhook table; anything else: a generic notice). */
export function eventEmbed(event: string, data: Record<string, unknown>, at: string): Embed {
  const known = EVENTS[event];
  if (!known) {
    return {
      title: "📢 Notification",
      description: `Event: ${event}`,
      color: 0x6b7280,
      footer: { text: "NodeByte Notifications" },
      timestamp: at,
    };
  }
  return {
    title: known.title,
    color: known.color,
    fields: known.fields.flatMap(([name, key]) => field(name, data[key])),
    footer: { text: "NodeByte Notifications" },
    timestamp: at,
  };
}

/** Which webhooks an event goes to: its type by the event's family. */
export function webhookTypeOf(event: string): string {
  const family = event.split(".")[0] ?? "";
  const map: Record<string, string> = {
    sync: "SYSTEM",
    settings: "SYSTEM",
    user: "SYSTEM",
    server: "GAME_SERVER",
    hytale: "GAME_SERVER",
    vps: "VPS",
    billing: "BILLING",
    security: "SECURITY",
    support: "SUPPORT",
  };
  return map[family] ?? "CUSTOM";
}
