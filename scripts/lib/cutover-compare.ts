// `npm run cutover:compare`: the same read-only requests to the old and the new backend, and what
// differs in status and JSON shape — what the website would notice if its backend URL switched.
// A shape is the JSON's structure with values replaced by their types (arrays: the union of their
// elements' shapes), so counts, ids and timestamps never show up as differences.

export interface Probe {
  path: string;
  /** Needs the admin token (skipped without one). */
  admin?: boolean;
}

/** Public stats, health, and with an admin token the lists the admin pages read. */
export const PROBES: Probe[] = [
  { path: "/health" },
  { path: "/api/stats" },
  { path: "/api/panel/counts" },
  { path: "/api/v1/stats/overview" },
  { path: "/api/v1/stats/users" },
  { path: "/api/v1/auth/me", admin: true },
  { path: "/api/admin/stats", admin: true },
  { path: "/api/admin/users?page=1&pageSize=25", admin: true },
  { path: "/api/admin/servers?page=1&pageSize=25", admin: true },
  { path: "/api/admin/nodes?page=1&pageSize=25", admin: true },
  { path: "/api/admin/locations", admin: true },
  { path: "/api/admin/allocations?page=1&pageSize=50", admin: true },
  { path: "/api/admin/nests?page=1&pageSize=25", admin: true },
  { path: "/api/admin/eggs?page=1&pageSize=25", admin: true },
  { path: "/api/admin/settings", admin: true },
  { path: "/api/admin/settings/webhooks", admin: true },
  { path: "/api/admin/settings/repos", admin: true },
  { path: "/api/admin/sync/status", admin: true },
  { path: "/api/admin/sync/logs?limit=5", admin: true },
  { path: "/api/admin/sync/settings", admin: true },
  { path: "/api/v1/dashboard/stats", admin: true },
  { path: "/api/v1/dashboard/servers?page=1&per_page=12", admin: true },
];

export type Shape = string | { [key: string]: Shape } | { "[]": Shape | null };

export function shapeOf(v: unknown): Shape {
  if (v === null) return "null";
  if (Array.isArray(v)) {
    let el: Shape | null = null;
    for (const item of v) el = el === null ? shapeOf(item) : mergeShapes(el, shapeOf(item));
    return { "[]": el };
  }
  if (typeof v === "object") {
    const out: Record<string, Shape> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = shapeOf(x);
    return out;
  }
  return typeof v;
}

const isArrayShape = (s: Shape): s is { "[]": Shape | null } => typeof s === "object" && "[]" in s;

function mergeShapes(a: Shape, b: Shape): Shape {
  if (typeof a === "string" || typeof b === "string") {
    if (JSON.stringify(a) === JSON.stringify(b)) return a;
    const parts = new Set([
      ...String(typeof a === "string" ? a : "object").split("|"),
      ...String(typeof b === "string" ? b : "object").split("|"),
    ]);
    return [...parts].sort().join("|");
  }
  if (isArrayShape(a) && isArrayShape(b)) {
    const el = a["[]"] === null ? b["[]"] : b["[]"] === null ? a["[]"] : mergeShapes(a["[]"], b["[]"]);
    return { "[]": el };
  }
  if (isArrayShape(a) !== isArrayShape(b)) return "array|object";
  const out: Record<string, Shape> = { ...(a as Record<string, Shape>) };
  for (const [k, v] of Object.entries(b as Record<string, Shape>))
    out[k] = k in out ? mergeShapes(out[k] as Shape, v) : v;
  return out;
}

export interface Difference {
  path: string;
  /** missing: the old backend has it, the new does not (the website may read it); extra: new only. */
  kind: "missing" | "extra" | "type";
  old?: string;
  new?: string;
}

const label = (s: Shape) => (typeof s === "string" ? s : isArrayShape(s) ? "array" : "object");

export function diffShapes(old: Shape, neu: Shape, at = "$"): Difference[] {
  if (typeof old === "string" || typeof neu === "string" || isArrayShape(old) !== isArrayShape(neu)) {
    if (JSON.stringify(old) === JSON.stringify(neu)) return [];
    // A null on one side and a value on the other is a type difference the website may trip on.
    if (label(old) !== label(neu)) return [{ path: at, kind: "type", old: label(old), new: label(neu) }];
    return typeof old === "string" ? [] : diffShapes(old, neu, at);
  }
  if (isArrayShape(old) && isArrayShape(neu)) {
    const a = old["[]"];
    const b = neu["[]"];
    return a === null || b === null ? [] : diffShapes(a, b, `${at}[]`);
  }
  const out: Difference[] = [];
  const o = old as Record<string, Shape>;
  const n = neu as Record<string, Shape>;
  for (const k of Object.keys(o)) {
    if (!(k in n)) out.push({ path: `${at}.${k}`, kind: "missing", old: label(o[k] as Shape) });
    else out.push(...diffShapes(o[k] as Shape, n[k] as Shape, `${at}.${k}`));
  }
  for (const k of Object.keys(n))
    if (!(k in o)) out.push({ path: `${at}.${k}`, kind: "extra", new: label(n[k] as Shape) });
  return out;
}

export interface ProbeResult {
  path: string;
  old: { status: number; json: boolean };
  new: { status: number; json: boolean };
  differences: Difference[];
  /** Status differs, or something the old answer has is missing or typed differently in the new. */
  noticeable: boolean;
}

async function probe(
  base: string,
  path: string,
  token?: string,
): Promise<{ status: number; body: unknown; json: boolean }> {
  const headers: Record<string, string> = {
    accept: "application/json",
    "user-agent": "nodebyte-cutover-compare",
  };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const res = await fetch(new URL(path, base), { headers, signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text), json: true };
    } catch {
      return { status: res.status, body: text, json: false };
    }
  } catch (err) {
    return { status: 0, body: String((err as Error).message), json: false };
  }
}

export async function compareBackends(opts: {
  old: string;
  new: string;
  token?: string;
  probes?: Probe[];
}): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const p of (opts.probes ?? PROBES).filter((x) => !x.admin || opts.token)) {
    const token = p.admin ? opts.token : undefined;
    const [a, b] = await Promise.all([probe(opts.old, p.path, token), probe(opts.new, p.path, token)]);
    const differences = a.json && b.json ? diffShapes(shapeOf(a.body), shapeOf(b.body)) : [];
    const noticeable =
      a.status !== b.status || a.json !== b.json || differences.some((d) => d.kind !== "extra");
    results.push({
      path: p.path,
      old: { status: a.status, json: a.json },
      new: { status: b.status, json: b.json },
      differences,
      noticeable,
    });
  }
  return results;
}

export function formatComparison(
  results: ProbeResult[],
  opts: { old: string; new: string; skippedAdmin: boolean },
): string {
  const lines = [`old: ${opts.old}`, `new: ${opts.new}`, ""];
  for (const r of results) {
    const mark = r.noticeable ? "DIFF" : "ok  ";
    lines.push(
      `${mark} GET ${r.path}  ${r.old.status} → ${r.new.status}${r.old.json !== r.new.json ? " (JSON on one side only)" : ""}`,
    );
    for (const d of r.differences) {
      if (d.kind === "missing") lines.push(`       - ${d.path} (${d.old}) missing in the new answer`);
      else if (d.kind === "type") lines.push(`       ~ ${d.path}: ${d.old} → ${d.new}`);
      else lines.push(`       + ${d.path} (${d.new}) only in the new answer`);
    }
  }
  const n = results.filter((r) => r.noticeable).length;
  lines.push("", `${results.length} requests, ${n} with differences the website could notice.`);
  if (opts.skippedAdmin)
    lines.push("admin lists skipped: pass --token <an admin access token> to compare them.");
  return lines.join("\n");
}
