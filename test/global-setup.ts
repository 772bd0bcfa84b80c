// Runs once per test run, in Node: starts Postgres (PGlite, or PG_BACKEND=system), applies the
// migrations, starts the Neon-protocol shim, and hands their addresses to the workers via provide().
import type { TestProject } from "vitest/node";
import { applyMigrations } from "../scripts/lib/migrate.ts";
import { startNeonShim } from "../scripts/lib/neon-shim.ts";
import { startPostgres } from "../scripts/lib/postgres.ts";

declare module "vitest" {
  interface ProvidedContext {
    databaseUrl: string;
    neonFetchEndpoint: string;
    pgBackend: string;
  }
}

export default async function setup(project: TestProject) {
  const pg = await startPostgres();
  await applyMigrations(pg.url);
  const shim = await startNeonShim({ backendUrl: pg.url, poolMax: pg.poolMax });
  project.provide("databaseUrl", pg.url);
  project.provide("neonFetchEndpoint", shim.endpoint);
  project.provide("pgBackend", pg.kind);
  console.log(`[global-setup] ${pg.kind} postgres at ${pg.url}, neon shim at ${shim.endpoint}`);
  return async () => {
    await shim.close();
    await pg.stop();
  };
}
