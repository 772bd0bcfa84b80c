// Runs once per test run, in Node: starts Postgres (PGlite, or PG_BACKEND=system), applies the
// migrations, starts the Neon-protocol shim, and hands their addresses to the workers via provide().
import { readFileSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { startDemoPanel } from "../scripts/demo-panel/server.ts";
import { startFakeDiscord } from "../scripts/fakes/discord.ts";
import { startEventReceiver } from "../scripts/fakes/event-receiver.ts";
import { startFakeHytaleAccountData } from "../scripts/fakes/hytale-account-data.ts";
import { startFakeHytaleOAuth } from "../scripts/fakes/hytale-oauth.ts";
import { startFakeHytaleSessions } from "../scripts/fakes/hytale-sessions.ts";
import { startFakeResend } from "../scripts/fakes/resend.ts";
import { startFakeSentry } from "../scripts/fakes/sentry.ts";
import { startLocalDatabase } from "../scripts/lib/local-database.ts";
import { checkRunLogs } from "./log-leaks.ts";

import { TEST_SECRETS } from "./test-secrets.ts";

export const RESEND_TEST_KEY = TEST_SECRETS.RESEND_API_KEY;

/** The cron triggers declared in wrangler.toml (workerd cannot read the file; the test compares). */
function wranglerCrons(): string[] {
  const toml = readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8");
  const list = /^\s*crons\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (list === undefined) throw new Error("wrangler.toml declares no [triggers] crons");
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
}

export default function setup(project: TestProject) {
  return setupWith(project);
}

/** The run's services; `prepare` replaces the migrations (test/global-setup-adopted.ts adopts an upstream database). */
export async function setupWith(project: TestProject, prepare?: (url: string) => Promise<void>) {
  const db = await startLocalDatabase({ prepare });
  const { pg, shim } = db;
  project.provide("databaseUrl", pg.url);
  project.provide("neonFetchEndpoint", shim.endpoint);
  project.provide("pgBackend", pg.kind);
  const resend = await startFakeResend(RESEND_TEST_KEY);
  project.provide("resendUrl", resend.url);
  const discord = await startFakeDiscord();
  project.provide("discordUrl", discord.url);
  const receiver = await startEventReceiver();
  project.provide("eventReceiverUrl", receiver.url);
  // Hytale peers: a 1 s interval keeps device-flow tests short; account-data limits hard (30 per 2 s).
  const hytaleOAuth = await startFakeHytaleOAuth({ interval: 1 });
  const hytaleAccountData = await startFakeHytaleAccountData({
    ownerOf: (t) => hytaleOAuth.accessTokenOwner(t),
    limit: 30,
    windowMs: 2000,
  });
  project.provide("hytaleOauthUrl", hytaleOAuth.url);
  project.provide("hytaleAccountDataUrl", hytaleAccountData.url);
  // Sessions peer: a 2 s "timeout" fault keeps the 504 tests short (the client gives up sooner).
  const hytaleSessions = await startFakeHytaleSessions({
    ownerOf: (t) => hytaleOAuth.accessTokenOwner(t),
    timeoutMs: 2_000,
  });
  project.provide("hytaleSessionsUrl", hytaleSessions.url);
  const sentry = await startFakeSentry();
  project.provide("sentryUrl", sentry.url);
  project.provide("sentryDsn", sentry.dsn);
  // Big enough that every listing spans several 100-row pages.
  const panel = await startDemoPanel({
    sizes: { servers: 230, users: 150, allocations: 520, nodes: 3, locations: 2 },
    seed: 7,
    rateLimitPerMinute: 100_000,
  });
  project.provide("panelUrl", panel.url);
  project.provide("panelApplicationKey", panel.applicationKey);
  project.provide("panelClientKey", panel.clientKey);
  // A panel of its own for the server-control suites: they change power states, files and
  // server statuses, which the sync suites must not see.
  const controlPanel = await startDemoPanel({
    sizes: { servers: 8, users: 6, allocations: 200, nodes: 2, locations: 1 },
    seed: 17,
    rateLimitPerMinute: 100_000,
    // A restore long enough that a suite sees the server refuse actions while it runs.
    runtimeTiming: { backupMs: 150, restoreMs: 2_500 },
    // As in production the client key is an admin's: its websocket tokens carry the admin.* rights.
    clientKeyRootAdmin: true,
  });
  project.provide("controlPanelUrl", controlPanel.url);
  project.provide("controlPanelApplicationKey", controlPanel.applicationKey);
  project.provide("controlPanelClientKey", controlPanel.clientKey);
  // A panel of its own for the Hytale game-session suites: tokens are written into its servers.
  const hytalePanel = await startDemoPanel({
    sizes: { servers: 4, users: 3, allocations: 60, nodes: 1, locations: 1, variablesPerEgg: 3 },
    seed: 23,
    rateLimitPerMinute: 100_000,
  });
  project.provide("hytalePanelUrl", hytalePanel.url);
  project.provide("hytalePanelApplicationKey", hytalePanel.applicationKey);
  project.provide("hytalePanelClientKey", hytalePanel.clientKey);
  project.provide("wranglerCrons", wranglerCrons());
  console.log(`[global-setup] ${pg.kind} postgres at ${pg.url}, neon shim at ${shim.endpoint}`);
  return async () => {
    await resend.close();
    await discord.close();
    await receiver.close();
    await hytaleOAuth.close();
    await hytaleAccountData.close();
    await hytaleSessions.close();
    await hytalePanel.close();
    await sentry.close();
    await panel.close();
    await controlPanel.close();
    await db.stop();
    const { lines, leaks } = checkRunLogs(
      [
        panel.applicationKey,
        panel.clientKey,
        controlPanel.applicationKey,
        controlPanel.clientKey,
        hytalePanel.applicationKey,
        hytalePanel.clientKey,
      ],
      sentry.envelopes.map((e) => e.raw),
    );
    console.log(
      `[global-setup] searched ${lines} log lines and ${sentry.envelopes.length} Sentry envelopes of this run for secrets: ${leaks.length} found`,
    );
    if (leaks.length) {
      console.error(`secrets in the test run's logs: ${leaks.join("; ")}`);
      // A teardown error alone does not fail vitest's exit code.
      process.exitCode = 1;
      throw new Error(`secrets in the test run's logs: ${leaks.join("; ")}`);
    }
  };
}
