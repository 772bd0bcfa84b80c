// What test/global-setup.ts provides to the tests (vitest provide/inject).
import "vitest";

declare module "vitest" {
  interface ProvidedContext {
    databaseUrl: string;
    neonFetchEndpoint: string;
    pgBackend: string;
    resendUrl: string;
    discordUrl: string;
    /** scripts/fakes/event-receiver.ts: verifies Standard Webhooks signatures independently. */
    eventReceiverUrl: string;
    /** The fake Hytale OAuth server. */
    hytaleOauthUrl: string;
    hytaleAccountDataUrl: string;
    /** scripts/fakes/hytale-sessions.ts: game sessions and the JWKS that signs them. */
    hytaleSessionsUrl: string;
    /** A third demo panel, only for the Hytale game-session suites. */
    hytalePanelUrl: string;
    hytalePanelApplicationKey: string;
    hytalePanelClientKey: string;
    /** The fake Sentry ingest (scripts/fakes/sentry.ts) and the DSN the Worker reports to. */
    sentryUrl: string;
    sentryDsn: string;
    panelUrl: string;
    panelApplicationKey: string;
    panelClientKey: string;
    /** A second demo panel, only for the server-control suites (src/areas/servers). */
    controlPanelUrl: string;
    controlPanelApplicationKey: string;
    controlPanelClientKey: string;
    /** The `[triggers] crons` of wrangler.toml. */
    wranglerCrons: string[];
  }
}
