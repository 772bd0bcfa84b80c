// The child side of startDatabaseProcess (local-database.ts): starts the local database stack,
// prints one JSON line (backend kind, postgres URL, the Worker's vars) and stops it when its
// standard input closes (the parent ended or asked it to).
import { startLocalDatabase } from "./local-database.ts";

const db = await startLocalDatabase();
process.stdout.write(`${JSON.stringify({ kind: db.pg.kind, url: db.pg.url, workerVars: db.workerVars })}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void db.stop().then(() => process.exit(0));
});
