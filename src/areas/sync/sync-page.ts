// What a sync page is: the steps and their milestones, the cursor a step resumes from, a page's
// result (statements, counts, next cursor) and its rows as units that can be rebuilt for any
// subset (quarantine), and the context a step reads (database, panel, run, steps, dry run).
import type { SQL } from "drizzle-orm";
import type { Deps } from "../../platform/deps.ts";
import type { PanelDeps } from "../../services/panel/panel-client.ts";
import type { SweepStats } from "./sync-sweep.ts";

/** The listing steps of a full run; every run that lists something ends with the "sweep" step. */
export const STEPS = ["locations", "nodes", "allocations", "nests", "users", "servers"] as const;
export type StepName = (typeof STEPS)[number] | "sweep";

/** Overall progress when a step starts; the last listing step ends at 85, finalising reaches 100. */
export const MILESTONES: Record<StepName | "finalize" | "completed", number> = {
  locations: 0,
  nodes: 15,
  allocations: 30,
  nests: 45,
  users: 60,
  servers: 75,
  sweep: 85,
  finalize: 85,
  completed: 100,
};

export interface Cursor {
  page: number;
  /** allocations: the node ids to walk and the index of the current one. */
  nodeIds?: number[];
  nodeIndex?: number;
  /** sweep: the resource being swept, the last candidate id handled, its counts, refused resources. */
  resourceIndex?: number;
  afterId?: number;
  sweep?: SweepStats;
  refused?: string[];
}

/** A page's rows as units, so its statements can be rebuilt for any subset of them. */
export interface PageUnits<U = unknown> {
  resource: string;
  units: U[];
  id: (u: U) => number;
  build: (units: U[]) => SQL[];
  /** Panel ids this page lists per resource (dry runs record them). */
  seen: (units: U[]) => Record<string, number[]>;
}

export interface PageResult {
  statements: SQL[];
  processed: number;
  /** Items in the whole step listing, when known. */
  total: number;
  /** The next cursor within this step, or null when the step's listing is complete. */
  next: Cursor | null;
  message: string;
  /** Present for listing pages (absent for the sweep). */
  rows?: PageUnits;
  /** Merged into the run's metadata with the page. */
  patch?: Record<string, unknown>;
  /** Live events published once the page committed (e.g. a server's state the panel changed). */
  events?: { event: string; data: Record<string, unknown> }[];
}

/** A step reads the seam's database and the panel slice, for one run. */
export interface StepContext extends Pick<Deps, "db" | "log"> {
  panel: PanelDeps;
  syncId: string;
  /** The run's steps (which listings are complete when the sweep runs). */
  steps: readonly StepName[];
  dryRun: boolean;
}

export function unitsOf<U>(
  resource: string,
  units: U[],
  id: (u: U) => number,
  build: (units: U[]) => SQL[],
  seen?: (units: U[]) => Record<string, number[]>,
): PageUnits {
  const out: PageUnits<U> = {
    resource,
    units,
    id,
    build,
    seen: seen ?? ((us) => ({ [resource]: us.map(id) })),
  };
  return out as unknown as PageUnits;
}

export const nextPage = (page: number, totalPages: number): Cursor | null =>
  page < totalPages ? { page: page + 1 } : null;
