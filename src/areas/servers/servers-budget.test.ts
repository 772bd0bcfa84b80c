// Budget sharing with a running sync (issue 17 §3): a full sync and customers' power buttons on
// the same panel at once. The sync spends its own budget (`panel_requests_per_minute`) and the
// customers the interactive share (`panel_client_requests_per_minute` minus it): a sync does not
// starve a power button, customers hammering power do not starve the sync, and what reaches the
// panel per minute stays within both. Runs a sync against the shared demo panel: serial
// (package.json `test:serial`).
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { busiestMinute, callJson, testDb, testEnv } from "../../../test/helpers.ts";
import { finished, fullSync, syncSuiteHooks, trigger } from "../../../test/sync-helpers.ts";
import { bearer } from "../../../test/users.ts";
import { users } from "../../platform/db/schema/index.ts";
import { signAccessToken } from "../../services/accounts/jwt.ts";

syncSuiteHooks();

/** What the interactive share is above the sync's budget in this test (720 − 240 scaled down). */
const SHARE = 40;
const CUSTOMERS = 4;
/** Power presses per customer in the hammering phase: below the per-user limit (20), above the share together. */
const PRESSES = 15;

interface Logged {
  method: string;
  path: string;
  query: string;
  at: number;
}
const panel = (path: string, init?: RequestInit) => fetch(`${inject("panelUrl")}${path}`, init);
const panelLog = async () => (await (await panel("/__requests")).json()) as Logged[];

let saved: { key: string; value: string }[] = [];
const setConfig = (key: string, value: string) =>
  testDb().execute(sql`insert into config (key, value) values (${key}, ${value})
    on conflict (key) do update set value = excluded.value`);

beforeAll(async () => {
  saved = (
    await testDb().execute<{ key: string; value: string }>(
      sql`select key, value from config where key in ('panel_requests_per_minute', 'panel_client_requests_per_minute')`,
    )
  ).rows;
});
afterAll(async () => {
  await testDb().execute(
    sql`delete from config where key in ('panel_requests_per_minute', 'panel_client_requests_per_minute')`,
  );
  for (const r of saved) await setConfig(r.key, r.value);
});

describe("budget sharing with a running sync", () => {
  it("a full sync does not starve power buttons, and hammering power does not starve the sync", async () => {
    // The mirror, and how many panel requests one full sync of this panel takes.
    await panel("/__requests", { method: "DELETE" });
    await fullSync();
    const syncRequests = (await panelLog()).filter((r) => r.path.startsWith("/api/application/")).length;
    expect(syncRequests).toBeGreaterThan(10);

    // Customers: owners of mirrored servers the panel lets act (not suspended, installing, …).
    const candidates = await testDb().execute<{ id: string; uuid: string; ownerId: string }>(sql`
      select distinct on (s."ownerId") s.id, s.uuid, s."ownerId"
      from servers s join users u on u.id = s."ownerId"
      where s."deletedAt" is null and not s."isSuspended" and s.uuid is not null and u."isActive"
      order by s."ownerId", s.id`);
    const customers: { serverId: string; token: string }[] = [];
    for (const c of candidates.rows) {
      if (customers.length === CUSTOMERS) break;
      const res = await panel(`/api/client/servers/${c.uuid}/resources`, {
        headers: {
          authorization: `Bearer ${inject("panelClientKey")}`,
          accept: "application/json",
          "user-agent": "servers-budget.test",
        },
      });
      await res.body?.cancel();
      if (res.status !== 200) continue;
      const [user] = await testDb().select().from(users).where(eq(users.id, c.ownerId));
      if (!user) continue;
      customers.push({ serverId: c.id, token: await signAccessToken(user, String(testEnv.JWT_SECRET)) });
    }
    expect(customers).toHaveLength(CUSTOMERS);

    // A sync budget below what one sync needs (so it must wait for its budget while customers
    // press), and the share above it; both buckets start full (the sync suites' budget was 100000).
    const syncBudget = Math.max(5, Math.floor(syncRequests * 0.75));
    await setConfig("panel_requests_per_minute", String(syncBudget));
    await setConfig("panel_client_requests_per_minute", String(syncBudget + SHARE));
    await panel("/__requests", { method: "DELETE" });

    const press = (c: (typeof customers)[number], signal = "restart") =>
      callJson<{ code?: string }>(`/api/v1/servers/${c.serverId}/power`, {
        method: "POST",
        headers: { ...bearer(c.token), "content-type": "application/json" },
        body: JSON.stringify({ signal }),
      });
    const resources = (c: (typeof customers)[number]) =>
      callJson<{ data: { state: string } }>(`/api/v1/servers/${c.serverId}/resources`, {
        headers: bearer(c.token),
      });

    const run = await trigger();
    expect(run.alreadyRunning).toBe(false);
    // While the sync runs: every customer presses start and reads the state — all answered.
    const first = await Promise.all(customers.map((c) => press(c, "start")));
    expect(
      first.map((r) => r.res.status),
      first.map((r) => r.text).join("\n"),
    ).toEqual(customers.map(() => 202));
    const states = await Promise.all(customers.map(resources));
    expect(states.map((r) => r.res.status)).toEqual(customers.map(() => 200));
    expect(states.map((r) => r.body.data.state)).toEqual(customers.map(() => "running"));
    const [during] = await testDb()
      .execute<{ status: string }>(sql`select status from sync_logs where id = ${run.sync_log_id}`)
      .then((r) => r.rows);
    expect(["PENDING", "RUNNING"]).toContain(during?.status);

    // Then they hammer: more presses than the share holds, four at a time.
    const outcomes: { status: number; code?: string; retryAfter: string | null }[] = [];
    await Promise.all(
      customers.map(async (c) => {
        for (let i = 0; i < PRESSES; i++) {
          const r = await press(c);
          outcomes.push({
            status: r.res.status,
            code: r.body.code,
            retryAfter: r.res.headers.get("retry-after"),
          });
        }
      }),
    );
    const log = await finished(run.sync_log_id, 180_000);
    expect(log.status, JSON.stringify(log)).toBe("COMPLETED");

    // Customers: answered until the share was spent, then refused at once by our budget (429
    // with Retry-After), never by the panel and never with a 5xx.
    const accepted = outcomes.filter((o) => o.status === 202).length;
    const refused = outcomes.filter((o) => o.status === 429);
    expect(accepted + refused.length, JSON.stringify(outcomes)).toBe(outcomes.length);
    expect(accepted).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.code).toBe("RATE_LIMITED");
      expect(r.retryAfter).toMatch(/^\d+$/);
    }

    // At the panel: the sync's (application API) and the customers' (client API) requests, each
    // within its own budget in every minute, so together within the panel's limit.
    const seen = await panelLog();
    const appTimes = seen.filter((r) => r.path.startsWith("/api/application/")).map((r) => r.at);
    const clientRequests = seen.filter((r) => r.path.startsWith("/api/client/"));
    const clientTimes = clientRequests.map((r) => r.at);
    expect(appTimes.length).toBeGreaterThanOrEqual(syncRequests);
    // The customers' requests that reached the panel: the first presses, the resource reads and
    // the accepted presses; the refused ones never left us.
    const powerAtPanel = clientRequests.filter((r) => r.path.endsWith("/power")).length;
    expect(powerAtPanel).toBe(CUSTOMERS + accepted);
    expect(busiestMinute(appTimes), "sync requests above its budget").toBeLessThanOrEqual(syncBudget);
    expect(busiestMinute(clientTimes), "customer requests above the share").toBeLessThanOrEqual(SHARE);
    expect(
      busiestMinute([...appTimes, ...clientTimes].sort((a, b) => a - b)),
      "requests above the panel's limit",
    ).toBeLessThanOrEqual(syncBudget + SHARE);
    // Both at once: customers reached the panel while the sync was still calling it, and the
    // sync went on calling it after customers had been refused.
    const lastSync = Math.max(...appTimes);
    expect(clientTimes.some((t) => t > Math.min(...appTimes) && t < lastSync)).toBe(true);
    const lastAccepted = Math.max(
      ...clientRequests.filter((r) => r.path.endsWith("/power")).map((r) => r.at),
    );
    expect(appTimes.filter((t) => t > lastAccepted).length).toBeGreaterThan(0);
  }, 240_000);
});
