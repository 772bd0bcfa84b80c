// Demo panel CLI: `node scripts/demo-panel/cli.ts --port 8790 --servers 10000 --users 5000
// --allocations 20000 [--seed 1]` (or DEMO_PANEL_* env); prints the URL and keys, stops on signals.
import { parseArgs } from "node:util";
import { DEFAULT_SIZES, type Sizes } from "./data.ts";
import { startDemoPanel } from "./server.ts";

const SIZE_FLAGS: Record<string, keyof Sizes> = {
  locations: "locations",
  nodes: "nodes",
  allocations: "allocations",
  nests: "nests",
  "eggs-per-nest": "eggsPerNest",
  "variables-per-egg": "variablesPerEgg",
  users: "users",
  servers: "servers",
  "subusers-per-server": "subusersPerServer",
  "databases-per-server": "databasesPerServer",
};
const OTHER_FLAGS = ["port", "seed", "rate-limit", "client-rate-limit", "application-key", "client-key"];

const { values } = parseArgs({
  options: {
    ...Object.fromEntries(
      [...Object.keys(SIZE_FLAGS), ...OTHER_FLAGS].map((f) => [f, { type: "string" as const }]),
    ),
    "client-key-admin": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  console.log(`usage: node scripts/demo-panel/cli.ts [--port 8790] [--seed 1] [--rate-limit 240]
  [--client-rate-limit 720] [--application-key ptla_…] [--client-key ptlc_…] [--client-key-admin]
  ${Object.keys(SIZE_FLAGS)
    .map((f) => `[--${f} N]`)
    .join(" ")}
Every flag can also come from DEMO_PANEL_<FLAG> (e.g. DEMO_PANEL_SERVERS=10000).`);
  process.exit(0);
}

/** A flag's value, else DEMO_PANEL_<FLAG> from the environment. */
function setting(flag: string): string | undefined {
  const fromFlag = (values as Record<string, string | boolean | undefined>)[flag];
  if (typeof fromFlag === "string") return fromFlag;
  return process.env[`DEMO_PANEL_${flag.toUpperCase().replaceAll("-", "_")}`];
}

function integer(flag: string): number | undefined {
  const raw = setting(flag);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${flag} must be a non-negative integer, got ${raw}`);
    process.exit(2);
  }
  return n;
}

const sizes: Partial<Sizes> = {};
for (const [flag, key] of Object.entries(SIZE_FLAGS)) {
  const n = integer(flag);
  if (n !== undefined) sizes[key] = n;
}

const started = performance.now();
const panel = await startDemoPanel({
  port: integer("port") ?? 8790,
  seed: integer("seed") ?? 1,
  sizes,
  rateLimitPerMinute: integer("rate-limit"),
  clientRateLimitPerMinute: integer("client-rate-limit"),
  applicationKey: setting("application-key"),
  clientKey: setting("client-key"),
  clientKeyRootAdmin: values["client-key-admin"] === true || process.env.DEMO_PANEL_CLIENT_KEY_ADMIN === "1",
});
const t = panel.data.tables;
const final = { ...DEFAULT_SIZES, ...sizes };
console.log(`demo Pterodactyl panel on ${panel.url} (ready in ${Math.round(performance.now() - started)} ms)
  ${t.locations.size} locations, ${t.nodes.size} nodes, ${t.allocations.size} allocations, ${t.nests.size} nests, ${t.eggs.size} eggs
  ${t.users.size} users, ${t.servers.size} servers, ${t.subusers.size} subusers, ${t.databases.size} databases (seed ${integer("seed") ?? 1}, ${final.servers} servers requested)

PTERODACTYL_URL=${panel.url}
PTERODACTYL_API_KEY=${panel.applicationKey}
PTERODACTYL_CLIENT_API_KEY=${panel.clientKey}

control: POST/GET/DELETE ${panel.url}/__faults, GET/DELETE ${panel.url}/__stats, DELETE ${panel.url}/__rate-limits`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the demo panel`);
  await panel.close();
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
