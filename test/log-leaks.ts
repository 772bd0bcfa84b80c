// Node side of the log check: every console line the Worker writes during a test run is appended
// to one file (vitest.config.ts onConsoleLog); global teardown searches it for the run's secrets,
// passwords, JWTs and unredacted token/ticket/api_key values, and fails the run if any is there.
import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_PASSWORDS, TEST_SECRETS } from "./test-secrets.ts";

export function logFile(): string {
  process.env.NB_TEST_LOG_FILE ??= join(tmpdir(), `nb-test-log-${process.pid}-${Date.now()}.txt`);
  return process.env.NB_TEST_LOG_FILE;
}

export function recordLog(line: string): void {
  appendFileSync(logFile(), `${line}\n`);
}

const PATTERNS: [string, RegExp][] = [
  ["a JWT", /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/],
  [
    "a token query value",
    /[?&](?:token|ticket|api_key|access_token|refresh_token)=(?!\[redacted\])[^&\s"]{6,}/i,
  ],
  ["a bearer credential", /bearer\s+[\w-]{16,}/i],
  ["a webhook signing secret", /whsec_[A-Za-z0-9+/]{16,}/],
];

/** What leaked into the run's logs (empty when nothing did). */
export function findLeaks(text: string, extra: readonly string[] = []): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(TEST_SECRETS))
    if (text.includes(value)) found.push(`the ${name} value`);
  for (const p of [...TEST_PASSWORDS, ...extra])
    if (p && text.includes(p)) found.push(`the secret "${p.slice(0, 4)}…"`);
  for (const [name, re] of PATTERNS) {
    const m = re.exec(text);
    if (m) found.push(`${name} (${m[0].slice(0, 24)}…)`);
  }
  return found;
}

/**
 * Checks and removes the run's log file; returns the number of lines searched. `reports` (the
 * Sentry envelopes the fake ingest received) are searched the same way.
 */
export function checkRunLogs(
  extra: readonly string[] = [],
  reports: readonly string[] = [],
): { lines: number; leaks: string[] } {
  const file = logFile();
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  rmSync(file, { force: true });
  const leaks = findLeaks(text, extra);
  if (reports.length)
    leaks.push(...findLeaks(reports.join("\n"), extra).map((l) => `${l} in a Sentry envelope`));
  return { lines: text ? text.split("\n").length - 1 : 0, leaks };
}
