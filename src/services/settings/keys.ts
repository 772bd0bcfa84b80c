// The declared admin settings: every key the `config` table may hold, its kind and its default.
// Upstream's keys and defaults (reference/upstream-backend.md §8.1) plus ours; `rate_limit.<name>`
// is the one family of dynamic keys (a JSON override per limit, see rate-limit/limits.ts).

export type SettingKind = "string" | "bool" | "int" | "secret" | "json";

export interface SettingDefinition {
  kind: SettingKind;
  default: string | boolean | number | unknown[] | null;
  description: string;
}

const str = (description: string, fallback = "") => ({
  kind: "string" as const,
  default: fallback,
  description,
});
const secret = (description: string) => ({ kind: "secret" as const, default: "", description });
const bool = (description: string, fallback: boolean) => ({
  kind: "bool" as const,
  default: fallback,
  description,
});
const int = (description: string, fallback: number) => ({
  kind: "int" as const,
  default: fallback,
  description,
});

export const SETTINGS = {
  pterodactyl_url: str("Panel URL (overrides PTERODACTYL_URL)"),
  pterodactyl_api_key: secret("Panel application API key (overrides PTERODACTYL_API_KEY)"),
  pterodactyl_client_api_key: secret("Panel client API key (overrides PTERODACTYL_CLIENT_API_KEY)"),
  pterodactyl_api: str("Panel API flavour shown in the admin UI"),
  cf_access_client_id: str("Cloudflare Access client id in front of the panel"),
  cf_access_client_secret: secret("Cloudflare Access client secret in front of the panel"),
  panel_requests_per_minute: int("The panel's per-key request limit (Pterodactyl 240, Pelican 256)", 240),
  panel_client_requests_per_minute: int(
    "The panel's client API limit per user (Pterodactyl's rate_limit.client, 720); what the sync leaves of it serves customers",
    720,
  ),
  virtfusion_url: str("VirtFusion URL"),
  virtfusion_api_key: secret("VirtFusion API key"),
  virtfusion_api: str("VirtFusion API flavour"),
  crowdin_project_id: str("Crowdin project id"),
  crowdin_personal_token: secret("Crowdin personal token"),
  github_token: secret("GitHub token"),
  github_repositories: {
    kind: "json" as const,
    default: [] as unknown[],
    description: "GitHub repositories (owner/repo list)",
  },
  // Upstream stored false by default but never enforced it; absent means open here, as it behaved.
  registration_enabled: bool("Whether /api/v1/auth/register accepts new accounts", true),
  maintenance_mode: bool("Maintenance mode flag shown by the website", false),
  auto_sync_enabled: bool("Whether the */5 cron starts a full sync when the interval has passed", false),
  auto_sync_interval: int("Seconds between automatic full syncs", 3600),
  sync_interval: int("Seconds between automatic full syncs (the settings page's spelling)", 3600),
  email_notifications_enabled: bool("Whether notification e-mails are sent", false),
  discord_notifications_enabled: bool("Whether Discord notifications are sent", false),
  resend_api_key: secret("Resend API key (overrides RESEND_API_KEY)"),
  email_from: str("From address of e-mails (overrides EMAIL_FROM)"),
  cache_timeout: int("Cache timeout in seconds shown by the admin UI", 60),
  admin_email: str("Administrator contact address"),
  site_name: str("Site name", "NodeByte Hosting"),
  site_url: str("Base of the links in e-mails (overrides SITE_URL)"),
  sync_batch_size: int("Panel listing page size (kept for upstream's settings page)", 100),
  scalar_api_key: secret("Scalar API key"),
  hytale_grant_lifetime_days: int(
    "Days a Hytale refresh grant lasts after the device flow (it does not slide)",
    30,
  ),
  hytale_grant_notice_days: int("Days before a Hytale grant ends that the account is told to re-link", 5),
  hytale_session_variable: str(
    "Egg variable the game server reads its session token from (hidden from the customer)",
    "HYTALE_SERVER_SESSION_TOKEN",
  ),
  hytale_identity_variable: str(
    "Egg variable the game server reads its identity token from (hidden from the customer)",
    "HYTALE_SERVER_IDENTITY_TOKEN",
  ),
  hytale_session_refresh_mode: str(
    "Who refreshes game sessions: `server` (the game server itself; the backend tracks expiry and cleans up) or `broker` (the backend refreshes sessions with < 5 min left and re-delivers)",
    "server",
  ),
  hytale_session_cap: int(
    "Live game sessions an account may hold (Hytale's cap without the unlimited entitlement)",
    100,
  ),
  hytale_session_cap_notice_percent: int(
    "Share of the session cap at which the account's near-cap notice goes out",
    90,
  ),
} as const satisfies Record<string, SettingDefinition>;

export type DeclaredSettingKey = keyof typeof SETTINGS;
export const RATE_LIMIT_PREFIX = "rate_limit.";
export type SettingKey = DeclaredSettingKey | `${typeof RATE_LIMIT_PREFIX}${string}`;

/** What a secret reads as in every answer: set or not, never its value (upstream's mask). */
export const SECRET_MASK = "••••••••••••••••••••";

export function definitionOf(key: string): SettingDefinition | undefined {
  if (Object.hasOwn(SETTINGS, key)) return SETTINGS[key as DeclaredSettingKey];
  if (key.startsWith(RATE_LIMIT_PREFIX) && key.length > RATE_LIMIT_PREFIX.length) {
    return { kind: "json", default: null, description: "rate limit override" };
  }
  return undefined;
}

type ValueOfKind<K extends SettingKind> = K extends "bool"
  ? boolean
  : K extends "int"
    ? number
    : K extends "json"
      ? unknown
      : string;
export type SettingValue<K extends SettingKey> = K extends DeclaredSettingKey
  ? ValueOfKind<(typeof SETTINGS)[K]["kind"]>
  : unknown;

/** Parses a stored text by kind; absent, empty or unparseable values read as the default. */
export function parseSetting(def: SettingDefinition, raw: string | undefined): unknown {
  if (raw === undefined || raw === "") return def.default;
  switch (def.kind) {
    case "bool":
      if (["true", "1", "yes"].includes(raw.trim().toLowerCase())) return true;
      if (["false", "0", "no"].includes(raw.trim().toLowerCase())) return false;
      return def.default;
    case "int": {
      const n = Number(raw);
      return Number.isFinite(n) ? Math.trunc(n) : def.default;
    }
    case "json":
      try {
        return JSON.parse(raw);
      } catch {
        return def.default;
      }
    default:
      return raw;
  }
}

/** The stored text for a value being written, or undefined when this write must leave the key alone. */
export function serializeSetting(def: SettingDefinition, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  switch (def.kind) {
    case "secret":
      // The mask (echoed back by a form) or an empty value keeps the stored secret.
      if (typeof value !== "string" || value === "" || value === SECRET_MASK) return undefined;
      return value;
    case "bool":
      if (typeof value === "boolean") return String(value);
      if (value === "true" || value === "false") return value;
      throw new TypeError("expected a boolean");
    case "int": {
      const n = typeof value === "string" && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n)) throw new TypeError("expected an integer");
      return String(n);
    }
    case "json":
      return JSON.stringify(value);
    default:
      if (typeof value !== "string") throw new TypeError("expected a string");
      return value;
  }
}
