// The whole database schema, one module per area, for the drizzle client (relational queries)
// and drizzle-kit (migrations). Relative imports keep `.ts` so Node's type stripping can load them.
export * from "./accounts.ts";
export * from "./hytale.ts";
export * from "./ops.ts";
export * from "./panel.ts";
export * from "./realtime.ts";
