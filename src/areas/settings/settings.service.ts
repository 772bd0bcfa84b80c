// The admin settings page behind /api/admin/settings: the website's settings object read from
// and written through the settings store (secrets masked, the mask never written, only changed
// keys saved, one batch with the audit row), the secret reset, and real connection tests.
import { eq, sql } from "drizzle-orm";
import { discordWebhooks } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { errorText } from "../../platform/log.ts";
import { webhookView } from "../../services/notifications/discord.ts";
import { notify } from "../../services/notifications/notify.ts";
import { panelConnection } from "../../services/panel/connection.ts";
import { panelDeps, panelRequest } from "../../services/panel/panel-client.ts";
import { type DeclaredSettingKey, SECRET_MASK } from "../../services/settings/keys.ts";
import {
  readSettings,
  removeSettings,
  type Settings,
  writeSettings,
} from "../../services/settings/settings.ts";
import {
  FIELD_NAMES,
  type FieldDefinition,
  isRepo,
  parseRepos,
  SENSITIVE_FIELDS,
  SETTING_KEYS,
  SETTINGS_FIELDS,
  type SettingsField,
} from "./settings-fields.ts";

type SettingsDeps = Pick<Deps, "db" | "config" | "actor" | "enqueue" | "fetch" | "stubs" | "now">;

const def = (f: SettingsField): FieldDefinition => SETTINGS_FIELDS[f];

/** The website's settings object: every field at its JSON type, secrets as the mask when set. */
function fieldsOf(s: Settings): Record<SettingsField, unknown> {
  const out = {} as Record<SettingsField, unknown>;
  for (const f of FIELD_NAMES) {
    const d = def(f);
    if (d.kind === "secret") out[f] = s.text(d.key) ? SECRET_MASK : "";
    else if (d.kind === "repos") out[f] = parseRepos(s.text(d.key) ?? "");
    else out[f] = s.get(d.key);
  }
  return out;
}

async function adminWebhooks(deps: Pick<Deps, "db">) {
  const rows = await deps.db.select().from(discordWebhooks).where(eq(discordWebhooks.scope, "ADMIN"));
  return rows.map(webhookView);
}

export async function settingsView(deps: Pick<Deps, "db" | "config">) {
  const [s, webhooks] = await Promise.all([readSettings(deps, SETTING_KEYS), adminWebhooks(deps)]);
  return { ...fieldsOf(s), discordWebhooks: webhooks };
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Saves what changed in a (possibly partial) settings object. Secrets: the mask or "" keep the
 * stored value. Repositories: merged into the stored list with `githubRepositoriesMerge`,
 * replaced otherwise, untouched when the list is empty. Returns the field names that changed.
 */
export async function saveSettings(
  deps: SettingsDeps,
  body: Partial<Record<SettingsField, unknown>> & { githubRepositoriesMerge?: boolean },
): Promise<string[]> {
  const current = await readSettings(deps, SETTING_KEYS);
  const now = fieldsOf(current);
  const patch: Partial<Record<DeclaredSettingKey, unknown>> = {};
  const changed: string[] = [];
  for (const f of FIELD_NAMES) {
    const value = body[f];
    if (value === undefined) continue;
    const d = def(f);
    let next: unknown = value;
    if (d.kind === "secret") {
      if (typeof value !== "string") throw new AppError("INVALID_REQUEST", `${f} must be a string`);
      if (value === "" || value === SECRET_MASK || value === current.text(d.key)) continue;
    } else if (d.kind === "repos") {
      const sent = parseRepos(value);
      const bad = sent.find((r) => !isRepo(r));
      if (bad !== undefined)
        throw new AppError("INVALID_REQUEST", `Invalid repository "${bad}". Use owner/repo.`);
      if (sent.length === 0) continue;
      next = body.githubRepositoriesMerge ? [...new Set([...(now[f] as string[]), ...sent])] : sent;
      if (sameValue(next, now[f])) continue;
    } else if (sameValue(value, now[f])) continue;
    for (const key of [d.key, ...(d.mirrors ?? [])]) patch[key] = next;
    changed.push(f);
  }
  if (changed.length === 0) return changed;
  await writeSettings(deps, patch, {
    action: "settings.updated",
    targetId: "settings",
    details: { fields: changed },
  });
  await notify(deps, {
    type: "settings-updated",
    fields: changed,
    by: deps.actor.id,
    at: deps.now().toISOString(),
  });
  return changed;
}

/** Clears the named secret fields (unknown names ignored); returns the fields cleared. */
export async function resetSecrets(deps: SettingsDeps, names: readonly string[]): Promise<string[]> {
  const fields = SENSITIVE_FIELDS.filter((f) => names.includes(f));
  if (fields.length === 0) return [];
  await removeSettings(
    deps,
    fields.map((f) => def(f).key),
    { action: "settings.secrets_reset", targetId: "settings", details: { fields } },
  );
  return fields;
}

export interface ConnectionStatus {
  connected: boolean;
  latency?: number;
  version?: string;
  error?: string;
}

const elapsed = (deps: Pick<Deps, "now">, started: number) => deps.now().getTime() - started;

async function testDatabase(deps: Pick<Deps, "db" | "now">): Promise<ConnectionStatus> {
  const started = deps.now().getTime();
  try {
    const res = await deps.db.execute<{ v: string }>(sql`select split_part(version(), ' ', 2) as v`);
    return {
      connected: true,
      latency: elapsed(deps, started),
      version: `PostgreSQL ${res.rows[0]?.v ?? ""}`.trim(),
    };
  } catch (err) {
    return { connected: false, error: `database unreachable (${errorText(err).slice(0, 80)})` };
  }
}

/** The panel's application API with the given URL and key (a mask or "" means the stored one). */
async function testPanel(
  deps: SettingsDeps,
  given: { url?: string; apiKey?: string },
): Promise<ConnectionStatus> {
  const stored = await panelConnection(deps);
  const url = (given.url?.trim() || stored?.url || "").replace(/\/+$/, "");
  const apiKey = given.apiKey && given.apiKey !== SECRET_MASK ? given.apiKey : stored?.apiKey;
  if (!url || !apiKey)
    return { connected: false, error: "Pterodactyl is not configured (URL and application key)" };
  if (!/^https?:\/\//.test(url))
    return { connected: false, error: "The panel URL must start with http:// or https://" };
  const conn = { ...(stored ?? { requestsPerMinute: 240 }), url, apiKey };
  const started = deps.now().getTime();
  try {
    const { body } = await panelRequest<{ meta?: { pagination?: { total?: number } } }>(
      { ...panelDeps(deps, conn), sleep: async () => {} },
      "application",
      "/nodes",
      { query: { per_page: 1 } },
    );
    const nodes = body?.meta?.pagination?.total;
    return {
      connected: true,
      latency: elapsed(deps, started),
      version: `Pterodactyl application API${nodes === undefined ? "" : ` (${nodes} nodes)`}`,
    };
  } catch (err) {
    return { connected: false, latency: elapsed(deps, started), error: (err as Error).message };
  }
}

async function testVirtfusion(
  deps: SettingsDeps,
  given: { url?: string; apiKey?: string },
): Promise<ConnectionStatus> {
  const s = await readSettings(deps, ["virtfusion_url", "virtfusion_api_key"]);
  const url = (given.url?.trim() || s.text("virtfusion_url") || "").replace(/\/+$/, "");
  const apiKey = given.apiKey && given.apiKey !== SECRET_MASK ? given.apiKey : s.text("virtfusion_api_key");
  if (!url || !apiKey) return { connected: false, error: "Virtfusion is not configured (URL and API key)" };
  if (!/^https?:\/\//.test(url))
    return { connected: false, error: "The Virtfusion URL must start with http:// or https://" };
  const started = deps.now().getTime();
  try {
    const res = await deps.fetch(`${url}/api/v1/connect`, {
      headers: { accept: "application/json", authorization: `Bearer ${apiKey}` },
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel();
    if (!res.ok)
      return {
        connected: false,
        latency: elapsed(deps, started),
        error: `Virtfusion answered ${res.status}`,
      };
    return { connected: true, latency: elapsed(deps, started), version: "Virtfusion API" };
  } catch (err) {
    return {
      connected: false,
      latency: elapsed(deps, started),
      error: `Virtfusion unreachable (${(err as Error).name})`,
    };
  }
}

export const CONNECTION_TYPES = ["pterodactyl", "virtfusion", "database"] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

export function testConnection(
  deps: SettingsDeps,
  type: ConnectionType,
  given: { url?: string; apiKey?: string } = {},
): Promise<ConnectionStatus> {
  if (type === "database") return testDatabase(deps);
  if (type === "pterodactyl") return testPanel(deps, given);
  return testVirtfusion(deps, given);
}

/** The three status objects the settings page shows, from the stored settings. */
export async function connectionStatuses(deps: SettingsDeps) {
  const [pterodactylStatus, virtfusionStatus, databaseStatus] = await Promise.all([
    testConnection(deps, "pterodactyl"),
    testConnection(deps, "virtfusion"),
    testConnection(deps, "database"),
  ]);
  return { pterodactylStatus, virtfusionStatus, databaseStatus };
}
