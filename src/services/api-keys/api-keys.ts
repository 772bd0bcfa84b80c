// Managed service keys: `nb_<8-char prefix>_<secret>`, stored as prefix + SHA-256, found by
// prefix, compared in constant time; plus the root BACKEND_API_KEY.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { constantTimeEqual, randomAlphanumeric, sha256Hex } from "../../platform/crypto.ts";
import type { Database } from "../../platform/db/client.ts";
import { type ApiKey, apiKeys } from "../../platform/db/schema/index.ts";

export const API_KEY_SCOPES = [
  "sync",
  "stats",
  "email",
  "webhook",
  "hytale",
  "server-logs",
  "realtime",
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const KEY_FORMAT = /^nb_([a-z0-9]{8})_([a-z0-9]{40})$/;

export interface ServiceIdentity {
  keyId: string;
  name: string;
  scopes: readonly string[];
}

/**
 * Creates a key. `alsoDo` adds statements (the audit row) to the same batch, so the key and its
 * record commit together.
 */
export async function createApiKey(
  db: Database,
  input: { name: string; scopes: ApiKeyScope[]; createdBy: string | null; expiresAt: Date | null },
  alsoDo: (key: {
    id: string;
    name: string;
    prefix: string;
    scopes: string[];
  }) => BatchItem<"pg">[] = () => [],
): Promise<{ key: string; row: ApiKey }> {
  const prefix = randomAlphanumeric(8);
  const key = `nb_${prefix}_${randomAlphanumeric(40)}`;
  const values = {
    id: crypto.randomUUID(),
    name: input.name,
    prefix,
    keyHash: await sha256Hex(key),
    scopes: [...new Set(input.scopes)],
    createdBy: input.createdBy,
    expiresAt: input.expiresAt,
  };
  const [inserted] = await db.batch([db.insert(apiKeys).values(values).returning(), ...alsoDo(values)]);
  const row = inserted[0];
  if (!row) throw new Error("api key insert returned nothing");
  return { key, row };
}

export function listApiKeys(db: Database): Promise<ApiKey[]> {
  return db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt));
}

/**
 * Revokes a key (with `alsoDo`'s statements in the same batch); returns it, or undefined when no
 * such key exists. Revoking twice is harmless.
 */
export async function revokeApiKey(
  db: Database,
  id: string,
  alsoDo: BatchItem<"pg">[] = [],
): Promise<ApiKey | undefined> {
  const [existing] = await db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.id, id));
  if (!existing) return undefined;
  const [updated] = await db.batch([
    db
      .update(apiKeys)
      .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
      .where(eq(apiKeys.id, id))
      .returning(),
    ...alsoDo,
  ]);
  return updated[0];
}

/**
 * Resolves a presented key to a service identity, or undefined. Order: the root key (constant
 * time), then a managed key by prefix (hash compared in constant time, not revoked or expired).
 */
export async function resolveServiceKey(
  db: Database,
  presented: string,
  rootKey: string | undefined,
  now = new Date(),
): Promise<(ServiceIdentity & { touch?: () => Promise<unknown> }) | undefined> {
  if (rootKey && (await constantTimeEqual(presented, rootKey))) {
    return { keyId: "root", name: "BACKEND_API_KEY", scopes: API_KEY_SCOPES };
  }
  const match = KEY_FORMAT.exec(presented);
  if (!match) return undefined;
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.prefix, match[1] as string), isNull(apiKeys.revokedAt)));
  if (!row) return undefined;
  if (!(await constantTimeEqual(await sha256Hex(presented), row.keyHash))) return undefined;
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return undefined;
  return {
    keyId: row.id,
    name: row.name,
    scopes: row.scopes,
    // lastUsedAt is written at most once a minute per key, off the request's critical path.
    touch: () =>
      db.execute(sql`update api_keys set "lastUsedAt" = now()
        where id = ${row.id} and ("lastUsedAt" is null or "lastUsedAt" < now() - interval '1 minute')`),
  };
}

/** A key as listed to admins: never the hash. */
export function publicApiKey(row: ApiKey) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
