// Tests run inside workerd (@cloudflare/vitest-plugin) with real local Queues, DOs and crons;
// Postgres (PGlite or system) and the outside-service fakes are started by test/global-setup.ts.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { logFile, recordLog } from "./test/log-leaks.ts";
import { TEST_SECRETS } from "./test/test-secrets.ts";

logFile(); // one log file per run, named in the environment global setup also sees

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      remoteBindings: false,
      miniflare: {
        compatibilityFlags: ["service_binding_extra_handlers"],
        bindings: {
          ENVIRONMENT: "test",
          DATABASE_URL: inject("databaseUrl"),
          NEON_FETCH_ENDPOINT: inject("neonFetchEndpoint"),
          JWT_SECRET: TEST_SECRETS.JWT_SECRET,
          ENCRYPTION_KEY: TEST_SECRETS.ENCRYPTION_KEY,
          BACKEND_API_KEY: TEST_SECRETS.BACKEND_API_KEY,
          PG_BACKEND: inject("pgBackend"),
          RESEND_URL: inject("resendUrl"),
          DISCORD_API_URL: inject("discordUrl"),
          // Every test runs with Sentry on (the fake ingest); every envelope is searched for secrets.
          // No tracing by default (src/sentry.test.ts traces its own requests and jobs).
          SENTRY_DSN: inject("sentryDsn"),
          SENTRY_TRACES_SAMPLE_RATE: "0",
          RESEND_API_KEY: TEST_SECRETS.RESEND_API_KEY,
          SITE_URL: "https://site.test",
          PTERODACTYL_URL: inject("panelUrl"),
          PTERODACTYL_API_KEY: inject("panelApplicationKey"),
          PTERODACTYL_CLIENT_API_KEY: inject("panelClientKey"),
        },
        queueConsumers: {
          "jobs-critical": { maxBatchTimeout: 0.05, retryDelay: 0 },
          "jobs-default": { maxBatchTimeout: 0.05, retryDelay: 0 },
          "jobs-low": { maxBatchTimeout: 0.05, retryDelay: 0 },
          "jobs-dlq": { maxBatchTimeout: 0.05, retryDelay: 0 },
        },
      },
    })),
  ],
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    // Every line the Worker logs goes to the run's log file; global teardown fails the run if a
    // secret, password, JWT or token value is in it.
    onConsoleLog(line) {
      recordLog(line);
    },
  },
});
