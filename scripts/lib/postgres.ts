// Local PostgreSQL for dev and tests: embedded PGlite (default, zero install) or the machine's
// PostgreSQL 15 (PG_BACKEND=system), started in a temp dir as the `postgres` user when run as root.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type PgBackendKind = "pglite" | "system";

export interface PgBackend {
  kind: PgBackendKind;
  /** postgres:// URL reachable from Node on 127.0.0.1. */
  url: string;
  /** Connections the Neon shim may open: PGlite's socket multiplexer is only safe with one. */
  poolMax: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  kind?: PgBackendKind;
  /** Persist data here (PGlite data dir, or the system cluster dir); otherwise in memory / temp. */
  dataDir?: string;
  port?: number;
}

export function backendFromEnv(): PgBackendKind {
  const v = process.env.PG_BACKEND ?? "pglite";
  if (v !== "pglite" && v !== "system")
    throw new Error(`PG_BACKEND must be "pglite" or "system", got "${v}"`);
  return v;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgres(opts: StartOptions = {}): Promise<PgBackend> {
  const kind = opts.kind ?? backendFromEnv();
  return kind === "system" ? startSystem(opts) : startPglite(opts);
}

async function startPglite(opts: StartOptions): Promise<PgBackend> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const db = await PGlite.create(opts.dataDir ?? "memory://");
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: opts.port ?? 0, maxConnections: 8 });
  await server.start();
  const conn = server.getServerConn();
  return {
    kind: "pglite",
    url: `postgres://postgres:postgres@${conn}/postgres`,
    poolMax: 1,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

function findPgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const preferred = versions.includes("15") ? ["15", ...versions] : versions;
  for (const v of preferred) {
    const bin = join(root, v, "bin");
    if (existsSync(join(bin, "initdb"))) return bin;
  }
  throw new Error("PostgreSQL binaries not found (install postgresql-15 or set PG_BIN)");
}

async function startSystem(opts: StartOptions): Promise<PgBackend> {
  const bin = findPgBin();
  const isRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    const res = isRoot
      ? spawnSync("runuser", ["-u", "postgres", "--", full, ...args], { encoding: "utf8" })
      : spawnSync(full, args, { encoding: "utf8" });
    if (res.status !== 0) throw new Error(`${cmd} failed: ${res.stderr || res.stdout}`);
  };
  const base = opts.dataDir ?? mkdtempSync(join(tmpdir(), "nodebyte-pg-"));
  mkdirSync(base, { recursive: true });
  if (isRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(base, uid, gid);
  }
  const data = join(base, "data");
  if (!existsSync(join(data, "PG_VERSION"))) {
    run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  }
  const port = opts.port ?? (await freePort());
  const settings = [
    `-p ${port}`,
    `-k ${base}`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
  ].join(" ");
  run("pg_ctl", ["-D", data, "-l", join(base, "postgres.log"), "-w", "-o", settings, "start"]);
  return {
    kind: "system",
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    poolMax: 10,
    async stop() {
      run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
      if (!opts.dataDir) rmSync(base, { recursive: true, force: true });
    },
  };
}
