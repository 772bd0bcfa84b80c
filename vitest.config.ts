// Tests run inside workerd (@cloudflare/vitest-plugin) with real local Queues, DOs and crons;
// Postgres (PGlite or system) and the outside-service fakes are started by test/global-setup.ts.
import { mkdirSync } from "node:fs";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { buildSync } from "esbuild";
import { defineConfig } from "vitest/config";
import { logFile, recordLog } from "./test/log-leaks.ts";
import { TEST_SECRETS } from "./test/test-secrets.ts";

logFile(); // one log file per run, named in the environment global setup also sees

// The Sentry SDK pre-bundled into one module (test/sentry-sdk/entry.ts explains why).
const sentrySdk = new URL("./node_modules/.cache/sentry-sdk.mjs", import.meta.url).pathname;
mkdirSync(new URL("./node_modules/.cache/", import.meta.url).pathname, { recursive: true });
buildSync({
  entryPoints: [new URL("./test/sentry-sdk/entry.ts", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  platform: "neutral",
  mainFields: ["module", "main"],
  conditions: ["workerd", "worker", "production"],
  external: ["node:*", "cloudflare:*"],
  outfile: sentrySdk,
  minify: true,
  logLevel: "error",
});

export default defineConfig({
  resolve: {
    alias: [{ find: /^@sentry\/(cloudflare|core|core\/server)$/, replacement: sentrySdk }],
  },
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
          HYTALE_OAUTH_URL: inject("hytaleOauthUrl"),
          HYTALE_ACCOUNT_DATA_URL: inject("hytaleAccountDataUrl"),
          HYTALE_SESSIONS_URL: inject("hytaleSessionsUrl"),
          // Sentry is off here (SENTRY_DSN unset, as in a deployment without it); src/sentry.test.ts
          // turns it on for its own requests, jobs and Durable Object calls (the fake ingest).
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
    // Run by vitest.adopted.config.ts only (they read the upstream rows it seeds).
    exclude: ["test/adopted/**", "**/node_modules/**"],
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
