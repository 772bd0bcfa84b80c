// The whole schema, for drizzle (relational queries) and drizzle-kit (migrations).
export * from "./accounts.ts";
export * from "./hytale.ts";
export * from "./ops.ts";
export * from "./panel.ts";
