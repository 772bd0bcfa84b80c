// `npm run build`: `wrangler deploy --dry-run` into dist/, then the bundle's raw and gzip size
// against the 300 KiB gzip budget of the whole Worker with every area landed (SPEC §11).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { repoRoot } from "./lib/dev-state.ts";

const BUDGET_KIB = 300;
const out = join(repoRoot, "dist");
const res = spawnSync(
  join(repoRoot, "node_modules", ".bin", "wrangler"),
  ["deploy", "--dry-run", "--outdir", out],
  {
    cwd: repoRoot,
    stdio: ["inherit", "pipe", "inherit"],
    encoding: "utf8",
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  },
);
process.stdout.write(res.stdout ?? "");
if (res.status !== 0) process.exit(res.status ?? 1);
// SPEC §11 measures with wrangler: its own "Total Upload: … / gzip: …" figure counts, and ours
// (gzip -9 of every module) is printed beside it; the larger of the two is held to the budget.
const reported = /gzip:\s*([\d.]+)\s*KiB/.exec(res.stdout ?? "");
const wranglerKib = reported ? Number(reported[1]) : undefined;

const files = readdirSync(out).filter((f) => f.endsWith(".js"));
let raw = 0;
let gz = 0;
for (const f of files) {
  const buf = readFileSync(join(out, f));
  raw += buf.byteLength;
  gz += gzipSync(buf, { level: 9 }).byteLength;
}
const kib = (n: number) => (n / 1024).toFixed(1);
const judged = Math.max(gz / 1024, wranglerKib ?? 0);
console.log(
  `bundle: ${kib(raw)} KiB raw, ${kib(gz)} KiB gzip -9, ${wranglerKib ?? "?"} KiB gzip as wrangler reports it (budget ${BUDGET_KIB} KiB gzip)`,
);
if (wranglerKib === undefined) console.error("wrangler printed no gzip size; judged on gzip -9 alone");
if (judged > BUDGET_KIB) {
  console.error("bundle exceeds the gzip budget");
  process.exit(1);
}
