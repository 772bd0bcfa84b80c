// Auto-sync settings: one stored pair (`auto_sync_enabled`, `auto_sync_interval` in seconds)
// behind both spellings the clients use (website-client §6.2). `sync_interval` is the same value.
// Read and written through the settings store.
import type { Deps } from "../../platform/deps.ts";
import { readSettings, writeSettings } from "../../services/settings/settings.ts";

export const DEFAULT_INTERVAL_SECONDS = 3600;
export const MIN_INTERVAL_SECONDS = 300;
export const MAX_INTERVAL_SECONDS = 30 * 86_400;

export interface AutoSyncSettings {
  enabled: boolean;
  intervalSeconds: number;
}

export async function readAutoSync(deps: Pick<Deps, "db" | "config">): Promise<AutoSyncSettings> {
  const s = await readSettings(deps, ["auto_sync_enabled", "auto_sync_interval", "sync_interval"]);
  const raw = Number(s.text("auto_sync_interval") ?? s.text("sync_interval") ?? DEFAULT_INTERVAL_SECONDS);
  return {
    enabled: s.get("auto_sync_enabled"),
    intervalSeconds:
      Number.isFinite(raw) && raw > 0
        ? Math.min(MAX_INTERVAL_SECONDS, Math.max(MIN_INTERVAL_SECONDS, Math.floor(raw)))
        : DEFAULT_INTERVAL_SECONDS,
  };
}

/** Writes only what was sent (an omitted flag is not reset); both interval keys stay equal. */
export async function writeAutoSync(
  deps: Pick<Deps, "db" | "config" | "actor">,
  patch: Partial<AutoSyncSettings>,
): Promise<void> {
  await writeSettings(
    deps,
    {
      auto_sync_enabled: patch.enabled,
      auto_sync_interval: patch.intervalSeconds,
      sync_interval: patch.intervalSeconds,
    },
    { action: "settings.changed", targetId: "auto_sync" },
  );
}

export function settingsView(s: AutoSyncSettings) {
  return {
    settings: { auto_sync_enabled: String(s.enabled), sync_interval: s.intervalSeconds },
    data: { autoSyncEnabled: s.enabled, autoSyncInterval: s.intervalSeconds },
  };
}
