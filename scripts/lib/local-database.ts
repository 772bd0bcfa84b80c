// The local database stack shared by dev, tests and benches: Postgres (PGlite or system),
// migrations applied, and the Neon-protocol shim in front of it.
import { applyMigrations } from "./migrate.ts";
import { type NeonShim, startNeonShim } from "./neon-shim.ts";
import { type PgBackend, type StartOptions, startPostgres } from "./postgres.ts";

export interface LocalDatabase {
  pg: PgBackend;
  shim: NeonShim;
  /** What the Worker needs to reach it: DATABASE_URL and NEON_FETCH_ENDPOINT. */
  workerVars: { DATABASE_URL: string; NEON_FETCH_ENDPOINT: string };
  stop(): Promise<void>;
}

export interface LocalDatabaseOptions extends StartOptions {
  /** Brings the empty database to our schema; default: the migrations (tests may adopt an upstream one). */
  prepare?: (url: string) => Promise<void>;
}

export async function startLocalDatabase(opts: LocalDatabaseOptions = {}): Promise<LocalDatabase> {
  const pg = await startPostgres(opts);
  try {
    await (opts.prepare ?? applyMigrations)(pg.url);
  } catch (err) {
    await pg.stop();
    throw err;
  }
  const shim = await startNeonShim({ backendUrl: pg.url, poolMax: pg.poolMax });
  return {
    pg,
    shim,
    workerVars: { DATABASE_URL: pg.url, NEON_FETCH_ENDPOINT: shim.endpoint },
    async stop() {
      await shim.close();
      await pg.stop();
    },
  };
}

/** Vars of a benchmark worker under `wrangler dev`. */
export function benchVars(db: LocalDatabase): Record<string, string> {
  return {
    ...db.workerVars,
    ENVIRONMENT: "development",
    JWT_SECRET: "bench-only-jwt-secret-0123456789abcdef",
  };
}
