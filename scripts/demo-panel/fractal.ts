// Demo panel: Pterodactyl's wire format: Fractal envelopes (PterodactylSerializer), Laravel's
// length-aware pagination (page/per_page parsing, meta.pagination, links), error bodies, PHP JSON.

export type Attributes = Record<string, unknown>;
export interface FractalItem {
  object: string;
  attributes: Attributes | null;
}
export interface FractalList {
  object: "list";
  data: FractalItem[];
  meta?: { pagination: Pagination };
}
export interface Pagination {
  total: number;
  count: number;
  per_page: number;
  current_page: number;
  total_pages: number;
  /** PHP's empty array is `[]`: Fractal sends `"links":[]` when there is neither previous nor next. */
  links: { previous?: string; next?: string } | never[];
}

export const item = (object: string, attributes: Attributes): FractalItem => ({ object, attributes });
export const nullResource = (): FractalItem => ({ object: "null_resource", attributes: null });
export const list = (object: string, rows: Attributes[]): FractalList => ({
  object: "list",
  data: rows.map((a) => item(object, a)),
});

/** Carbon's toAtomString() in UTC, as the application transformers format timestamps. */
export const atom = (iso: string) => `${iso.slice(0, 19)}+00:00`;
/** Laravel's default model serialisation (toArray()), used where a transformer returns toArray(). */
export const modelDate = (iso: string) => `${iso.slice(0, 19)}.000000Z`;

/** json_encode with Laravel's JsonResponse defaults: "/" escaped, non-ASCII as \uXXXX. */
export function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, "\\/")
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export interface ErrorEntry {
  code: string;
  status: string;
  detail: string;
  meta?: Record<string, unknown>;
}
export const errorBody = (code: string, status: number, detail: string) => ({
  errors: [{ code, status: String(status), detail }] as ErrorEntry[],
});

/** An answer a route produced before headers are added. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** A plain-text answer (file contents) instead of JSON. */
  raw?: string;
}
export const reply = (body: unknown, status = 200): Reply => ({ status, body });
export const fail = (status: number, code: string, detail: string): Reply => ({
  status,
  body: errorBody(code, status, detail),
});
export const notFound = () =>
  fail(404, "NotFoundHttpException", "The requested resource could not be found on the server.");
export const serverError = () =>
  fail(
    500,
    "ErrorException",
    "An unexpected error was encountered while processing this request, please try again.",
  );

const PHP_NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * per_page as Laravel reads it after TrimStrings/ConvertEmptyStringsToNull. Application API:
 * `per_page ?? 50`, no upper bound. Client API: `min(per_page ?? 50, 100)`. "0" (falsy in PHP)
 * falls back to the model default of 15; a negative size disables LIMIT (every row, one page);
 * a non-numeric or |n| < 1 size is a 500 in the application API.
 */
export function resolvePerPage(raw: string | null, max: number | null): number | "error" {
  const value = raw === null ? null : raw.trim() === "" ? "" : raw.trim();
  if (max === null) {
    if (value === null || value === "") return 50;
    if (value === "0") return 15;
    if (!PHP_NUMERIC.test(value)) return "error";
    const n = Math.trunc(Number(value));
    return n === 0 ? "error" : n;
  }
  if (value === null) return 50;
  if (value === "") return 15;
  if (!PHP_NUMERIC.test(value)) return max;
  const n = Number(value);
  if (value === "0") return 15;
  const chosen = Math.min(n, max);
  const truncated = Math.trunc(chosen);
  return truncated === 0 ? "error" : truncated;
}

/** Paginator::resolveCurrentPage: FILTER_VALIDATE_INT and ≥ 1, else 1. */
export function resolvePage(raw: string | null): number {
  const value = (raw ?? "").trim();
  if (!/^[+-]?(0|[1-9]\d*)$/.test(value)) return 1;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

/** A length-aware page of `rows` with Fractal's meta; `query` are the params Laravel appends to links. */
export function paginate<T>(
  rows: readonly T[],
  page: number,
  perPage: number,
  linkBase: string,
  query: [string, string][] = [],
): { rows: T[]; pagination: Pagination } {
  const total = rows.length;
  const slice = perPage < 0 ? rows.slice() : rows.slice((page - 1) * perPage, page * perPage);
  const totalPages = perPage < 0 ? 1 : Math.max(Math.ceil(total / perPage), 1);
  const url = (p: number) => {
    const params = new URLSearchParams();
    let placed = false;
    for (const [k, v] of query) {
      if (k === "page") {
        if (!placed) params.append("page", String(p));
        placed = true;
      } else params.append(k, v);
    }
    if (!placed) params.append("page", String(p));
    return `${linkBase}?${params.toString()}`;
  };
  const links: { previous?: string; next?: string } = {};
  if (page > 1) links.previous = url(page - 1);
  if (page < totalPages) links.next = url(page + 1);
  return {
    rows: slice,
    pagination: {
      total,
      count: slice.length,
      per_page: perPage,
      current_page: page,
      total_pages: totalPages,
      links: Object.keys(links).length > 0 ? links : [],
    },
  };
}
