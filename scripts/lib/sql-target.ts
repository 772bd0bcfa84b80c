// Runs SQL for operator commands against the right database: DATABASE_URL when given (Neon over
// HTTP for *.neon.tech, plain Postgres otherwise), else the running `npm run dev` (through its
// Neon shim, the worker's own path), else the persisted embedded database started just for this.
import { join } from "node:path";
import { neon, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import { dataDir, readDevState } from "./dev-state.ts";
import { applyMigrations } from "./migrate.ts";
import { backendFromEnv, startPostgres } from "./postgres.ts";

export type Query = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

export interface SqlTarget {
  describe: string;
  query: Query;
  close(): Promise<void>;
}

function viaNeon(url: string, describe: string, endpoint?: string): SqlTarget {
  if (endpoint) neonConfig.fetchEndpoint = endpoint;
  const sql = neon(url);
  return {
    describe,
    query: async (text, params) => (await sql.query(text, params)) as Record<string, unknown>[],
    close: async () => {},
  };
}

async function viaPg(url: string, describe: string, onClose?: () => Promise<void>): Promise<SqlTarget> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    describe,
    query: async (text, params) => (await client.query(text, params)).rows,
    close: async () => {
      await client.end();
      await onClose?.();
    },
  };
}

export async function openSqlTarget(): Promise<SqlTarget> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const host = new URL(url).hostname;
    return host.endsWith(".neon.tech") ? viaNeon(url, `Neon (${host})`) : viaPg(url, `Postgres (${host})`);
  }
  const dev = readDevState();
  if (dev) return viaNeon(dev.databaseUrl, `running dev database (${dev.pgBackend})`, dev.shimEndpoint);
  const kind = backendFromEnv();
  const dir = join(dataDir, kind === "system" ? "system-pg" : "pglite");
  const local = await startPostgres({ kind, dataDir: dir });
  await applyMigrations(local.url);
  return viaPg(local.url, `embedded ${kind} database in ${dir}`, () => local.stop());
}
