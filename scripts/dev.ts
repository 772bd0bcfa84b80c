// `npm run dev`: embedded Postgres (persisted under .data/, `--reset` wipes it) + migrations +
// the Neon-protocol shim, then `wrangler dev --test-scheduled` pointed at them. Ctrl-C stops all.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDemoPanel } from "./demo-panel/server.ts";
import { startFakeDiscord } from "./fakes/discord.ts";
import { type ReceivedEvent, startEventReceiver } from "./fakes/event-receiver.ts";
import { startFakeHytaleAccountData } from "./fakes/hytale-account-data.ts";
import { startFakeHytaleOAuth } from "./fakes/hytale-oauth.ts";
import { startFakeHytaleSessions } from "./fakes/hytale-sessions.ts";
import { startFakeResend } from "./fakes/resend.ts";
import { startFakeSentry } from "./fakes/sentry.ts";
import { startDevCron } from "./lib/dev-cron.ts";
import { clearDevState, dataDir, readDevState, repoRoot, writeDevState } from "./lib/dev-state.ts";
import { startLocalDatabase } from "./lib/local-database.ts";
import { backendFromEnv } from "./lib/postgres.ts";

const args = process.argv.slice(2);
const kind = backendFromEnv();
const pgDir = join(dataDir, kind === "system" ? "system-pg" : "pglite");
const port = Number(process.env.PORT ?? 8787);

if (readDevState()) {
  console.error("npm run dev is already running (see .data/dev-server.json).");
  process.exit(1);
}
if (args.includes("--reset")) {
  rmSync(pgDir, { recursive: true, force: true });
  rmSync(join(repoRoot, ".wrangler", "state"), { recursive: true, force: true });
  console.log(`[dev] reset local data in ${pgDir}`);
}

/** Dev defaults; any of these (and every SPEC §3 name) may be overridden from the environment. */
const DEV_DEFAULTS: Record<string, string> = {
  ENVIRONMENT: "development",
  JWT_SECRET: "dev-only-jwt-secret-change-me-0123456789abcdef",
  ENCRYPTION_KEY: "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=",
};
const PASSTHROUGH = [
  "JWT_SECRET",
  "NEXTAUTH_SECRET",
  "ENCRYPTION_KEY",
  "ENCRYPTION_KEYS",
  "BACKEND_API_KEY",
  "CORS_ORIGINS",
  "PTERODACTYL_URL",
  "PTERODACTYL_API_KEY",
  "PTERODACTYL_CLIENT_API_KEY",
  "CF_ACCESS_CLIENT_ID",
  "CF_ACCESS_CLIENT_SECRET",
  "HYTALE_USE_STAGING",
  "HYTALE_OAUTH_URL",
  "HYTALE_ACCOUNT_DATA_URL",
  "HYTALE_SESSIONS_URL",
  "RESEND_API_KEY",
  "EMAIL_FROM",
  "RESEND_URL",
  "SITE_URL",
  "SENTRY_DSN",
  "DISCORD_API_URL",
];

const db = await startLocalDatabase({ kind, dataDir: pgDir });
const { pg, shim } = db;
console.log(`[dev] ${pg.kind} postgres (data in ${pgDir}) migrated; neon /sql shim at ${shim.endpoint}`);

const vars: Record<string, string> = { ...DEV_DEFAULTS };
for (const key of PASSTHROUGH) {
  const v = process.env[key];
  if (v) vars[key] = v;
}
Object.assign(vars, db.workerVars);

// No real panel configured: serve the demo Pterodactyl panel, so a sync works out of the box.
const demoPanel = process.env.PTERODACTYL_URL
  ? undefined
  : await startDemoPanel({
      seed: Number(process.env.DEMO_PANEL_SEED ?? 1),
      sizes: {
        servers: Number(process.env.DEMO_PANEL_SERVERS ?? 40),
        users: Number(process.env.DEMO_PANEL_USERS ?? 25),
        allocations: Number(process.env.DEMO_PANEL_ALLOCATIONS ?? 120),
      },
    });
if (demoPanel) {
  vars.PTERODACTYL_URL = demoPanel.url;
  vars.PTERODACTYL_API_KEY = demoPanel.applicationKey;
  vars.PTERODACTYL_CLIENT_API_KEY = demoPanel.clientKey;
  console.log(`[dev] demo Pterodactyl panel at ${demoPanel.url} (set PTERODACTYL_URL to use a real one)`);
}

// No Resend key: a local mail catcher prints each e-mail's subject and link here.
const mailCatcher = process.env.RESEND_API_KEY
  ? undefined
  : await startFakeResend("re_dev_mail_catcher", {
      onEmail: (e) =>
        console.log(
          `[mail] to ${e.to.join(", ")}: ${e.subject} — ${/https?:\/\/\S+/.exec(e.text)?.[0] ?? ""}`,
        ),
    });
if (mailCatcher) {
  vars.RESEND_URL = mailCatcher.url;
  vars.RESEND_API_KEY = "re_dev_mail_catcher";
}

// No DISCORD_API_URL: Discord posts go to a local fake that accepts any webhook and prints each
// embed here (set DISCORD_API_URL=https://discord.com to post for real).
const discordFake = process.env.DISCORD_API_URL
  ? undefined
  : await startFakeDiscord({
      acceptAny: true,
      onMessage: (m) =>
        console.log(
          `[dev] discord ← webhook ${m.webhookId}: ${m.body.embeds?.map((e) => e.title).join(" | ") ?? ""}`,
        ),
    });
if (discordFake) vars.DISCORD_API_URL = discordFake.url;

// A local receiver for signed events: register http://127.0.0.1:<port>/hooks/<name> as an endpoint
// (POST /api/admin/webhooks/endpoints); give it the secret (POST /__secrets {path, secrets}) and it
// prints whether each signature verifies.
const onEvent = (e: ReceivedEvent) =>
  console.log(
    `[dev] event ← ${e.path} ${e.id}: ${(JSON.parse(e.body || "{}") as { type?: string }).type ?? "?"} (signature ${
      e.verified === null
        ? "not checked: POST the secret to /__secrets"
        : e.verified
          ? "verified"
          : `refused: ${e.reason}`
    })`,
  );
// A fixed port (8789, or EVENT_RECEIVER_PORT) so the README's example URL works; any free one if taken.
const eventReceiver = await startEventReceiver({
  port: Number(process.env.EVENT_RECEIVER_PORT ?? 8789),
  onEvent,
}).catch(() => startEventReceiver({ onEvent }));
// No Hytale hosts configured: local OAuth and account-data peers. Approve a device code with the
// curl line printed for it (or open its verification address).
const hytaleFakes =
  process.env.HYTALE_OAUTH_URL || process.env.HYTALE_USE_STAGING
    ? undefined
    : await (async () => {
        const oauth = await startFakeHytaleOAuth({
          onDeviceCode: (c) =>
            console.log(
              `[dev] hytale device code ${c.userCode}: approve with  curl -X POST ${oauth.url}/__approve -d '{"user_code":"${c.userCode}"}'  (or deny: /__deny)`,
            ),
        });
        const accountData = await startFakeHytaleAccountData({ ownerOf: (t) => oauth.accessTokenOwner(t) });
        const sessions = await startFakeHytaleSessions({ ownerOf: (t) => oauth.accessTokenOwner(t) });
        return { oauth, accountData, sessions };
      })();
if (hytaleFakes) {
  vars.HYTALE_OAUTH_URL = hytaleFakes.oauth.url;
  vars.HYTALE_ACCOUNT_DATA_URL = hytaleFakes.accountData.url;
  vars.HYTALE_SESSIONS_URL ??= hytaleFakes.sessions.url;
  console.log(
    `[dev] local Hytale OAuth peer at ${hytaleFakes.oauth.url}, account-data at ${hytaleFakes.accountData.url}, sessions at ${hytaleFakes.sessions.url} (set HYTALE_OAUTH_URL or HYTALE_USE_STAGING for real hosts)`,
  );
}
// No SENTRY_DSN: error reports go to a local fake ingest that prints each event's type, message
// and tags here (set SENTRY_DSN to report to a real project).
const sentryFake = process.env.SENTRY_DSN
  ? undefined
  : await startFakeSentry({
      onEnvelope: (e) => {
        for (const item of e.items) {
          if (item.header.type !== "event") continue;
          const ev = item.payload as {
            exception?: { values?: { type?: string; value?: string }[] };
            tags?: Record<string, string>;
          };
          const ex = ev.exception?.values?.at(-1);
          console.log(`[sentry] ${ex?.type ?? "event"}: ${ex?.value ?? ""} ${JSON.stringify(ev.tags ?? {})}`);
        }
      },
    });
if (sentryFake) vars.SENTRY_DSN = sentryFake.dsn;

const wranglerArgs = [
  "dev",
  "--ip",
  "127.0.0.1",
  "--port",
  String(port),
  "--test-scheduled",
  "--show-interactive-dev-session=false",
];
// Secrets never go on the command line (any local user could read them in `ps`): wrangler reads
// them from an env file only this user can read.
const envFile = join(dataDir, "dev.env");
mkdirSync(dataDir, { recursive: true });
writeFileSync(
  envFile,
  `${Object.entries(vars)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join("\n")}\n`,
  { mode: 0o600 },
);
chmodSync(envFile, 0o600);
wranglerArgs.push("--env-file", envFile);

const wrangler: ChildProcess = spawn(join(repoRoot, "node_modules", ".bin", "wrangler"), wranglerArgs, {
  cwd: repoRoot,
  stdio: "inherit",
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});
const workerUrl = `http://127.0.0.1:${port}`;
writeDevState({
  pid: process.pid,
  databaseUrl: pg.url,
  shimEndpoint: shim.endpoint,
  workerUrl,
  pgBackend: pg.kind,
});
console.log(
  `[dev] worker starting at ${workerUrl} (docs: ${workerUrl}/docs; crons: ${workerUrl}/__scheduled?cron=0+3+*+*+*)`,
);
console.log(
  `[dev] sent mail, Discord posts and signed events: ${workerUrl}/__dev/outbox; event receiver at ${eventReceiver.url}/hooks/<name>`,
);

// Crons never fire under wrangler dev: run the */5 one (sync watchdog, auto-sync) ourselves.
const stopCron = startDevCron(workerUrl);

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  stopCron();
  if (wrangler.exitCode === null) wrangler.kill("SIGTERM");
  await new Promise((r) => (wrangler.exitCode === null ? wrangler.once("exit", r) : r(null)));
  await demoPanel?.close();
  await mailCatcher?.close();
  await discordFake?.close();
  await eventReceiver.close();
  await hytaleFakes?.oauth.close();
  await hytaleFakes?.accountData.close();
  await hytaleFakes?.sessions.close();
  await sentryFake?.close();
  await db.stop();
  clearDevState();
  console.log("[dev] stopped");
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
wrangler.on("exit", (code) => void shutdown(code ?? 0));
