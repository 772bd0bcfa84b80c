// Demo panel: Fractal's include machinery: parsing `?include=` (nested with dots, depth-limited like
// limitRecursion(2)) and rendering a transformer's attributes plus `attributes.relationships`.
import { type Attributes, type FractalItem, type FractalList, item, nullResource } from "./fractal.ts";

export type IncludeTree = Map<string, IncludeTree>;

/** `include=a,b.c` (or include[]=…) → {a:{}, b:{c:{}}}; segments past `depth` are dropped. */
export function parseIncludes(values: string[], depth = 2): IncludeTree {
  const root: IncludeTree = new Map();
  for (const value of values) {
    for (const raw of value.split(",")) {
      const path = raw.trim().split(":")[0]?.trim() ?? "";
      if (path === "") continue;
      let node = root;
      for (const segment of path.split(".").slice(0, depth)) {
        if (segment === "") break;
        let next = node.get(segment);
        if (!next) {
          next = new Map();
          node.set(segment, next);
        }
        node = next;
      }
    }
  }
  return root;
}

/** What an include method returns: rendered lazily with the sub-tree of includes under it. */
export type Relation = (sub: IncludeTree) => FractalItem | FractalList;

export interface Transformer<T> {
  attributes(row: T): Attributes;
  /** availableIncludes, in declaration order (Fractal emits relationships in this order). */
  includes?: Record<string, (row: T) => Relation>;
  /** defaultIncludes, always present. */
  defaults?: Record<string, (row: T) => Relation>;
}

export function render<T>(tr: Transformer<T>, row: T, requested: IncludeTree): Attributes {
  const attrs = tr.attributes(row);
  const relationships: Record<string, FractalItem | FractalList> = {};
  for (const [name, include] of Object.entries(tr.defaults ?? {})) {
    relationships[name] = include(row)(requested.get(name) ?? new Map());
  }
  for (const [name, include] of Object.entries(tr.includes ?? {})) {
    const sub = requested.get(name);
    if (sub) relationships[name] = include(row)(sub);
  }
  if (Object.keys(relationships).length > 0) attrs.relationships = relationships;
  return attrs;
}

export const one =
  <T>(tr: Transformer<T>, row: T | undefined, key: string): Relation =>
  (sub) =>
    row === undefined ? nullResource() : item(key, render(tr, row, sub));

export const many =
  <T>(tr: Transformer<T>, rows: readonly T[], key: string): Relation =>
  (sub) => ({ object: "list", data: rows.map((r) => item(key, render(tr, r, sub))) });

export const nothing: Relation = () => nullResource();

export const renderList = <T>(tr: Transformer<T>, rows: readonly T[], key: string, inc: IncludeTree) =>
  rows.map((r) => item(key, render(tr, r, inc)));
