// Auto-sync settings: one stored pair (`auto_sync_enabled`, `auto_sync_interval` in seconds)
// behind both spellings the clients use (website-client §6.2). `sync_interval` is the same value.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { readSettings, settingFlag } from "../settings/settings.service.ts";

export const DEFAULT_INTERVAL_SECONDS = 3600;
export const MIN_INTERVAL_SECONDS = 300;

export interface AutoSyncSettings {
  enabled: boolean;
  intervalSeconds: number;
}

export async function readAutoSync(db: Database): Promise<AutoSyncSettings> {
  const s = await readSettings(db, ["auto_sync_enabled", "auto_sync_interval", "sync_interval"]);
  const raw = Number(s.get("auto_sync_interval") ?? s.get("sync_interval") ?? DEFAULT_INTERVAL_SECONDS);
  return {
    enabled: settingFlag(s.get("auto_sync_enabled"), false),
    intervalSeconds:
      Number.isFinite(raw) && raw > 0
        ? Math.max(MIN_INTERVAL_SECONDS, Math.floor(raw))
        : DEFAULT_INTERVAL_SECONDS,
  };
}

/** Writes only what was sent (an omitted flag is not reset); both interval keys stay equal. */
export function writeAutoSync(db: Database, patch: Partial<AutoSyncSettings>) {
  const rows: [string, string][] = [];
  if (patch.enabled !== undefined) rows.push(["auto_sync_enabled", String(patch.enabled)]);
  if (patch.intervalSeconds !== undefined) {
    rows.push(
      ["auto_sync_interval", String(patch.intervalSeconds)],
      ["sync_interval", String(patch.intervalSeconds)],
    );
  }
  return rows.map(([key, value]) =>
    db.execute(sql`insert into config (key, value) values (${key}, ${value})
      on conflict (key) do update set value = excluded.value, "updatedAt" = now()`),
  );
}

export function settingsView(s: AutoSyncSettings) {
  return {
    settings: { auto_sync_enabled: String(s.enabled), sync_interval: s.intervalSeconds },
    data: { autoSyncEnabled: s.enabled, autoSyncInterval: s.intervalSeconds },
  };
}
