// Demo panel: listing queries as spatie/laravel-query-builder and Laravel's paginator run them:
// `filter[x]` (partial = case-insensitive substring, comma = OR), `sort`, then page/per_page.
import { fail, paginate, type Reply, reply, resolvePage, resolvePerPage, serverError } from "./fractal.ts";
import { type IncludeTree, renderList, type Transformer } from "./includes.ts";

export type FilterFn<T> = (row: T, values: string[]) => boolean;
export type SortKey<T> = (row: T) => number | string;

export interface ListQuery<T> {
  filters?: Record<string, FilterFn<T>>;
  sorts?: Record<string, SortKey<T>>;
}

/** AllowedFilter::partial: LOWER(column) LIKE %value% for any of the comma-separated values. */
export const partial =
  <T>(get: (row: T) => string | null): FilterFn<T> =>
  (row, values) => {
    const v = get(row);
    if (v === null) return false;
    const lower = v.toLowerCase();
    return values.some((x) => lower.includes(x.toLowerCase()));
  };

/** AllowedFilter::exact: column = value (IN for several). */
export const exact =
  <T>(get: (row: T) => string | number | null): FilterFn<T> =>
  (row, values) =>
    values.some((x) => String(get(row)) === x);

export function applyQuery<T>(rows: readonly T[], url: URL, q: ListQuery<T>): T[] | Reply {
  const allowedFilters = Object.keys(q.filters ?? {});
  const active: [FilterFn<T>, string[]][] = [];
  const unknown: string[] = [];
  for (const [key, raw] of url.searchParams) {
    const m = /^filter\[([^\]]+)\]$/.exec(key);
    if (!m?.[1]) continue;
    const fn = q.filters?.[m[1]];
    if (!fn) {
      unknown.push(m[1]);
      continue;
    }
    const values = raw
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== "");
    if (values.length > 0) active.push([fn, values]);
  }
  if (unknown.length > 0) {
    return fail(
      400,
      "InvalidFilterQuery",
      `Requested filter(s) \`${unknown.join(", ")}\` are not allowed. Allowed filter(s) are \`${allowedFilters.join(", ")}\`.`,
    );
  }
  let out = active.length === 0 ? rows.slice() : rows.filter((r) => active.every(([fn, v]) => fn(r, v)));
  const sort = url.searchParams.get("sort");
  if (sort) {
    const keys = sort.split(",").filter((s) => s !== "");
    const bad = keys.filter((k) => !q.sorts?.[k.replace(/^-/, "")]);
    if (bad.length > 0) {
      const allowed = Object.keys(q.sorts ?? {}).join(", ");
      return fail(
        400,
        "InvalidSortQuery",
        `Requested sort(s) \`${bad.join(", ")}\` is not allowed. Allowed sort(s) are \`${allowed}\`.`,
      );
    }
    out = out.sort((a, b) => {
      for (const k of keys) {
        const desc = k.startsWith("-");
        const get = q.sorts?.[k.replace(/^-/, "")];
        if (!get) continue;
        const x = get(a);
        const y = get(b);
        if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
      }
      return 0;
    });
  }
  return out;
}

export interface PageContext {
  url: URL;
  /** scheme://host/path used for pagination links. */
  linkBase: string;
  includes: IncludeTree;
}

/**
 * One page as a Fractal list. Application API: no per_page ceiling and links carry only `page`.
 * Client API (`client: true`): per_page capped at 100 and every query parameter kept in links.
 */
export function pageOf<T>(
  ctx: PageContext,
  rows: readonly T[],
  tr: Transformer<T>,
  key: string,
  client = false,
): Reply {
  const perPage = resolvePerPage(ctx.url.searchParams.get("per_page"), client ? 100 : null);
  if (perPage === "error") return serverError();
  const page = resolvePage(ctx.url.searchParams.get("page"));
  const query = client ? [...ctx.url.searchParams.entries()] : [];
  const { rows: slice, pagination } = paginate(rows, page, perPage, ctx.linkBase, query);
  return reply({ object: "list", data: renderList(tr, slice, key, ctx.includes), meta: { pagination } });
}

export function listQueried<T>(
  ctx: PageContext,
  rows: readonly T[],
  q: ListQuery<T>,
  tr: Transformer<T>,
  key: string,
  client = false,
): Reply {
  const filtered = applyQuery(rows, ctx.url, q);
  return Array.isArray(filtered) ? pageOf(ctx, filtered, tr, key, client) : filtered;
}
