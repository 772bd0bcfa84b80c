// The one reader and the one writer of admin settings (the `config` key/value table), read at
// run time so a change applies without a restart. Secrets are encrypted on write, decrypted on
// read and masked in every view; a write ignores the mask or an empty secret, never touches a key
// it was not sent (so an omitted boolean is never reset), and audits key names only.

import { inArray, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { config as configTable } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { log } from "../../platform/log.ts";
import { decryptSecret, encryptSecret, keyRing } from "../../platform/secrets.ts";
import { auditInsert } from "../audit/audit.ts";
import {
  definitionOf,
  parseSetting,
  SECRET_MASK,
  type SettingDefinition,
  type SettingKey,
  type SettingValue,
  serializeSetting,
} from "./keys.ts";

export interface Settings {
  /** The parsed value, or the key's default when absent, empty or unparseable. */
  get<K extends SettingKey>(key: K): SettingValue<K>;
  /** The stored text (secrets decrypted), or undefined when absent or empty. */
  text(key: SettingKey): string | undefined;
}

/** Where a setting's secret lives: its ciphertext decrypts only under this name. */
const boundTo = (key: string) => `config.value:${key}`;

function known(key: string): SettingDefinition {
  const def = definitionOf(key);
  if (!def) throw new AppError("INVALID_REQUEST", `Unknown setting "${key}"`);
  return def;
}

/** The query readSettings runs, for a caller that batches it with its own (one round trip). */
export function settingsQuery(db: Deps["db"], keys: readonly SettingKey[]) {
  return db
    .select({ key: configTable.key, value: configTable.value })
    .from(configTable)
    .where(inArray(configTable.key, [...keys]));
}

/** Reads `keys` in one query; secrets among them are decrypted. */
export async function readSettings(
  deps: Pick<Deps, "db" | "config">,
  keys: readonly SettingKey[],
): Promise<Settings> {
  return settingsFromRows(deps, keys.length ? await settingsQuery(deps.db, keys) : []);
}

/** The settings of rows read by settingsQuery (secrets decrypted). */
export async function settingsFromRows(
  deps: Pick<Deps, "config">,
  rows: readonly { key: string; value: string }[],
): Promise<Settings> {
  const texts = new Map<string, string>();
  const secrets = rows.filter((r) => definitionOf(r.key)?.kind === "secret" && r.value !== "");
  const ring = secrets.length ? await keyRing(deps.config) : undefined;
  for (const r of rows) {
    if (!ring || !secrets.includes(r)) {
      texts.set(r.key, r.value);
      continue;
    }
    try {
      texts.set(r.key, await decryptSecret(ring, r.value, boundTo(r.key)));
    } catch (err) {
      // A value that does not authenticate here (tampered, or pasted from another row) reads as
      // unset: never as its ciphertext, never as someone else's secret.
      log("error", "setting secret does not decrypt; treated as unset", { key: r.key, error: err });
    }
  }
  return {
    get: <K extends SettingKey>(key: K) => parseSetting(known(key), texts.get(key)) as SettingValue<K>,
    text: (key) => {
      const v = texts.get(key);
      return v === undefined || v === "" ? undefined : v;
    },
  };
}

/** Values as an admin may see them: secrets as the mask when set, "" when not. */
export function maskedView(settings: Settings, keys: readonly SettingKey[]): Record<string, unknown> {
  return Object.fromEntries(
    keys.map((k) => [
      k,
      known(k).kind === "secret" ? (settings.text(k) ? SECRET_MASK : "") : settings.get(k),
    ]),
  );
}

type Statement = BatchItem<"pg">;

/** The upserts for a patch (for a caller's batch) and the keys they write. */
export async function settingWrites(
  deps: Pick<Deps, "db" | "config">,
  patch: Partial<Record<SettingKey, unknown>>,
): Promise<{ statements: Statement[]; keys: SettingKey[] }> {
  const statements: Statement[] = [];
  const keys: SettingKey[] = [];
  for (const [key, value] of Object.entries(patch) as [SettingKey, unknown][]) {
    const def = known(key);
    let text: string | undefined;
    try {
      text = serializeSetting(def, value);
    } catch (err) {
      throw new AppError("INVALID_REQUEST", `Invalid value for setting "${key}": ${(err as Error).message}`);
    }
    if (text === undefined) continue;
    const stored =
      def.kind === "secret" ? await encryptSecret(await keyRing(deps.config), text, boundTo(key)) : text;
    statements.push(
      deps.db.execute(sql`insert into config (key, value, description) values (${key}, ${stored}, ${def.description})
        on conflict (key) do update set value = excluded.value, "updatedAt" = now()`),
    );
    keys.push(key);
  }
  return { statements, keys };
}

export interface SettingsAudit {
  action: string;
  /** Default "settings". */
  targetType?: string;
  targetId: string;
  details?: Record<string, unknown>;
}

/** Writes a patch and its audit row in one batch; returns the keys written (none: nothing happens). */
export async function writeSettings(
  deps: Pick<Deps, "db" | "config" | "actor">,
  patch: Partial<Record<SettingKey, unknown>>,
  audit: SettingsAudit,
): Promise<SettingKey[]> {
  const { statements, keys } = await settingWrites(deps, patch);
  if (keys.length === 0) return keys;
  await deps.db.batch([
    auditInsert(deps.db, {
      action: audit.action,
      actor: deps.actor,
      targetType: audit.targetType ?? "settings",
      targetId: audit.targetId,
      details: { keys, ...audit.details },
    }),
    ...statements,
  ]);
  return keys;
}

/** Removes keys (back to their defaults) and audits it, in one batch. */
export async function removeSettings(
  deps: Pick<Deps, "db" | "actor">,
  keys: readonly SettingKey[],
  audit: SettingsAudit,
): Promise<void> {
  for (const k of keys) known(k);
  await deps.db.batch([
    deps.db.delete(configTable).where(inArray(configTable.key, [...keys])),
    auditInsert(deps.db, {
      action: audit.action,
      actor: deps.actor,
      targetType: audit.targetType ?? "settings",
      targetId: audit.targetId,
      details: { keys, ...audit.details },
    }),
  ]);
}
