// Shared pieces of the sync suites (src/areas/sync/*.test.ts): the hooks, triggering a run and
// waiting for it, and the full comparison of every mirrored table with the panel's own listings.
import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, expect, inject } from "vitest";
import { syncLogs } from "../src/platform/db/schema/index.ts";
import { callJson, eventually, testDb } from "./helpers.ts";
import { clearFaults, panelAll } from "./panel.ts";
import { bearer, createAdmin, type TestUser } from "./users.ts";

export type Log = {
  id: string;
  status: string;
  error: string | null;
  metadata: Record<string, unknown>;
  itemsSynced: number;
};

export let admin: TestUser;
/** Registers the suite hooks every sync test file uses (panel budget, admin, no active run, no faults). */
export function syncSuiteHooks() {
  beforeAll(async () => {
    // The demo panel here allows far more than a real panel's 240/min; tell the shared budget so.
    await testDb().execute(sql`insert into config (key, value) values ('panel_requests_per_minute', '100000')
    on conflict (key) do update set value = excluded.value`);
  });
  beforeEach(async () => {
    admin ??= await createAdmin();
    await settle();
  });
  afterEach(clearFaults);
  // Let the file's queue work stop before its worker closes: a chain message or notice still
  // running would log into a closed test runner ("Closing rpc while onUserConsoleLog was pending").
  afterAll(async () => {
    await settle();
    await new Promise((r) => setTimeout(r, 2_000));
  });
}

/** No run left active (another file may have started one): cancel and wait. */
export async function settle() {
  const db = testDb();
  await db.execute(
    sql`update sync_logs set status = 'CANCELLED', "cancelledAt" = now() where status in ('PENDING', 'RUNNING')`,
  );
}

export async function trigger(body: unknown = { type: "full" }) {
  const r = await callJson<{ sync_log_id: string; alreadyRunning: boolean; status: string }>(
    "/api/admin/sync",
    {
      method: "POST",
      headers: { ...bearer(admin.token), "content-type": "application/json" },
      body: JSON.stringify(body),
    },
  );
  expect(r.res.status, r.text).toBe(202);
  return r.body;
}

export async function finished(id: string, timeoutMs = 60_000): Promise<Log> {
  return eventually(async () => {
    const [row] = await testDb().select().from(syncLogs).where(eq(syncLogs.id, id));
    return row && ["COMPLETED", "FAILED", "CANCELLED"].includes(row.status)
      ? (row as unknown as Log)
      : undefined;
  }, timeoutMs);
}

export async function fullSync(): Promise<Log> {
  const t = await trigger();
  expect(t.alreadyRunning).toBe(false);
  const log = await finished(t.sync_log_id);
  expect(log.status, JSON.stringify(log)).toBe("COMPLETED");
  return log;
}

/** What the mirror stores for a panel string: NUL removed, everything else byte for byte. */
export const clean = (s: string) => s.replaceAll("\u0000", "");

export const sortBy = <T>(rows: T[], key: (r: T) => string | number) =>
  [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

export interface PServer {
  id: number;
  uuid: string;
  name: string;
  status: string | null;
  suspended: boolean;
  user: number;
  node: number;
  egg: number;
  relationships: {
    allocations: { data: { attributes: { id: number } }[] };
    subusers: { data: { attributes: { user_id: number } }[] };
    databases: { data: { attributes: { id: number } }[] };
  };
}

/** Compares every mirrored table with the panel's own listings. */
export async function expectMirrorsPanel() {
  const db = testDb();
  const [pLocations, pNodes, pNests, pUsers, pServers] = await Promise.all([
    panelAll<{ id: number; short: string }>("/locations"),
    panelAll<{ id: number; name: string; location_id: number }>("/nodes"),
    panelAll<{ id: number; name: string }>("/nests"),
    panelAll<{ id: number; email: string }>("/users"),
    panelAll<PServer>("/servers", "allocations,subusers,databases"),
  ]);
  const pAllocations = (
    await Promise.all(
      pNodes.map((n) =>
        panelAll<{ id: number; ip: string; port: number; assigned: boolean }>(
          `/nodes/${n.id}/allocations`,
        ).then((a) => a.map((x) => ({ ...x, node: n.id }))),
      ),
    )
  ).flat();

  const q = async <T>(text: ReturnType<typeof sql>) => (await db.execute(text)).rows as T[];
  expect(
    sortBy(
      await q<{ id: number; shortCode: string }>(
        sql`select id, "shortCode" from locations where "deletedAt" is null`,
      ),
      (r) => r.id,
    ),
  ).toEqual(
    sortBy(
      pLocations.map((l) => ({ id: l.id, shortCode: clean(l.short) })),
      (r) => r.id,
    ),
  );
  expect(
    sortBy(
      await q<{ id: number }>(sql`select id, name, "locationId" from nodes where "deletedAt" is null`),
      (r) => r.id,
    ),
  ).toEqual(
    sortBy(
      pNodes.map((n) => ({ id: n.id, name: clean(n.name), locationId: n.location_id })),
      (r) => r.id,
    ),
  );
  const pEggs = (
    await Promise.all(
      pNests.map(async (n) => {
        const res = await fetch(
          `${inject("panelUrl")}/api/application/nests/${n.id}/eggs?include=variables`,
          {
            headers: {
              authorization: `Bearer ${inject("panelApplicationKey")}`,
              accept: "application/json",
              "user-agent": "nodebyte-tests",
            },
          },
        );
        const body = (await res.json()) as {
          data: {
            attributes: {
              id: number;
              name: string;
              relationships: { variables: { data: { attributes: { id: number; env_variable: string } }[] } };
            };
          }[];
        };
        return body.data.map((e) => ({ ...e.attributes, nest: n.id }));
      }),
    )
  ).flat();
  expect(
    sortBy(
      await q<{ id: number; name: string; nestId: number }>(
        sql`select id, name, "nestId" from eggs where "deletedAt" is null`,
      ),
      (r) => r.id,
    ),
  ).toEqual(
    sortBy(
      pEggs.map((e) => ({ id: e.id, name: clean(e.name), nestId: e.nest })),
      (r) => r.id,
    ),
  );
  expect(
    sortBy(
      await q<{ id: number; env: string; egg: number }>(
        sql`select id, env_variable as env, egg_id as egg from egg_variables where "deletedAt" is null`,
      ),
      (r) => r.id,
    ),
  ).toEqual(
    sortBy(
      pEggs.flatMap((e) =>
        e.relationships.variables.data.map((v) => ({
          id: v.attributes.id,
          env: clean(v.attributes.env_variable),
          egg: e.id,
        })),
      ),
      (r) => r.id,
    ),
  );
  expect(
    (await q<{ id: number }>(sql`select id from nests where "deletedAt" is null order by id`)).map(
      (r) => r.id,
    ),
  ).toEqual(pNests.map((n) => n.id).sort((a, b) => a - b));
  const knownUsers = new Set(pUsers.map((u) => u.id));
  const serverOf = new Map<number, number>();
  for (const s of pServers)
    for (const a of s.relationships.allocations.data) serverOf.set(a.attributes.id, s.id);
  const localAllocations = await q<{
    id: number;
    ip: string;
    port: number;
    nodeId: number;
    isAssigned: boolean;
    server: number | null;
  }>(sql`
    select a.id, a.ip, a.port, a."nodeId", a."isAssigned", s."pterodactylId" as server
    from allocations a left join servers s on s.id = a."serverId" where a."deletedAt" is null`);
  expect(sortBy(localAllocations, (r) => r.id)).toEqual(
    sortBy(
      pAllocations.map((a) => ({
        id: a.id,
        ip: a.ip,
        port: a.port,
        nodeId: a.node,
        isAssigned: a.assigned,
        server: serverOf.get(a.id) ?? null,
      })),
      (r) => r.id,
    ),
  );
  // The panel's e-mail lands in panelEmail; the login e-mail (users.email) is the website's.
  const localUsers = await q<{ pterodactylId: number; email: string }>(
    sql`select "pterodactylId", "panelEmail" as email from users where "pterodactylId" is not null`,
  );
  expect(sortBy(localUsers, (r) => r.pterodactylId)).toEqual(
    sortBy(
      pUsers.map((u) => ({ pterodactylId: u.id, email: clean(u.email).toLowerCase() })),
      (r) => r.pterodactylId,
    ),
  );
  const localServers = await q<{
    pterodactylId: number;
    uuid: string;
    name: string;
    status: string;
    owner: number | null;
    nodeId: number;
  }>(sql`
    select s."pterodactylId", s.uuid, s.name, s.status, u."pterodactylId" as owner, s."nodeId"
    from servers s left join users u on u.id = s."ownerId" where s."pterodactylId" is not null and s."deletedAt" is null`);
  expect(sortBy(localServers, (r) => r.pterodactylId)).toEqual(
    sortBy(
      pServers.map((s) => ({
        pterodactylId: s.id,
        uuid: s.uuid,
        name: clean(s.name),
        status: s.suspended ? "suspended" : (s.status ?? "online").toLowerCase(),
        // Ownership follows the panel: an owner the panel does not list means no owner.
        owner: knownUsers.has(s.user) ? s.user : null,
        nodeId: s.node,
      })),
      (r) => r.pterodactylId,
    ),
  );
  const localSubusers = await q<{ server: number; user: number }>(sql`
    select s."pterodactylId" as server, u."pterodactylId" as user from server_subusers su
    join servers s on s.id = su."serverId" join users u on u.id = su."userId" where not su."isOwner" and s."deletedAt" is null`);
  const panelSubusers = pServers.flatMap((s) =>
    s.relationships.subusers.data.map((su) => ({ server: s.id, user: su.attributes.user_id })),
  );
  expect(sortBy(localSubusers, (r) => `${r.server}:${r.user}`)).toEqual(
    sortBy(panelSubusers, (r) => `${r.server}:${r.user}`),
  );
  const localDbs = await q<{ id: number }>(
    sql`select "pterodactylId" as id from server_databases where "deletedAt" is null order by 1`,
  );
  expect(localDbs.map((r) => r.id)).toEqual(
    pServers.flatMap((s) => s.relationships.databases.data.map((d) => d.attributes.id)).sort((a, b) => a - b),
  );
}
