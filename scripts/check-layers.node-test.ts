// The layering check must be able to fail: trees with a folder cycle, an upward import and an
// area importing another area are refused; a clean tree passes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const script = join(dirname(fileURLToPath(import.meta.url)), "check-layers.ts");
const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "layers-"));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(root: string) {
  const r = spawnSync(process.execPath, [script, "--root", root], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

const clean = {
  "index.ts": 'import { a } from "./areas/a/a.ts";\nexport { a };\n',
  "areas/a/a.ts": 'import { s } from "../../services/s/s.ts";\nexport const a = s;\n',
  "services/s/s.ts": 'import { p } from "../../platform/p.ts";\nexport const s = p;\n',
  "platform/p.ts": "export const p = 1;\n",
};

test("a clean stack passes", () => {
  const r = check(tree(clean));
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /layers ok/);
});

test("an upward import and the cycle it makes are refused", () => {
  const r = check(
    tree({
      ...clean,
      "platform/p.ts": 'import type { S } from "../services/s/t.ts";\nexport const p = 1;\n',
      "services/s/t.ts": "export type S = 1;\n",
    }),
  );
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /upward import: platform \(platform\) → services\/s/);
  assert.match(r.out, /folder cycle: platform ⇄ services\/s/);
});

test("an area importing another area is refused", () => {
  const r = check(
    tree({ ...clean, "areas/b/b.ts": 'import { a } from "../a/a.ts";\nexport const b = a;\n' }),
  );
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /area imports another area: areas\/b → areas\/a/);
});

test("a folder outside the stack is refused", () => {
  const r = check(tree({ ...clean, "misc/m.ts": "export const m = 1;\n" }));
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /src\/misc\/ is outside the stack/);
});
