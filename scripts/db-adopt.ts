// `npm run db:adopt [-- --apply] [--set KEY=VALUE]… [--keep KEY]…`: takes over the database the Go
// backend created (DATABASE_URL; use Neon's direct, non-pooled URL). Without --apply it prints the
// plan and changes nothing. ENCRYPTION_KEY must be upstream's key (secrets are re-encrypted with it,
// bound to their row); see docs/cutover.md.
import { parseArgs } from "node:util";
import pg from "pg";
import { adopt, formatReport } from "./lib/adopt.ts";

const { values } = parseArgs({
  options: {
    apply: { type: "boolean", default: false },
    set: { type: "string", multiple: true, default: [] },
    keep: { type: "string", multiple: true, default: [] },
  },
});
const usage =
  "usage: DATABASE_URL=postgres://… npm run db:adopt -- [--apply] [--set KEY=VALUE]… [--keep KEY]…";
const url = process.env.DATABASE_URL;
if (!url) {
  console.error(usage);
  process.exit(2);
}
const set: Record<string, string> = {};
for (const pair of values.set) {
  const i = pair.indexOf("=");
  if (i <= 0) {
    console.error(`--set needs KEY=VALUE, got "${pair}"`);
    process.exit(2);
  }
  set[pair.slice(0, i)] = pair.slice(i + 1);
}

const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  const report = await adopt(client, {
    apply: values.apply,
    set,
    keep: values.keep,
    encryptionKey: process.env.ENCRYPTION_KEY,
    encryptionKeys: process.env.ENCRYPTION_KEYS,
  });
  console.log(`db:adopt on ${new URL(url).hostname}\n`);
  console.log(formatReport(report, values.apply));
  if (report.blockers.length || (values.apply && !report.applied && report.changes > 0)) process.exitCode = 1;
} finally {
  await client.end();
}
