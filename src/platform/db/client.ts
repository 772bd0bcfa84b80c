// The one way the Worker reaches Postgres: @neondatabase/serverless over HTTP + drizzle neon-http,
// in production and (through the local /sql shim) in dev and tests alike.
import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import * as schema from "./schema/index.ts";

export type Database = ReturnType<typeof build>;

function build(url: string) {
  return drizzle({ client: neon(url), schema });
}

const instances = new Map<string, Database>();

export interface DbOptions {
  databaseUrl: string;
  /** Dev/test only (refused in production by config parsing): the local Neon-protocol endpoint. */
  neonFetchEndpoint?: string;
}

/** Returns the isolate's drizzle instance for this URL (one per isolate, created lazily). */
export function getDb(opts: DbOptions): Database {
  if (opts.neonFetchEndpoint) neonConfig.fetchEndpoint = opts.neonFetchEndpoint;
  let db = instances.get(opts.databaseUrl);
  if (!db) {
    db = build(opts.databaseUrl);
    instances.set(opts.databaseUrl, db);
  }
  return db;
}
