// The database of the adopted test run (vitest.adopted.config.ts): upstream's schema and rows,
// `db:adopt --apply` with the operator's decisions, then `db:adopt` again, which must change
// nothing; then a raw refresh token the Go backend writes after the adoption (before the switch).
import pg from "pg";
import { adopt, formatReport } from "../../scripts/lib/adopt.ts";
import { TEST_SECRETS } from "../test-secrets.ts";
import { UPSTREAM } from "./fixture.ts";
import { createUpstreamDatabase } from "./upstream-db.ts";

export async function adoptUpstreamDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await createUpstreamDatabase(client, TEST_SECRETS.ENCRYPTION_KEY);
    const opts = {
      encryptionKey: TEST_SECRETS.ENCRYPTION_KEY,
      set: { registration_enabled: "true" },
      keep: ["discord_notifications_enabled", "sync_interval"],
    };
    const first = await adopt(client, { ...opts, apply: true });
    if (!first.applied) throw new Error(`db:adopt did not apply:\n${formatReport(first, true)}`);
    const second = await adopt(client, { ...opts, set: {}, apply: true });
    if (second.changes !== 0)
      throw new Error(`db:adopt changed more on a second run:\n${formatReport(second, true)}`);
    console.log(
      `[global-setup] adopted an upstream-shaped database: ${first.changes} changes, then ${second.changes} on a second run`,
    );
    await client.query(
      `insert into sessions (id, "sessionToken", "userId", expires) values ('up-sess-late', $1, $2, now() + interval '80 days')`,
      [UPSTREAM.lateSessionToken, UPSTREAM.admin.id],
    );
  } finally {
    await client.end();
  }
}
