// The website's settings object (website-client §5.1) ↔ the declared setting keys: one row per
// field, its JSON type, and which fields are secrets (answered as the mask, never in clear).
import type { DeclaredSettingKey } from "../../services/settings/keys.ts";

export interface FieldDefinition {
  key: DeclaredSettingKey;
  /** Keys that always hold the same value (the interval is stored under both spellings). */
  mirrors?: DeclaredSettingKey[];
  kind: "string" | "secret" | "bool" | "int" | "repos";
}

export const SETTINGS_FIELDS = {
  pterodactylUrl: { key: "pterodactyl_url", kind: "string" },
  pterodactylApiKey: { key: "pterodactyl_api_key", kind: "secret" },
  pterodactylClientApiKey: { key: "pterodactyl_client_api_key", kind: "secret" },
  pterodactylApi: { key: "pterodactyl_api", kind: "string" },
  virtfusionUrl: { key: "virtfusion_url", kind: "string" },
  virtfusionApiKey: { key: "virtfusion_api_key", kind: "secret" },
  virtfusionApi: { key: "virtfusion_api", kind: "string" },
  crowdinProjectId: { key: "crowdin_project_id", kind: "string" },
  crowdinPersonalToken: { key: "crowdin_personal_token", kind: "secret" },
  githubToken: { key: "github_token", kind: "secret" },
  githubRepositories: { key: "github_repositories", kind: "repos" },
  registrationEnabled: { key: "registration_enabled", kind: "bool" },
  maintenanceMode: { key: "maintenance_mode", kind: "bool" },
  autoSyncEnabled: { key: "auto_sync_enabled", kind: "bool" },
  emailNotifications: { key: "email_notifications_enabled", kind: "bool" },
  resendApiKey: { key: "resend_api_key", kind: "secret" },
  discordNotifications: { key: "discord_notifications_enabled", kind: "bool" },
  cacheTimeout: { key: "cache_timeout", kind: "int" },
  syncInterval: { key: "sync_interval", kind: "int", mirrors: ["auto_sync_interval"] },
  adminEmail: { key: "admin_email", kind: "string" },
  siteName: { key: "site_name", kind: "string" },
  siteUrl: { key: "site_url", kind: "string" },
} as const satisfies Record<string, FieldDefinition>;

export type SettingsField = keyof typeof SETTINGS_FIELDS;

export const FIELD_NAMES = Object.keys(SETTINGS_FIELDS) as SettingsField[];

/** The fields answered as the mask when set (the website's `sensitiveFields`). */
export const SENSITIVE_FIELDS = FIELD_NAMES.filter((f) => SETTINGS_FIELDS[f].kind === "secret");

export const SETTING_KEYS: DeclaredSettingKey[] = FIELD_NAMES.flatMap((f) => {
  const d: FieldDefinition = SETTINGS_FIELDS[f];
  return [d.key, ...(d.mirrors ?? [])];
});

const REPO = /^[^\s/]+\/[^\s/]+$/;

export function isRepo(value: string): boolean {
  return REPO.test(value);
}

/** A repository list as the website may send or upstream may have stored it: array, JSON text or lines. */
export function parseRepos(value: unknown): string[] {
  let list: unknown = value;
  if (typeof value === "string") {
    const text = value.trim();
    if (text.startsWith("[")) {
      try {
        list = JSON.parse(text);
      } catch {
        list = text.split(/\r?\n/);
      }
    } else list = text === "" ? [] : text.split(/\r?\n/);
  }
  if (!Array.isArray(list)) return [];
  return [
    ...new Set(
      list
        .filter((r): r is string => typeof r === "string")
        .map((r) => r.trim())
        .filter(Boolean),
    ),
  ];
}
