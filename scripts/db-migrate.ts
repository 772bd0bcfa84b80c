// `npm run db:migrate`: applies migrations/ to DATABASE_URL (use Neon's direct, non-pooled URL),
// or to the embedded dev database when DATABASE_URL is not set.
import { join } from "node:path";
import { dataDir, readDevState } from "./lib/dev-state.ts";
import { applyMigrations } from "./lib/migrate.ts";
import { backendFromEnv, startPostgres } from "./lib/postgres.ts";

const url = process.env.DATABASE_URL;
if (url) {
  await applyMigrations(url);
  console.log(`migrations applied to ${new URL(url).hostname}`);
} else if (readDevState()) {
  console.log(
    "npm run dev is running and migrated its database at start; restart it to apply new migrations.",
  );
} else {
  const kind = backendFromEnv();
  const dir = join(dataDir, kind === "system" ? "system-pg" : "pglite");
  const pg = await startPostgres({ kind, dataDir: dir });
  await applyMigrations(pg.url);
  await pg.stop();
  console.log(`migrations applied to the embedded ${kind} database in ${dir}`);
}
