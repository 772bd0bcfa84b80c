// What src/sentry.ts imports from the Sentry SDK, as one module: vitest.config.ts bundles this
// once per run (esbuild, like wrangler does for production) and aliases the SDK's specifiers to
// the bundle, so a test file loads the SDK in milliseconds instead of transforming its hundreds
// of files on its first invocation (seconds, which shifted time-sensitive tests). Keep the list
// in step with src/sentry.ts's imports (typecheck reads the real packages; a missing name fails
// every Sentry test).
export {
  CloudflareClient,
  captureException,
  continueTrace,
  createTransport,
  dedupeIntegration,
  getCurrentScope,
  getIsolationScope,
  linkedErrorsIntegration,
  setAsyncLocalStorageAsyncContextStrategy,
  setCurrentClient,
  setHttpStatus,
  startSpan,
  withIsolationScope,
  withScope,
} from "@sentry/cloudflare";
export { createStackParser } from "@sentry/core";
export { nodeStackLineParser } from "@sentry/core/server";
