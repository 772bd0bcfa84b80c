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
    stdio: "inherit",
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  },
);
if (res.status !== 0) process.exit(res.status ?? 1);

const files = readdirSync(out).filter((f) => f.endsWith(".js"));
let raw = 0;
let gz = 0;
for (const f of files) {
  const buf = readFileSync(join(out, f));
  raw += buf.byteLength;
  gz += gzipSync(buf, { level: 9 }).byteLength;
}
const kib = (n: number) => (n / 1024).toFixed(1);
console.log(`bundle: ${kib(raw)} KiB raw, ${kib(gz)} KiB gzip (budget ${BUDGET_KIB} KiB gzip)`);
if (gz / 1024 > BUDGET_KIB) {
  console.error("bundle exceeds the gzip budget");
  process.exit(1);
}
