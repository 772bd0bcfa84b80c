// Where a running `npm run dev` publishes its local endpoints, so other commands (user:create,
// db:migrate) can reach the same embedded database from a second terminal.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const dataDir = join(repoRoot, ".data");
const stateFile = join(dataDir, "dev-server.json");

export interface DevState {
  pid: number;
  databaseUrl: string;
  shimEndpoint: string;
  workerUrl: string;
  pgBackend: string;
}

export function writeDevState(state: DevState): void {
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
}

export function clearDevState(): void {
  rmSync(stateFile, { force: true });
}

/** The running dev server's state, or undefined when none is running. */
export function readDevState(): DevState | undefined {
  if (!existsSync(stateFile)) return undefined;
  const state = JSON.parse(readFileSync(stateFile, "utf8")) as DevState;
  try {
    process.kill(state.pid, 0);
    return state;
  } catch {
    return undefined;
  }
}
