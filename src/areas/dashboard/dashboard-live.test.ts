// The dashboard's live state against the control panel: status and `used` from the panel's
// /resources through the cache the server page shares (one panel call per server per 20 s),
// the mirror's values (marked) when the interactive budget is short or the panel is slow.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  allowManyClientRequests,
  api,
  controlEnv,
  controlFault,
  panelClient,
  panelRequestsFor,
  type SeededServer,
  seedServer,
} from "../../../test/control-panel.ts";
import { eventually, testDb, testDeps } from "../../../test/helpers.ts";
import { createTestUser } from "../../../test/users.ts";
import type { Bindings } from "../../platform/env.ts";
import { interactiveBudget, interactiveStub } from "../../services/panel/client-api.ts";

beforeAll(allowManyClientRequests);

interface DashServer {
  id: string;
  status: string;
  liveAt: string | null;
  resources: Record<"memory" | "cpu" | "disk", { used: number; limit: number }>;
}
interface Live {
  servers: number;
  fromMirror: number;
  reason: string | null;
}
type List = { data: DashServer[]; meta: { live: Live; total: number } };
type Stats = { data: { recentServers: DashServer[]; live: Live; servers: { total: number } } };

/** The panel's memory limit of a server (MiB): the demo panel reports half of it in use while running. */
async function panelMemory(s: SeededServer): Promise<number> {
  const res = await panelClient(`/servers/${s.uuid}`, { headers: { "user-agent": "dashboard-live.test" } });
  return ((await res.json()) as { attributes: { limits: { memory: number } } }).attributes.limits.memory;
}

/** Two servers on the control panel in the mirror with the panel's limits, the first one started. */
async function twoServers() {
  const owner = await createTestUser();
  const running = await seedServer(owner);
  const stopped = await seedServer(owner);
  const memory = await panelMemory(running);
  await testDb().execute(
    sql`update servers set memory = ${memory}, cpu = 100, disk = 4096 where id in (${running.id}, ${stopped.id})`,
  );
  const started = await api(`/api/v1/servers/${running.id}/power`, {
    token: owner.token,
    method: "POST",
    body: { signal: "start" },
  });
  expect(started.res.status, started.text).toBe(202);
  return { owner, running, stopped, memory };
}

const resourceCalls = async (s: SeededServer) =>
  (await panelRequestsFor(s.uuid)).filter((r) => r.path.endsWith("/resources")).length;

describe("dashboard live state", () => {
  it("fills status and used from the panel, one call per server through the shared cache", async () => {
    const { owner, running, stopped, memory } = await twoServers();
    const list = await api<List>("/api/v1/dashboard/servers", { token: owner.token });
    expect(list.res.status, list.text).toBe(200);
    expect(list.body.meta.live).toEqual({ servers: 2, fromMirror: 0, reason: null });
    const byId = new Map(list.body.data.map((s) => [s.id, s]));
    expect(byId.get(running.id)).toMatchObject({
      status: "running",
      resources: {
        memory: { used: memory / 2, limit: memory },
        cpu: { used: 12.5, limit: 100 },
        disk: { limit: 4096 },
      },
    });
    expect(byId.get(running.id)?.liveAt).toEqual(expect.any(String));
    // The demo panel's file tree holds a 700 KB log: 1 MiB on disk, rounded.
    expect(byId.get(stopped.id)).toMatchObject({
      status: "offline",
      resources: { memory: { used: 0 }, cpu: { used: 0 }, disk: { used: 1 } },
    });

    // Again, the stats page, and the server page: all from the cache, no second panel call.
    const again = await api<List>("/api/v1/dashboard/servers", { token: owner.token });
    expect(again.body.data.map((s) => s.status).sort()).toEqual(["offline", "running"]);
    const stats = await api<Stats>("/api/v1/dashboard/stats", { token: owner.token });
    expect(stats.res.status, stats.text).toBe(200);
    expect(stats.body.data.live).toEqual({ servers: 2, fromMirror: 0, reason: null });
    expect(stats.body.data.recentServers.find((s) => s.id === running.id)).toMatchObject({
      status: "running",
      resources: { memory: { used: memory / 2 } },
    });
    const page = await api<{ data: { cached: boolean; state: string } }>(
      `/api/v1/servers/${running.id}/resources`,
      { token: owner.token },
    );
    expect(page.body.data).toMatchObject({ cached: true, state: "running" });
    expect(await resourceCalls(running)).toBe(1);
    expect(await resourceCalls(stopped)).toBe(1);
  });

  it("answers the mirror's values, marked, when the interactive budget is short", async () => {
    const { owner, running, stopped } = await twoServers();
    // A connection of its own (another host name, so another bucket) with its share spent.
    const url = inject("controlPanelUrl").replace("127.0.0.1", "localhost");
    const env = { ...controlEnv(), PTERODACTYL_URL: url } as Bindings;
    const rows = await testDb().execute<{ key: string; value: string }>(
      sql`select key, value from config where key in ('panel_requests_per_minute', 'panel_client_requests_per_minute')`,
    );
    const setting = (k: string) => Number(rows.rows.find((r) => r.key === k)?.value) || undefined;
    const conn = {
      url,
      apiKey: "unused",
      clientApiKey: inject("controlPanelClientKey"),
      requestsPerMinute: setting("panel_requests_per_minute") ?? 240,
      clientRequestsPerMinute: setting("panel_client_requests_per_minute"),
    };
    const limit = interactiveBudget(conn);
    await (await interactiveStub({ conn, stubs: testDeps().stubs }, conn.clientApiKey)).clamp(limit, 0);

    const list = await api<List>("/api/v1/dashboard/servers", { token: owner.token }, env);
    expect(list.res.status, list.text).toBe(200);
    expect(list.body.meta.live).toEqual({ servers: 0, fromMirror: 2, reason: "budget" });
    for (const s of list.body.data) {
      expect(s).toMatchObject({ status: "offline", liveAt: null, resources: { memory: { used: 0 } } });
    }
    const stats = await api<Stats>("/api/v1/dashboard/stats", { token: owner.token }, env);
    expect(stats.res.status, stats.text).toBe(200);
    expect(stats.body.data.live).toMatchObject({ servers: 0, reason: "budget" });
    // Nothing reached the panel for the dashboard (the power call did, before).
    expect(await resourceCalls(running)).toBe(0);
    expect(await resourceCalls(stopped)).toBe(0);
  });

  it("does not wait for a slow panel: that server is the mirror's now and live once the call lands", async () => {
    const { owner, running, stopped } = await twoServers();
    await controlFault({ path: `${running.uuid}/resources`, kind: "slow", delayMs: 4_000, times: 1 });
    const list = await api<List>("/api/v1/dashboard/servers", { token: owner.token });
    expect(list.res.status, list.text).toBe(200);
    expect(list.body.meta.live).toEqual({ servers: 1, fromMirror: 1, reason: "timeout" });
    const byId = new Map(list.body.data.map((s) => [s.id, s]));
    expect(byId.get(running.id)).toMatchObject({ status: "offline", liveAt: null });
    expect(byId.get(stopped.id)?.liveAt).toEqual(expect.any(String));
    // The slow call finishes after the answer and fills the cache; a request meanwhile joins it.
    const later = await eventually(async () => {
      const r = await api<List>("/api/v1/dashboard/servers", { token: owner.token });
      const s = r.body.data.find((x) => x.id === running.id);
      return s?.liveAt ? s : undefined;
    }, 15_000);
    expect(later.status).toBe("running");
    expect(await resourceCalls(running)).toBe(1);
  });
});
