// The adopted run: the API's tests that read the tables upstream created, against a database that
// `db:adopt` took over from upstream's schema and rows (test/global-setup-adopted.ts), plus
// test/adopted/ (upstream sessions, secrets and rows through the API).
import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

export const ADOPTED_TESTS = [
  "test/adopted/**/*.test.ts",
  "src/areas/auth/auth.test.ts",
  "src/areas/admin/users.test.ts",
  "src/areas/admin/infra.test.ts",
  "src/areas/settings/settings.test.ts",
  "src/areas/stats/stats.test.ts",
  "src/areas/dashboard/dashboard.test.ts",
];

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ADOPTED_TESTS,
    exclude: ["**/node_modules/**"],
    globalSetup: ["./test/global-setup-adopted.ts"],
  },
});
