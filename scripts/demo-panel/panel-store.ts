// Demo panel: PanelStore, the dataset's tables with lazily rebuilt indexes and the lookups shared
// by the mutation helpers (PanelData) and the routes.
import { buildIndexes, type PanelIndexes, type PanelTables, type Server, type User } from "./model.ts";
import { createRng, type Rng } from "./prng.ts";

export function fail(message: string): never {
  throw new Error(`demo panel: ${message}`);
}

export class PanelStore {
  readonly tables: PanelTables;
  protected cache: PanelIndexes | null = null;
  protected readonly rng: Rng;

  constructor(tables: PanelTables, seed = 1) {
    this.tables = tables;
    this.rng = createRng(seed ^ 0x5eed);
  }

  /** Lookup indexes, rebuilt lazily after any helper mutation (call touch() after direct edits). */
  get indexes(): PanelIndexes {
    if (!this.cache) this.cache = buildIndexes(this.tables);
    return this.cache;
  }

  touch(): void {
    this.cache = null;
  }

  now(): string {
    return new Date().toISOString();
  }

  protected nextId(table: Map<number, unknown>): number {
    let max = 0;
    for (const id of table.keys()) if (id > max) max = id;
    return max + 1;
  }

  user(id: number): User {
    return this.tables.users.get(id) ?? fail(`no user ${id}`);
  }

  server(id: number): Server {
    return this.tables.servers.get(id) ?? fail(`no server ${id}`);
  }

  /** Case-insensitive exact e-mail lookup (the panel's column is case-insensitive and unique). */
  userByEmail(email: string): User | undefined {
    const wanted = email.toLowerCase();
    for (const u of this.tables.users.values()) if (u.email.toLowerCase() === wanted) return u;
    return undefined;
  }
}
