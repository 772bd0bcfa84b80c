// `npm run bench:sync`: a full sync of a large demo panel (≥ 10,000 servers, 5,000 users,
// 20,000 allocations) through `wrangler dev`, the real local queue and the Neon shim. Prints
// (a) SQL requests per full sync vs panel pages fetched (budget ≤ 2×) and (b) the sync's wall
// time as a ratio to only fetching every page the sync reads from the same panel, in the same
// run (budget ≤ 1.5×). Sizes: BENCH_SERVERS / BENCH_USERS / BENCH_ALLOCATIONS.
// BENCH_PANEL_LATENCY_MS (default 100) delays every panel answer like a real panel's page time
// (Laravel + Fractal); the run is repeated with 0 ms, where only our own overhead is left.
import { join } from "node:path";
import pg from "pg";
import { startDemoPanel } from "./demo-panel/server.ts";
import { setConfig } from "./lib/config-rows.ts";
import { repoRoot } from "./lib/dev-state.ts";
import { benchVars, startLocalDatabase } from "./lib/local-database.ts";
import { type DevWorker, startWranglerDev } from "./lib/wrangler-dev.ts";

const sizes = {
  servers: Number(process.env.BENCH_SERVERS ?? 10_000),
  users: Number(process.env.BENCH_USERS ?? 5_000),
  allocations: Number(process.env.BENCH_ALLOCATIONS ?? 20_000),
  nodes: 8,
  locations: 3,
};
const PER_PAGE = 100;
const API_KEY = "bench-service-key";

const local = await startLocalDatabase();
const { pg: db, shim } = local;
// The panel here is local; both the sync and the fetch-only baseline run unthrottled.
await setConfig(db.url, "panel_requests_per_minute", "1000000");
const t0 = performance.now();
const panel = await startDemoPanel({ sizes, seed: 11, rateLimitPerMinute: 1_000_000 });
console.log(
  `bench:sync — ${db.kind} postgres; demo panel ${JSON.stringify(sizes)} generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

let worker: DevWorker | undefined;
const client = new pg.Client({ connectionString: db.url });
await client.connect();

async function get(path: string, query: Record<string, string | number>) {
  const url = new URL(`${panel.url}/api/application${path}`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${panel.applicationKey}`, accept: "application/json" },
  });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as {
    data: { attributes: { id: number } }[];
    meta?: { pagination?: { total_pages: number } };
  };
}

/** Reads every page a full sync reads, one after another, and nothing else. */
async function fetchOnly(): Promise<{ ms: number; requests: number }> {
  const started = performance.now();
  let requests = 0;
  const walk = async (path: string, include?: string) => {
    const items: { id: number }[] = [];
    for (let page = 1; ; page++) {
      const body = await get(path, { page, per_page: PER_PAGE, ...(include ? { include } : {}) });
      requests++;
      items.push(...body.data.map((d) => d.attributes));
      if (page >= (body.meta?.pagination?.total_pages ?? 1)) break;
    }
    return items;
  };
  await walk("/locations");
  const nodes = await walk("/nodes");
  for (const n of nodes) await walk(`/nodes/${n.id}/allocations`);
  const nests = await walk("/nests");
  for (const n of nests) {
    await get(`/nests/${n.id}/eggs`, { include: "variables" });
    requests++;
  }
  await walk("/users");
  await walk("/servers", "allocations,subusers,databases.host");
  return { ms: performance.now() - started, requests };
}

const LATENCIES = [Number(process.env.BENCH_PANEL_LATENCY_MS ?? 100), 0];

try {
  worker = await startWranglerDev(join(repoRoot, "wrangler.toml"), {
    ...benchVars(local),
    BACKEND_API_KEY: API_KEY,
    PTERODACTYL_URL: panel.url,
    PTERODACTYL_API_KEY: panel.applicationKey,
  });
  for (const latency of LATENCIES) {
    panel.faults.clear();
    if (latency > 0) panel.faults.add({ path: /^\/api\/application\//, kind: "slow", delayMs: latency });
    await client.query("delete from sync_logs");
    await client.query(
      "delete from servers; delete from allocations; delete from nodes; delete from locations; delete from nests",
    );
    const baseline1 = await fetchOnly();
    panel.resetStats();
    const sqlBefore = shim.requests();
    const started = performance.now();
    const res = await fetch(`${worker.url}/api/v1/sync/full`, {
      method: "POST",
      headers: { "x-api-key": API_KEY, "content-type": "application/json" },
      body: JSON.stringify({ requested_by: "bench" }),
    });
    const { data } = (await res.json()) as { data: { sync_log_id: string } };
    let status = "PENDING";
    while (status === "PENDING" || status === "RUNNING") {
      await new Promise((r) => setTimeout(r, 100));
      const row = await client.query<{ status: string }>("select status from sync_logs where id = $1", [
        data.sync_log_id,
      ]);
      status = row.rows[0]?.status ?? "MISSING";
      if (performance.now() - started > 30 * 60_000) throw new Error("sync did not finish in 30 minutes");
    }
    const syncMs = performance.now() - started;
    const sqlRequests = shim.requests() - sqlBefore;
    const pages = panel.stats().total;
    if (status !== "COMPLETED") {
      const row = await client.query("select error, metadata from sync_logs where id = $1", [
        data.sync_log_id,
      ]);
      throw new Error(`sync ended ${status}: ${JSON.stringify(row.rows[0])}`);
    }
    const counts = await client.query<Record<string, number>>(
      `select (select count(*) from servers)::int as servers, (select count(*) from users)::int as users,
              (select count(*) from allocations)::int as allocations, (select count(*) from server_subusers)::int as subusers`,
    );
    const baseline2 = await fetchOnly();
    const baselineMs = (baseline1.ms + baseline2.ms) / 2;
    console.log(`\n— panel answering in +${latency} ms per request —`);
    console.log(`synced: ${JSON.stringify(counts.rows[0])}`);
    console.log(
      `(a) SQL requests ${sqlRequests} for ${pages} panel requests (fetch-only walk: ${baseline1.requests}) → ${(sqlRequests / pages).toFixed(2)} per page (budget ≤ 2.00)`,
    );
    console.log(
      `(b) full sync ${(syncMs / 1000).toFixed(1)} s vs fetch-only ${(baselineMs / 1000).toFixed(1)} s (runs: ${(baseline1.ms / 1000).toFixed(1)}, ${(baseline2.ms / 1000).toFixed(1)}) → ratio ${(syncMs / baselineMs).toFixed(2)} (budget ≤ 1.50)`,
    );
  }
} finally {
  await worker?.stop();
  await client.end();
  await panel.close();
  await local.stop();
}
