// Starting `wrangler dev` instances for benches: own port, inspector port and state dir each,
// vars passed with --var, and a stop() that waits for the process to exit.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./dev-state.ts";
import { waitFor } from "./load.ts";
import { freePort } from "./postgres.ts";

export interface DevWorker {
  url: string;
  stop(): Promise<void>;
}

export async function startWranglerDev(
  config: string,
  vars: Record<string, string>,
  opts: {
    testScheduled?: boolean /** Show the worker's own output (debugging a bench). */;
    verbose?: boolean;
  } = {},
): Promise<DevWorker> {
  const port = await freePort();
  const inspector = await freePort();
  const state = mkdtempSync(join(tmpdir(), "nodebyte-bench-state-"));
  const args = [
    "dev",
    "-c",
    config,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
    "--persist-to",
    state,
    ...(opts.testScheduled ? ["--test-scheduled"] : []),
  ];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child: ChildProcess = spawn(join(repoRoot, "node_modules", ".bin", "wrangler"), args, {
    cwd: repoRoot,
    stdio: opts.verbose ? "inherit" : "ignore",
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_LOG: opts.verbose ? "info" : "error",
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitFor(`${url}/health`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
