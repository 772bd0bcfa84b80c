// `npm run check:layers`: the layering rule of docs/architecture.md, checked from the imports of
// src/ (tests and .d.ts left out). Every folder is a unit; the layers, bottom to top, are
//   platform/** → services/* → access/ → areas/* → src/ itself (composition).
// Fails (exit 1) on a cycle between folders, an import from a lower layer into a higher one, an
// area importing another area, or a folder outside the stack. Prints the folder graph either way.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { repoRoot } from "./lib/dev-state.ts";

// `--root DIR` checks another tree (the checker's own test builds bad ones).
const rootArg = process.argv.indexOf("--root");
const SRC =
  rootArg > 0 && process.argv[rootArg + 1] ? (process.argv[rootArg + 1] as string) : join(repoRoot, "src");
const LAYERS = ["platform", "services", "access", "areas", "composition"] as const;
type Layer = (typeof LAYERS)[number];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith(".ts") && !p.endsWith(".test.ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

/** The folder of a file, relative to src/ with forward slashes ("." for src/ itself). */
const unitOf = (file: string) => relative(SRC, dirname(file)).split(sep).join("/") || ".";

function layerOf(unit: string): Layer | undefined {
  if (unit === ".") return "composition";
  const top = unit.split("/")[0];
  return (LAYERS as readonly string[]).includes(top ?? "") ? (top as Layer) : undefined;
}

/** areas/sync/x → "areas/sync": the area a folder belongs to (undefined outside areas/). */
const areaOf = (unit: string) =>
  unit.startsWith("areas/") ? unit.split("/").slice(0, 2).join("/") : undefined;

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

const edges = new Map<string, Map<string, Set<string>>>(); // unit → unit → files (a → b)
const problems: string[] = [];
for (const file of sourceFiles(SRC)) {
  const from = unitOf(file);
  if (!edges.has(from)) edges.set(from, new Map());
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec) continue;
    const target = normalize(join(dirname(file), spec));
    if (!target.startsWith(SRC + sep)) continue; // package.json and the like
    const to = unitOf(target);
    if (to === from) continue;
    const byTarget = edges.get(from) as Map<string, Set<string>>;
    if (!byTarget.has(to)) byTarget.set(to, new Set());
    byTarget.get(to)?.add(relative(SRC, file));
  }
}

const units = [...edges.keys()].sort();
for (const u of units) {
  const layer = layerOf(u);
  if (!layer) problems.push(`src/${u}/ is outside the stack (${LAYERS.join(", ")})`);
  for (const [to, files] of edges.get(u) ?? []) {
    const a = LAYERS.indexOf(layer ?? "composition");
    const b = LAYERS.indexOf(layerOf(to) ?? "composition");
    const where = [...files].join(", ");
    if (b > a) problems.push(`upward import: ${u} (${layer}) → ${to} (${layerOf(to)}) in ${where}`);
    const fa = areaOf(u);
    const fb = areaOf(to);
    if (fa && fb && fa !== fb) problems.push(`area imports another area: ${u} → ${to} in ${where}`);
  }
}

// Folder-level cycles: strongly connected components (Tarjan) with more than one folder.
let index = 0;
const idx = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const cycles: string[][] = [];
function connect(v: string): void {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!idx.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
  }
  if (low.get(v) === idx.get(v)) {
    const scc: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) cycles.push(scc.sort());
  }
}
for (const u of units) if (!idx.has(u)) connect(u);
for (const c of cycles) problems.push(`folder cycle: ${c.join(" ⇄ ")}`);

for (const layer of LAYERS) {
  const members = units.filter((u) => (layerOf(u) ?? "composition") === layer);
  console.log(`${layer}:`);
  for (const u of members) {
    const deps = [...(edges.get(u)?.keys() ?? [])].sort();
    console.log(`  src/${u === "." ? "" : `${u}/`}  →  ${deps.length ? deps.join(", ") : "(nothing)"}`);
  }
}
if (problems.length) {
  console.error(`\n${problems.length} layering problem(s):`);
  for (const p of problems) console.error(`  ✗ ${p}`);
  process.exit(1);
}
console.log(`\nlayers ok: ${units.length} folders, no cycle, nothing imports upward or across areas`);
