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
export function benchVars(db: Pick<LocalDatabase, "workerVars">): Record<string, string> {
  return {
    ...db.workerVars,
    ENVIRONMENT: "development",
    JWT_SECRET: "bench-only-jwt-secret-0123456789abcdef",
  };
}

/** The database stack of startLocalDatabase, run in a child process (see startDatabaseProcess). */
export interface DatabaseProcess {
  pg: { kind: PgBackend["kind"]; url: string };
  workerVars: LocalDatabase["workerVars"];
  stop(): Promise<void>;
}

/**
 * startLocalDatabase in its own Node process, for benches that time requests from this one: the
 * Neon shim and PGlite (WebAssembly Postgres) do their work on the event loop of the process they
 * live in, so in-process they would delay the measuring client's own reads whenever the Worker
 * writes after its answer — a cost no real client pays, whose database is another machine.
 */
export async function startDatabaseProcess(): Promise<DatabaseProcess> {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [new URL("./database-process.ts", import.meta.url).pathname], {
    stdio: ["pipe", "pipe", "inherit"],
    env: process.env,
  });
  const ready = await new Promise<{
    kind: PgBackend["kind"];
    url: string;
    workerVars: LocalDatabase["workerVars"];
  }>((resolve, reject) => {
    let buffered = "";
    child.once("exit", (code) => reject(new Error(`database process exited with ${code}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split("\n")[0];
      if (buffered.includes("\n") && line) resolve(JSON.parse(line));
    });
  });
  return {
    pg: { kind: ready.kind, url: ready.url },
    workerVars: ready.workerVars,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin.end();
      await exited;
    },
  };
}
