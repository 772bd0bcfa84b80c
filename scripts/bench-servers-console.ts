// `npm run bench:servers-console`: console fan-out through the ConsoleRelay to VIEWERS viewers,
// against the baseline of the fake Wings broadcasting the same frame directly to VIEWERS sockets
// of its own, both in the same run on 127.0.0.1 (our Worker under `wrangler dev`, the demo panel
// with its fake Wings in this process). A round: one `console output` frame broadcast by the fake
// Wings; latency = from the broadcast to each socket's receipt (p50/p99 over ROUNDS × VIEWERS
// receipts). Rounds alternate between the two targets so machine noise hits both. Ratios are
// relay / direct; counts and time are bounded.
import { join } from "node:path";
import pg from "pg";
import { WebSocket } from "undici";
import { signAccessToken } from "../src/services/accounts/jwt.ts";
import { startDemoPanel } from "./demo-panel/server.ts";
import { setConfig } from "./lib/config-rows.ts";
import { repoRoot } from "./lib/dev-state.ts";
import { benchVars, startLocalDatabase } from "./lib/local-database.ts";
import { startWranglerDev } from "./lib/wrangler-dev.ts";

const VIEWERS = Math.min(Number(process.env.BENCH_VIEWERS ?? 100), 500);
const ROUNDS = Math.min(Number(process.env.BENCH_ROUNDS ?? 30), 200);
const ROUND_TIMEOUT_MS = 5000;

const db = await startLocalDatabase();
const panel = await startDemoPanel({
  sizes: { servers: 4, users: 3 },
  seed: 13,
  rateLimitPerMinute: 1_000_000,
  clientKeyRootAdmin: true,
});
const vars = {
  ...benchVars(db),
  PTERODACTYL_URL: panel.url,
  PTERODACTYL_API_KEY: panel.applicationKey,
  PTERODACTYL_CLIENT_API_KEY: panel.clientKey,
  ENCRYPTION_KEY: "YmVuY2gtb25seS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU=",
};
await setConfig(db.pg.url, "panel_client_requests_per_minute", "1000000");
const [direct, relayed] = [...panel.data.tables.servers.values()];
if (!direct || !relayed) throw new Error("no demo servers");
for (const s of [direct, relayed]) s.status = null;

const client = new pg.Client({ connectionString: db.pg.url });
await client.connect();
const userId = `bench-${Date.now()}`;
const [user] = (
  await client.query(
    `insert into users (id, email, password, username, roles, "isSystemAdmin", "emailVerified", "isActive")
     values ($1, $2, 'x', $3, '{MEMBER}', false, now(), true) returning *`,
    [userId, `${userId}@bench.test`, userId.slice(0, 20)],
  )
).rows;
const serverId = `srv-${userId}`;
await client.query(
  `insert into servers (id, uuid, "uuidShort", name, status, "ownerId") values ($1, $2, $3, 'bench', 'offline', $4)`,
  [serverId, relayed.uuid, relayed.identifier, userId],
);
await client.end();
const token = await signAccessToken(user, String((vars as Record<string, string>).JWT_SECRET));

type Receipt = (seq: number) => void;

function openSocket(url: string, headers: Record<string, string>, onLine: Receipt): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.addEventListener("message", (e) => {
      const f = JSON.parse(String(e.data)) as { event: string; args?: string[] };
      const m = f.event === "console output" ? /^bench (\d+)$/.exec(f.args?.[0] ?? "") : null;
      if (m) onLine(Number(m[1]));
    });
    ws.addEventListener("open", () => resolve(ws), { once: true });
    ws.addEventListener("error", () => reject(new Error(`socket to ${url} failed`)), { once: true });
  });
}

interface Target {
  name: string;
  uuid: string;
  sockets: WebSocket[];
  got: Map<number, number[]>;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;

async function round(t: Target, seq: number): Promise<void> {
  const samples: number[] = [];
  t.got.set(seq, samples);
  const sentAt = performance.now();
  panel.wings.broadcast(t.uuid, "console output", [`bench ${seq}`]);
  const deadline = sentAt + ROUND_TIMEOUT_MS;
  while (samples.length < t.sockets.length && performance.now() < deadline) {
    await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < samples.length; i++) samples[i] = (samples[i] as number) - sentAt;
  if (samples.length < t.sockets.length) {
    throw new Error(`${t.name}: ${samples.length}/${t.sockets.length} sockets got round ${seq}`);
  }
}

function target(name: string, uuid: string): Target & { receipt: Receipt } {
  const t: Target = { name, uuid, sockets: [], got: new Map() };
  return { ...t, receipt: (seq) => t.got.get(seq)?.push(performance.now()) };
}

const worker = await startWranglerDev(join(repoRoot, "wrangler.toml"), vars);
const all: WebSocket[] = [];
try {
  // Baseline: VIEWERS sockets straight to the fake Wings, each authenticated with its own token.
  const base = target("direct to Wings", direct.uuid);
  const baseT: Target = base;
  for (let i = 0; i < VIEWERS; i++) {
    const { token: jwt, socket } = panel.wings.mint(direct, panel.url);
    const ws = await openSocket(socket, { origin: panel.url }, base.receipt);
    ws.send(JSON.stringify({ event: "auth", args: [jwt] }));
    baseT.sockets.push(ws);
  }
  // Ours: VIEWERS viewers on the relay (one ticket each), which holds one Wings socket.
  const ours = target("through the relay", relayed.uuid);
  const oursT: Target = ours;
  const wsBase = worker.url.replace(/^http/, "ws");
  for (let i = 0; i < VIEWERS; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, VIEWERS - i) }, async () => {
        const res = await fetch(`${worker.url}/api/v1/servers/${serverId}/console/ticket`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        });
        const body = (await res.json()) as { url?: string };
        if (!body.url) throw new Error(`ticket refused: ${JSON.stringify(body)}`);
        return openSocket(`${wsBase}${body.url}`, {}, ours.receipt);
      }),
    );
    oursT.sockets.push(...batch);
  }
  all.push(...baseT.sockets, ...oursT.sockets);
  const wingsSockets = panel.wings.connections(relayed.uuid).filter((c) => c.closedAt === null).length;
  // Warm-up rounds (not measured), then alternate.
  let seq = 0;
  for (let i = 0; i < 3; i++) {
    await round(baseT, seq++);
    await round(oursT, seq++);
  }
  baseT.got.clear();
  oursT.got.clear();
  for (let i = 0; i < ROUNDS; i++) {
    await round(baseT, seq++);
    await round(oursT, seq++);
  }
  const stats = (t: Target) => {
    const s = [...t.got.values()].flat().sort((a, b) => a - b);
    return { p50: pct(s, 0.5), p99: pct(s, 0.99), n: s.length };
  };
  const a = stats(oursT);
  const b = stats(baseT);
  console.log(
    `bench:servers-console — ${VIEWERS} viewers, ${ROUNDS} frames (relay holds ${wingsSockets} Wings socket for them)`,
  );
  console.log(
    `fan-out p50 relay ${a.p50.toFixed(2)} ms / direct ${b.p50.toFixed(2)} ms = ${(a.p50 / b.p50).toFixed(2)}×  ` +
      `p99 ${a.p99.toFixed(2)} / ${b.p99.toFixed(2)} ms = ${(a.p99 / b.p99).toFixed(2)}×  (${a.n} / ${b.n} receipts)`,
  );
} finally {
  for (const ws of all) ws.close();
  await worker.stop();
  await panel.close();
  await db.stop();
}
