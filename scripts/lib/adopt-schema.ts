// The schema half of `npm run db:adopt`: what must change in `public` so it is exactly what our
// migrations build. The reference is built by running our own migration files into a scratch
// schema inside the same (rolled-back or committed) transaction, and both are read from
// pg_catalog, so the comparison is Postgres's own rendering of types, defaults, indexes and
// constraints — no SQL is parsed or guessed. Tables, columns and indexes that only the target has
// are kept (nothing is lost), except what would make our writes fail (extra unique indexes, NOT
// NULL columns without a default), which is repaired and reported.

export type Query = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export const REF_SCHEMA = "adopt_ref";

export interface Step {
  /** create: new object; repair: an upstream quirk fixed; data: rows converted; keep: left alone (for the report). */
  kind: "create" | "repair" | "data" | "keep";
  what: string;
  sql: string[];
}

export interface Blocker {
  what: string;
}

export interface SchemaDiff {
  /** Run in this order: drops, then columns, then indexes, then constraints. */
  steps: Step[];
  blockers: Blocker[];
}

interface Column {
  table: string;
  column: string;
  type: string;
  notnull: boolean;
  default: string | null;
  identity: string;
}

interface IndexRow {
  table: string;
  name: string;
  /** pg_get_indexdef without the index name and schema: what the index is. */
  shape: string;
  def: string;
  contype: string | null;
  condef: string | null;
}

interface ConstraintRow {
  table: string;
  name: string;
  contype: string;
  def: string;
}

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
const strip = (s: string) => s.replaceAll(`${REF_SCHEMA}.`, "").replaceAll("public.", "");

async function tables(query: Query, schema: string): Promise<Set<string>> {
  const rows = await query(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind in ('r', 'p')`,
    [schema],
  );
  return new Set(rows.map((r) => String(r.name)));
}

async function columns(query: Query, schema: string): Promise<Column[]> {
  const rows = await query(
    `select c.relname as "table", a.attname as "column", format_type(a.atttypid, a.atttypmod) as type,
            a.attnotnull as notnull, pg_get_expr(d.adbin, d.adrelid) as "default", a.attidentity::text as identity
     from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
     left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where n.nspname = $1 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
     order by c.relname, a.attnum`,
    [schema],
  );
  return rows.map((r) => ({
    table: String(r.table),
    column: String(r.column),
    type: String(r.type),
    notnull: Boolean(r.notnull),
    default: r.default === null ? null : strip(String(r.default)),
    identity: String(r.identity ?? ""),
  }));
}

async function indexes(query: Query, schema: string): Promise<IndexRow[]> {
  const rows = await query(
    `select t.relname as "table", i.relname as name, pg_get_indexdef(i.oid) as def,
            con.contype::text as contype, pg_get_constraintdef(con.oid) as condef
     from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
     join pg_namespace n on n.oid = t.relnamespace
     left join pg_constraint con on con.conindid = i.oid and con.conrelid = t.oid and con.contype in ('p', 'u', 'x')
     where n.nspname = $1`,
    [schema],
  );
  return rows.map((r) => {
    const def = String(r.def);
    const shape = strip(def).replace(/^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ /, "CREATE $1INDEX ON _ ");
    return {
      table: String(r.table),
      name: String(r.name),
      def,
      shape,
      contype: r.contype === null ? null : String(r.contype),
      condef: r.condef === null ? null : String(r.condef),
    };
  });
}

async function constraints(query: Query, schema: string): Promise<ConstraintRow[]> {
  const rows = await query(
    `select t.relname as "table", con.conname as name, con.contype::text as contype, pg_get_constraintdef(con.oid) as def
     from pg_constraint con join pg_class t on t.oid = con.conrelid join pg_namespace n on n.oid = t.relnamespace
     where n.nspname = $1 and con.contype in ('f', 'c')`,
    [schema],
  );
  return rows.map((r) => ({
    table: String(r.table),
    name: String(r.name),
    contype: String(r.contype),
    def: strip(String(r.def)),
  }));
}

/** Builds the reference: the given migration statements run into REF_SCHEMA (inside the caller's transaction). */
export async function buildReference(query: Query, statements: string[]): Promise<void> {
  await query(`drop schema if exists ${REF_SCHEMA} cascade`);
  await query(`create schema ${REF_SCHEMA}`);
  await query(`set local search_path to ${REF_SCHEMA}`);
  try {
    for (const stmt of statements) await query(stmt.replaceAll('"public".', `"${REF_SCHEMA}".`));
  } finally {
    await query("set local search_path to public");
  }
}

export async function dropReference(query: Query): Promise<void> {
  await query(`drop schema if exists ${REF_SCHEMA} cascade`);
}

/** Converts a column's values to the reference type without losing any. */
function usingFor(column: string, from: string, to: string): string {
  const c = q(column);
  if (from === "timestamp without time zone" && to === "timestamp with time zone")
    return `${c} AT TIME ZONE 'UTC'`;
  if (to === "jsonb" && from !== "json") return `pg_temp.adopt_jsonb(${c}::text)`;
  return `${c}::${to}`;
}

/** Text that is JSON stays that JSON; empty text is `{}`; other text is kept as `{"text": …}`. */
export const JSONB_HELPER = `create or replace function pg_temp.adopt_jsonb(v text) returns jsonb language plpgsql as $$
begin
  if v is null then return null; end if;
  if btrim(v) = '' then return '{}'::jsonb; end if;
  return v::jsonb;
exception when others then
  return jsonb_build_object('text', v);
end $$`;

function indexColumns(def: string): { cols: string[]; where?: string } | undefined {
  const m = /USING \w+ \((.+?)\)(?: WHERE (.+))?$/.exec(def);
  if (!m?.[1]) return undefined;
  const cols = m[1].split(/,\s*/).map((c) => c.replace(/\s+(ASC|DESC|NULLS (FIRST|LAST))\b/g, "").trim());
  return { cols, where: m[2] };
}

async function duplicateCount(
  query: Query,
  table: string,
  def: string,
  present: Set<string>,
): Promise<number> {
  const parsed = indexColumns(strip(def));
  if (!parsed) return 0;
  // A column still to be added holds only NULLs: nothing can collide.
  const names = parsed.cols.flatMap((c) =>
    [...c.matchAll(/"([^"]+)"|\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)].map((m) => m[1] ?? m[2]),
  );
  if (names.some((n) => n !== undefined && !present.has(n))) return 0;
  const filters = [...parsed.cols.map((c) => `(${c}) is not null`), ...(parsed.where ? [parsed.where] : [])];
  const rows = await query(
    `select count(*)::int as n from (select 1 from public.${q(table)} where ${filters.join(" and ")}
     group by ${parsed.cols.join(", ")} having count(*) > 1) d`,
  );
  return Number(rows[0]?.n ?? 0);
}

function fkParts(def: string): { cols: string; refTable: string; refCols: string } | undefined {
  const m = /^FOREIGN KEY \((.+?)\) REFERENCES (\S+?)\((.+?)\)/.exec(def);
  return m ? { cols: m[1] as string, refTable: m[2] as string, refCols: m[3] as string } : undefined;
}

/** What must run so `public` matches REF_SCHEMA (which buildReference made). */
export async function diffSchema(query: Query, createStatements: Map<string, string>): Promise<SchemaDiff> {
  const steps: Step[] = [];
  const blockers: Blocker[] = [];
  const drops: Step[] = [];
  const cols: Step[] = [];
  const idx: Step[] = [];
  const cons: Step[] = [];

  const [refTables, tgtTables] = [await tables(query, REF_SCHEMA), await tables(query, "public")];
  const [refCols, tgtCols] = [await columns(query, REF_SCHEMA), await columns(query, "public")];
  const [refIdx, tgtIdx] = [await indexes(query, REF_SCHEMA), await indexes(query, "public")];
  const [refCon, tgtCon] = [await constraints(query, REF_SCHEMA), await constraints(query, "public")];

  for (const table of [...refTables].sort()) {
    if (!tgtTables.has(table)) {
      const create = createStatements.get(table);
      if (!create) {
        blockers.push({ what: `table ${table} is missing and no migration creates it` });
        continue;
      }
      steps.push({ kind: "create", what: `create table ${table}`, sql: [create] });
      for (const r of refIdx.filter((i) => i.table === table && i.contype === null)) {
        idx.push({
          kind: "create",
          what: `create index ${r.name}`,
          sql: [r.def.replaceAll(`${REF_SCHEMA}.`, "public.")],
        });
      }
      for (const r of refCon.filter((c) => c.table === table && c.contype === "f")) {
        cons.push({
          kind: "create",
          what: `add foreign key ${r.name}`,
          sql: [`ALTER TABLE public.${q(table)} ADD CONSTRAINT ${q(r.name)} ${r.def}`],
        });
      }
      continue;
    }
    const rows = Number((await query(`select count(*)::int as n from public.${q(table)}`))[0]?.n ?? 0);

    // Columns.
    const mine = tgtCols.filter((c) => c.table === table);
    for (const r of refCols.filter((c) => c.table === table)) {
      const t = mine.find((c) => c.column === r.column);
      const col = `public.${q(table)}`;
      const name = `${table}.${r.column}`;
      if (!t) {
        if (r.notnull && r.default === null && !r.identity && rows > 0) {
          blockers.push({
            what: `${name} is missing, NOT NULL without a default, and ${table} has ${rows} rows`,
          });
          continue;
        }
        const ident = r.identity ? " GENERATED ALWAYS AS IDENTITY" : "";
        const def = r.default !== null ? ` DEFAULT ${r.default}` : "";
        cols.push({
          kind: "create",
          what: `add column ${name} ${r.type}`,
          sql: [
            `ALTER TABLE ${col} ADD COLUMN ${q(r.column)} ${r.type}${ident}${def}${r.notnull ? " NOT NULL" : ""}`,
          ],
        });
        continue;
      }
      let targetDefault = t.default;
      const shownDefault = t.default;
      const sqls: string[] = [];
      const notes: string[] = [];
      if (t.type !== r.type) {
        if (targetDefault !== null) sqls.push(`ALTER TABLE ${col} ALTER COLUMN ${q(r.column)} DROP DEFAULT`);
        targetDefault = null;
        sqls.push(
          `ALTER TABLE ${col} ALTER COLUMN ${q(r.column)} TYPE ${r.type} USING ${usingFor(r.column, t.type, r.type)}`,
        );
        notes.push(`type ${t.type} → ${r.type}`);
      }
      if (r.identity && !t.identity) {
        const seq = await query(`select pg_get_serial_sequence($1, $2) as s`, [
          `public.${q(table)}`,
          r.column,
        ]);
        const refSeq = await query(`select pg_get_serial_sequence($1, $2) as s`, [
          `${REF_SCHEMA}.${q(table)}`,
          r.column,
        ]);
        const max = await query(`select coalesce(max(${q(r.column)}), 0)::bigint + 1 as n from ${col}`);
        if (targetDefault !== null) sqls.push(`ALTER TABLE ${col} ALTER COLUMN ${q(r.column)} DROP DEFAULT`);
        if (seq[0]?.s) sqls.push(`DROP SEQUENCE IF EXISTS ${String(seq[0].s)}`);
        const seqName = String(refSeq[0]?.s ?? `${table}_${r.column}_seq`).replace(`${REF_SCHEMA}.`, "");
        sqls.push(
          `ALTER TABLE ${col} ALTER COLUMN ${q(r.column)} ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME ${seqName} START WITH ${String(max[0]?.n ?? 1)})`,
        );
        targetDefault = null;
        notes.push("serial → identity");
      } else if (!r.identity && targetDefault !== r.default) {
        sqls.push(
          r.default === null
            ? `ALTER TABLE ${col} ALTER COLUMN ${q(r.column)} DROP DEFAULT`
            : `ALTER TABLE ${col} ALTER COLUMN ${q(r.column)} SET DEFAULT ${r.default}`,
        );
        notes.push(`default ${shownDefault ?? "none"} → ${r.default ?? "none"}`);
      }
      if (r.notnull && !t.notnull) {
        const nulls = Number(
          (await query(`select count(*)::int as n from ${col} where ${q(r.column)} is null`))[0]?.n ?? 0,
        );
        if (nulls > 0 && r.default === null && !r.identity) {
          blockers.push({
            what: `${name} must be NOT NULL but ${nulls} rows hold NULL and there is no default`,
          });
          continue;
        }
        if (nulls > 0 && r.default !== null) {
          sqls.push(`UPDATE ${col} SET ${q(r.column)} = ${r.default} WHERE ${q(r.column)} IS NULL`);
          notes.push(`${nulls} NULLs set to ${r.default}`);
        }
        sqls.push(`ALTER TABLE ${col} ALTER COLUMN ${q(r.column)} SET NOT NULL`);
        notes.push("NOT NULL");
      } else if (!r.notnull && t.notnull) {
        sqls.push(`ALTER TABLE ${col} ALTER COLUMN ${q(r.column)} DROP NOT NULL`);
        notes.push("nullable");
      }
      if (sqls.length) cols.push({ kind: "repair", what: `${name}: ${notes.join(", ")}`, sql: sqls });
    }
    for (const t of mine.filter((c) => !refCols.some((r) => r.table === table && r.column === c.column))) {
      if (t.notnull && t.default === null && !t.identity) {
        cols.push({
          kind: "repair",
          what: `${table}.${t.column} (not ours): NOT NULL without a default would refuse our inserts → nullable`,
          sql: [`ALTER TABLE public.${q(table)} ALTER COLUMN ${q(t.column)} DROP NOT NULL`],
        });
      } else steps.push({ kind: "keep", what: `${table}.${t.column} (not ours) kept`, sql: [] });
    }

    // Indexes, primary keys and unique constraints.
    const tIdx = tgtIdx.filter((i) => i.table === table);
    const matched = new Set<string>();
    const refNames = new Set(refIdx.filter((i) => i.table === table).map((i) => i.name));
    const dropIndex = (t: IndexRow) =>
      t.contype
        ? `ALTER TABLE public.${q(table)} DROP CONSTRAINT ${q(t.name)}`
        : `DROP INDEX public.${q(t.name)}`;
    const createIndex = async (r: IndexRow, why: string) => {
      if (r.def.startsWith("CREATE UNIQUE")) {
        const dups = await duplicateCount(query, table, r.def, new Set(mine.map((c) => c.column)));
        if (dups > 0) {
          blockers.push({
            what: `${r.name}: ${dups} duplicate key(s) in ${table} (${indexColumns(strip(r.def))?.cols.join(", ")})`,
          });
          return;
        }
      }
      idx.push({
        kind: why === "create" ? "create" : "repair",
        what: `${why === "create" ? "create" : why} ${r.contype === "p" ? "primary key" : r.contype === "u" ? "unique constraint" : "index"} ${r.name}`,
        sql: [
          r.contype && r.condef
            ? `ALTER TABLE public.${q(table)} ADD CONSTRAINT ${q(r.name)} ${r.condef}`
            : r.def.replaceAll(`${REF_SCHEMA}.`, "public."),
        ],
      });
    };
    for (const r of refIdx.filter((i) => i.table === table)) {
      const same = tIdx.find((t) => t.name === r.name);
      if (same) {
        matched.add(same.name);
        if (same.shape === r.shape && same.contype === r.contype) continue;
        drops.push({
          kind: "repair",
          what: `${table}: replace ${same.name} (${same.shape})`,
          sql: [dropIndex(same)],
        });
        await createIndex(r, "replace with");
        continue;
      }
      const twin = tIdx.find((t) => !matched.has(t.name) && !refNames.has(t.name) && t.shape === r.shape);
      if (twin) {
        matched.add(twin.name);
        if (twin.contype === r.contype) {
          idx.push({
            kind: "repair",
            what: `${table}: rename ${twin.name} → ${r.name}`,
            sql: [
              twin.contype
                ? `ALTER TABLE public.${q(table)} RENAME CONSTRAINT ${q(twin.name)} TO ${q(r.name)}`
                : `ALTER INDEX public.${q(twin.name)} RENAME TO ${q(r.name)}`,
            ],
          });
          continue;
        }
        drops.push({
          kind: "repair",
          what: `${table}: drop ${twin.name} (${twin.contype ?? "index"})`,
          sql: [dropIndex(twin)],
        });
      }
      await createIndex(r, "create");
    }
    for (const t of tIdx.filter((i) => !matched.has(i.name))) {
      if (t.contype === "p" || t.contype === "u" || t.def.startsWith("CREATE UNIQUE")) {
        drops.push({
          kind: "repair",
          what: `${table}: drop unique ${t.name} (${t.shape.replace("CREATE UNIQUE INDEX ON _ ", "")}), which our schema does not have`,
          sql: [dropIndex(t)],
        });
      } else steps.push({ kind: "keep", what: `${table}: index ${t.name} (not ours) kept`, sql: [] });
    }

    // Foreign keys and checks.
    const tCon = tgtCon.filter((c) => c.table === table);
    const conMatched = new Set<string>();
    for (const r of refCon.filter((c) => c.table === table)) {
      const same = tCon.find((t) => t.name === r.name && t.contype === r.contype);
      if (same?.def === r.def) {
        conMatched.add(same.name);
        continue;
      }
      const twin =
        tCon.find((t) => !conMatched.has(t.name) && t.contype === r.contype && t.def === r.def) ??
        (r.contype === "f"
          ? tCon.find((t) => {
              const a = fkParts(t.def);
              const b = fkParts(r.def);
              return (
                !conMatched.has(t.name) &&
                t.contype === "f" &&
                a &&
                b &&
                a.cols === b.cols &&
                a.refTable === b.refTable
              );
            })
          : undefined);
      const existing = same ?? twin;
      if (existing) conMatched.add(existing.name);
      if (existing && existing.def === r.def) {
        cons.push({
          kind: "repair",
          what: `${table}: rename ${existing.name} → ${r.name}`,
          sql: [`ALTER TABLE public.${q(table)} RENAME CONSTRAINT ${q(existing.name)} TO ${q(r.name)}`],
        });
        continue;
      }
      if (existing) {
        drops.push({
          kind: "repair",
          what: `${table}: ${existing.name} ${existing.def} → ${r.def}`,
          sql: [`ALTER TABLE public.${q(table)} DROP CONSTRAINT ${q(existing.name)}`],
        });
      } else if (r.contype === "f") {
        const fk = fkParts(r.def);
        if (fk && !fk.cols.includes(",")) {
          const orphans = Number(
            (
              await query(
                `select count(*)::int as n from public.${q(table)} t where t.${fk.cols} is not null
                 and not exists (select 1 from public.${fk.refTable} r where r.${fk.refCols} = t.${fk.cols})`,
              )
            )[0]?.n ?? 0,
          );
          if (orphans > 0) {
            blockers.push({
              what: `${table}.${fk.cols}: ${orphans} rows name a missing ${fk.refTable} row (${r.name})`,
            });
            continue;
          }
        }
      } else {
        const bad = Number(
          (
            await query(
              `select count(*)::int as n from public.${q(table)} where not ${r.def.replace(/^CHECK /, "")}`,
            )
          )[0]?.n ?? 0,
        );
        if (bad > 0) {
          blockers.push({ what: `${table}: ${bad} rows break ${r.name} ${r.def}` });
          continue;
        }
      }
      cons.push({
        kind: existing ? "repair" : "create",
        what: `${table}: add ${r.contype === "f" ? "foreign key" : "check"} ${r.name}`,
        sql: [`ALTER TABLE public.${q(table)} ADD CONSTRAINT ${q(r.name)} ${r.def}`],
      });
    }
    for (const t of tCon.filter((c) => !conMatched.has(c.name))) {
      steps.push({ kind: "keep", what: `${table}: constraint ${t.name} (not ours) kept: ${t.def}`, sql: [] });
    }
  }
  const creates = steps.filter((s) => s.kind === "create");
  const keeps = steps.filter((s) => s.kind === "keep");
  return { steps: [...creates, ...drops, ...cols, ...idx, ...cons, ...keeps], blockers };
}
