// drizzle-kit: generates SQL migrations into migrations/ from src/platform/db/schema.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/platform/db/schema/index.ts",
  out: "./migrations",
});
