// Reading admin settings from the `config` key/value table at run time (no restart needed).
import { inArray } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { config as configTable } from "../db/schema/index.ts";

export async function readSettings(db: Database, keys: readonly string[]): Promise<Map<string, string>> {
  const rows = await db
    .select({ key: configTable.key, value: configTable.value })
    .from(configTable)
    .where(inArray(configTable.key, [...keys]));
  return new Map(rows.map((r) => [r.key, r.value]));
}

export function settingFlag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  return value === "true" || value === "1" || value === "yes";
}
