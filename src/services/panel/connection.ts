// The panel connection: URL, keys and request limit, from the settings store (read at run time,
// so an admin's change applies at once) over the environment.
import type { Deps } from "../../platform/deps.ts";
import type { SettingKey } from "../settings/keys.ts";
import { SETTINGS } from "../settings/keys.ts";
import { readSettings, type Settings } from "../settings/settings.ts";

export interface PanelConnection {
  url: string;
  apiKey: string;
  clientApiKey?: string;
  cfAccessClientId?: string;
  cfAccessClientSecret?: string;
  /** The panel's per-key request limit (Pterodactyl 240/min, Pelican 256/min); setting `panel_requests_per_minute`. */
  requestsPerMinute: number;
  /** The client API's limit per user (Pterodactyl 720/min); setting `panel_client_requests_per_minute`. */
  clientRequestsPerMinute?: number;
}

export const DEFAULT_REQUESTS_PER_MINUTE = SETTINGS.panel_requests_per_minute.default;

/** The settings a connection is made of (for a caller batching their read with its own query). */
export const PANEL_SETTING_KEYS = [
  "pterodactyl_url",
  "pterodactyl_api_key",
  "pterodactyl_client_api_key",
  "cf_access_client_id",
  "cf_access_client_secret",
  "panel_requests_per_minute",
  "panel_client_requests_per_minute",
] as const satisfies readonly SettingKey[];

/** Settings in `config` override the env; undefined when no panel is configured. */
export async function panelConnection(
  deps: Pick<Deps, "db" | "config">,
): Promise<PanelConnection | undefined> {
  return connectionFrom(deps, await readSettings(deps, PANEL_SETTING_KEYS));
}

/** The connection from settings already read (PANEL_SETTING_KEYS) over the env. */
export function connectionFrom(deps: Pick<Deps, "config">, s: Settings): PanelConnection | undefined {
  const env = deps.config.panel;
  const url = (s.text("pterodactyl_url") ?? env.url ?? "").replace(/\/+$/, "");
  const apiKey = s.text("pterodactyl_api_key") ?? env.apiKey;
  if (!url || !apiKey) return undefined;
  return {
    url,
    apiKey,
    clientApiKey: s.text("pterodactyl_client_api_key") ?? env.clientApiKey,
    cfAccessClientId: s.text("cf_access_client_id") ?? env.cfAccessClientId,
    cfAccessClientSecret: s.text("cf_access_client_secret") ?? env.cfAccessClientSecret,
    requestsPerMinute: Math.max(1, s.get("panel_requests_per_minute") || DEFAULT_REQUESTS_PER_MINUTE),
    clientRequestsPerMinute: s.get("panel_client_requests_per_minute") || undefined,
  };
}
