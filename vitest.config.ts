// Tests run inside workerd (@cloudflare/vitest-plugin) with real local Queues, DOs and crons;
// Postgres (PGlite or system) and the outside-service fakes are started by test/global-setup.ts.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

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
          JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789",
          ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
          BACKEND_API_KEY: "test-backend-api-key",
          PG_BACKEND: inject("pgBackend"),
          RESEND_URL: inject("resendUrl"),
          RESEND_API_KEY: "re_test_key_0123456789",
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
  },
});
