// `npm run bench:realtime`: our RealtimeHub against a minimal hibernating broadcast object
// (scripts/bench/realtime-baseline.ts), both under `wrangler dev` on 127.0.0.1 in the same run.
// (1) fan-out: one published frame to SOCKETS sockets on one topic, delivery latency from the
// publish request to each socket's receipt (p50/p99 over ROUNDS frames); (2) sustained: frames
// per second delivered to FEW sockets on one topic for SECONDS with IN_FLIGHT publishes in flight.
// Ratios are ours / baseline (budget ≤ 1.3×). Counts and time are bounded; nothing leaves 127.0.0.1.
import { loadavg } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { signAccessToken } from "../src/services/accounts/jwt.ts";
import { repoRoot } from "./lib/dev-state.ts";
import { benchVars, startLocalDatabase } from "./lib/local-database.ts";
import { type DevWorker, startWranglerDev } from "./lib/wrangler-dev.ts";

const SOCKETS = Math.min(Number(process.env.BENCH_SOCKETS ?? 1000), 5000);
const ROUNDS = Math.min(Number(process.env.BENCH_ROUNDS ?? 10), 100);
const FEW = 10;
const SECONDS = Math.min(Number(process.env.BENCH_SECONDS ?? 3), 30);
const IN_FLIGHT = 4;
const API_KEY = "bench-only-backend-key-0123456789abcdef";

interface Target {
  name: string;
  /** Opens one socket on `topic`. */
  open(topic: string): Promise<WebSocket>;
  publish(topic: string, data: Record<string, unknown>): Promise<void>;
}

const db = await startLocalDatabase();
const vars: Record<string, string> = { ...benchVars(db), BACKEND_API_KEY: API_KEY };
const workers: DevWorker[] = [];

function wsOpen(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.addEventListener("open", () => resolve(ws), { once: true });
    ws.addEventListener("error", () => reject(new Error(`socket to ${url} failed`)), { once: true });
  });
}

async function adminToken(): Promise<string> {
  const client = new pg.Client({ connectionString: db.pg.url });
  await client.connect();
  try {
    const id = `bench-admin-${Date.now()}`;
    const { rows } = await client.query(
      `insert into users (id, email, roles, "isSystemAdmin", "isActive", "emailVerified")
       values ($1, $2, '{MEMBER,ADMINISTRATOR}', false, true, now()) returning *`,
      [id, `${id}@example.com`],
    );
    return signAccessToken(rows[0], vars.JWT_SECRET ?? "");
  } finally {
    await client.end();
  }
}

function ours(url: string, token: string): Target {
  const ws = url.replace(/^http/, "ws");
  return {
    name: "RealtimeHub",
    async open(topic) {
      const res = await fetch(`${url}/api/v1/realtime/ticket`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ topic }),
      });
      const body = (await res.json()) as { url?: string };
      if (!body.url) throw new Error(`ticket refused: ${JSON.stringify(body)}`);
      return wsOpen(`${ws}${body.url}`);
    },
    async publish(topic, data) {
      const res = await fetch(`${url}/api/v1/realtime/publish`, {
        method: "POST",
        headers: { "x-api-key": API_KEY, "content-type": "application/json" },
        body: JSON.stringify({ topic, type: "bench", data }),
      });
      if (!res.ok) throw new Error(`publish ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    },
  };
}

function baseline(url: string): Target {
  const ws = url.replace(/^http/, "ws");
  return {
    name: "baseline",
    open: (topic) => wsOpen(`${ws}/ws?topic=${encodeURIComponent(topic)}`),
    async publish(topic, data) {
      const res = await fetch(`${url}/publish?topic=${encodeURIComponent(topic)}`, {
        method: "POST",
        body: JSON.stringify({ type: "bench", topic, data }),
      });
      await res.arrayBuffer();
    },
  };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

/** Opens `n` sockets, `batch` at a time; calls onFrame(i, data) for every bench frame. */
async function openMany(t: Target, topic: string, n: number, onFrame: (i: number, seq: number) => void) {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => t.open(topic)));
    sockets.push(...batch);
  }
  sockets.forEach((ws, i) => {
    ws.addEventListener("message", (e) => {
      type F = { type: string; data?: { seq?: number }; frames?: F[] };
      const m = JSON.parse(String(e.data)) as F;
      // Frames flushed together arrive as one `batch` message (docs/realtime.md).
      for (const f of m.type === "batch" ? (m.frames ?? []) : [m]) {
        if (f.type === "bench" && typeof f.data?.seq === "number") onFrame(i, f.data.seq);
      }
    });
  });
  return sockets;
}

async function fanOut(t: Target): Promise<{ p50: number; p99: number }> {
  const topic = `sync:fanout-${Date.now()}`;
  const got = new Map<number, number[]>();
  let sentAt = 0;
  const sockets = await openMany(t, topic, SOCKETS, (_i, seq) => {
    const list = got.get(seq) ?? [];
    list.push(performance.now() - sentAt);
    got.set(seq, list);
  });
  const latencies: number[] = [];
  for (let seq = 0; seq < ROUNDS; seq++) {
    sentAt = performance.now();
    await t.publish(topic, { seq });
    const deadline = Date.now() + 15_000;
    while ((got.get(seq)?.length ?? 0) < SOCKETS && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 2));
    const list = got.get(seq) ?? [];
    if (list.length < SOCKETS)
      throw new Error(`${t.name}: frame ${seq} reached ${list.length}/${SOCKETS} sockets`);
    latencies.push(...list);
  }
  for (const ws of sockets) ws.close(1000);
  latencies.sort((a, b) => a - b);
  return { p50: pct(latencies, 0.5), p99: pct(latencies, 0.99) };
}

async function sustained(t: Target): Promise<number> {
  const topic = `sync:rate-${Date.now()}`;
  const counts = new Array<number>(FEW).fill(0);
  const sockets = await openMany(t, topic, FEW, (i) => {
    counts[i] = (counts[i] ?? 0) + 1;
  });
  let seq = 0;
  const started = performance.now();
  const end = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) await t.publish(topic, { seq: seq++ });
    }),
  );
  const deadline = Date.now() + 10_000;
  while (Math.min(...counts) < seq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const elapsed = (performance.now() - started) / 1000;
  for (const ws of sockets) ws.close(1000);
  return Math.min(...counts) / elapsed;
}

// The machine's load, printed with the figures: only ratios taken at similar load compare.
const loadAtStart = loadavg();
try {
  const oursWorker = await startWranglerDev(join(repoRoot, "wrangler.toml"), vars);
  workers.push(oursWorker);
  const baseWorker = await startWranglerDev(
    join(repoRoot, "scripts", "bench", "realtime-baseline.wrangler.toml"),
    {},
  );
  workers.push(baseWorker);
  const targets = [ours(oursWorker.url, await adminToken()), baseline(baseWorker.url)];
  const fan: Record<string, { p50: number; p99: number }> = {};
  const rate: Record<string, number> = {};
  for (const t of targets) fan[t.name] = await fanOut(t);
  for (const t of targets) rate[t.name] = await sustained(t);
  const o = fan.RealtimeHub;
  const b = fan.baseline;
  if (!o || !b) throw new Error("missing results");
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  console.log(`load average (uptime) at start ${load(loadAtStart)}, at end ${load(loadavg())}`);
  console.log(
    `bench:realtime — ${db.pg.kind} postgres; fan-out to ${SOCKETS} sockets × ${ROUNDS} frames; ${FEW} sockets for ${SECONDS}s`,
  );
  console.log(
    `fan-out p50 ours ${o.p50.toFixed(1)} ms, baseline ${b.p50.toFixed(1)} ms, ratio ${(o.p50 / b.p50).toFixed(2)}; p99 ours ${o.p99.toFixed(1)} ms, baseline ${b.p99.toFixed(1)} ms, ratio ${(o.p99 / b.p99).toFixed(2)} (budget ≤ 1.30)`,
  );
  const ro = rate.RealtimeHub ?? 0;
  const rb = rate.baseline ?? 0;
  console.log(
    `sustained ours ${ro.toFixed(0)} frames/s, baseline ${rb.toFixed(0)} frames/s, ratio ${(rb / ro).toFixed(2)} (baseline/ours; budget ≤ 1.30)`,
  );
} finally {
  await Promise.all(workers.map((w) => w.stop()));
  await db.stop();
}
