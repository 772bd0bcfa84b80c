// Demo panel: what Wings would hold for each server, kept in memory beside the panel data: the
// power state, a small file tree, backups (a snapshot of the tree) and the console's output.
// Time-based steps (a backup finishing, a restore ending) are applied lazily when the server is
// next touched, so there are no timers.
import { createHash, randomUUID } from "node:crypto";
import type { PanelData } from "./data.ts";
import type { Server } from "./model.ts";

export type PowerState = "offline" | "starting" | "running" | "stopping";

export interface RuntimeBackup {
  uuid: string;
  name: string;
  ignoredFiles: string[];
  isLocked: boolean;
  isSuccessful: boolean;
  checksum: string | null;
  bytes: number;
  createdAt: number;
  completedAt: number | null;
  /** The files at the time of the backup. */
  snapshot: Map<string, string>;
}

export interface ServerRuntime {
  state: PowerState;
  startedAt: number | null;
  /** path ("/a/b.txt") → contents; directories are implied by their files, plus `dirs`. */
  files: Map<string, string>;
  dirs: Set<string>;
  modifiedAt: Map<string, number>;
  backups: RuntimeBackup[];
  /** When each backup was created, deleted ones included (the throttle counts them). */
  creations: number[];
  console: string[];
  restoringUntil: number | null;
  restoreFrom: RuntimeBackup | null;
}

/** What Wings would broadcast on a server's websocket (the fake Wings listens: wings.ts). */
export type RuntimeListener = (s: Server, event: string, args: string[]) => void;

export interface RuntimeTiming {
  /** How long a backup takes to finish (ms). */
  backupMs: number;
  /** How long a restore keeps the server in `restoring_backup` (ms). */
  restoreMs: number;
}

/** A log big enough to be refused by a backend that caps file reads at 512 KiB. */
const BIG_LOG = `${"[INFO] A long line of the server's previous run, repeated.\n".repeat(12_000)}`;

function seedFiles(s: Server): Map<string, string> {
  return new Map([
    ["/server.properties", `motd=${s.name}\nmax-players=20\nserver-port=25565\n`],
    ["/eula.txt", "eula=true\n"],
    ["/plugins/config.yml", "enabled: true\ngreeting: hello\n"],
    ["/logs/latest.log", ""],
    ["/logs/old.log", BIG_LOG],
  ]);
}

const parentOf = (path: string) => path.slice(0, path.lastIndexOf("/")) || "/";

export class ServerRuntimes {
  private readonly byServer = new Map<number, ServerRuntime>();
  private readonly data: PanelData;
  readonly timing: RuntimeTiming;
  private readonly clock: () => number;
  private readonly listeners = new Set<RuntimeListener>();

  constructor(
    data: PanelData,
    timing: RuntimeTiming = { backupMs: 150, restoreMs: 300 },
    clock: () => number = Date.now,
  ) {
    this.data = data;
    this.timing = timing;
    this.clock = clock;
  }

  /** The runtime of a server (created on first use), with due steps applied. */
  of(s: Server): ServerRuntime {
    let rt = this.byServer.get(s.id);
    if (!rt) {
      const files = seedFiles(s);
      rt = {
        state: "offline",
        startedAt: null,
        files,
        dirs: new Set(["/", "/plugins", "/logs"]),
        modifiedAt: new Map([...files.keys()].map((k) => [k, this.clock()])),
        backups: [],
        creations: [],
        console: [],
        restoringUntil: null,
        restoreFrom: null,
      };
      this.byServer.set(s.id, rt);
    }
    this.advance(s, rt);
    return rt;
  }

  /** Subscribes to the server events (status, console output); returns the unsubscribe. */
  listen(fn: RuntimeListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(s: Server, event: string, args: string[]): void {
    for (const fn of this.listeners) fn(s, event, args);
  }

  private line(s: Server, rt: ServerRuntime, text: string): void {
    rt.console.push(text);
    this.emit(s, "console output", [text]);
  }

  private advance(s: Server, rt: ServerRuntime): void {
    const now = this.clock();
    for (const b of rt.backups) {
      if (b.completedAt === null && now - b.createdAt >= this.timing.backupMs) {
        b.completedAt = b.createdAt + this.timing.backupMs;
        b.isSuccessful = true;
        const all = [...b.snapshot.entries()].map(([k, v]) => `${k}\n${v}`).join("\n");
        b.bytes = Buffer.byteLength(all);
        b.checksum = `sha1:${createHash("sha1").update(all).digest("hex")}`;
      }
    }
    if (rt.restoringUntil !== null && now >= rt.restoringUntil) {
      if (rt.restoreFrom) {
        rt.files = new Map(rt.restoreFrom.snapshot);
        for (const k of rt.files.keys()) rt.modifiedAt.set(k, now);
      }
      rt.restoringUntil = null;
      rt.restoreFrom = null;
      if (s.status === "restoring_backup") s.status = null;
    }
  }

  power(s: Server, signal: string): void {
    const rt = this.of(s);
    if (signal === "start" || signal === "restart") {
      this.emit(s, "status", ["starting"]);
      rt.state = "running";
      rt.startedAt = this.clock();
      this.line(s, rt, signal === "start" ? "[demo] server started" : "[demo] server restarted");
      this.emit(s, "status", ["running"]);
    } else {
      if (rt.state !== "offline") this.emit(s, "status", ["stopping"]);
      rt.state = "offline";
      rt.startedAt = null;
      this.line(s, rt, signal === "kill" ? "[demo] server killed" : "[demo] server stopped");
      this.emit(s, "status", ["offline"]);
    }
  }

  command(s: Server, command: string): boolean {
    const rt = this.of(s);
    if (rt.state !== "running") return false;
    this.line(s, rt, `> ${command}`);
    const log = "/logs/latest.log";
    rt.files.set(log, `${rt.files.get(log) ?? ""}> ${command}\n`);
    return true;
  }

  write(s: Server, path: string, content: string): void {
    const rt = this.of(s);
    rt.files.set(path, content);
    rt.modifiedAt.set(path, this.clock());
    for (let dir = parentOf(path); ; dir = parentOf(dir)) {
      rt.dirs.add(dir);
      if (dir === "/") break;
    }
  }

  /** Entries directly in `dir`, or null when it does not exist. */
  list(s: Server, dir: string): { name: string; isFile: boolean; size: number; modifiedAt: number }[] | null {
    const rt = this.of(s);
    const base = dir === "/" ? "" : dir.replace(/\/+$/, "");
    if (!rt.dirs.has(base || "/")) return null;
    const out = new Map<string, { name: string; isFile: boolean; size: number; modifiedAt: number }>();
    for (const [path, content] of rt.files) {
      if (!path.startsWith(`${base}/`)) continue;
      const rest = path.slice(base.length + 1);
      const slash = rest.indexOf("/");
      if (slash < 0) {
        out.set(rest, {
          name: rest,
          isFile: true,
          size: Buffer.byteLength(content),
          modifiedAt: rt.modifiedAt.get(path) ?? 0,
        });
      } else if (!out.has(rest.slice(0, slash))) {
        out.set(rest.slice(0, slash), {
          name: rest.slice(0, slash),
          isFile: false,
          size: 4096,
          modifiedAt: 0,
        });
      }
    }
    for (const d of rt.dirs) {
      if (d !== "/" && parentOf(d) === (base || "/")) {
        const name = d.slice(d.lastIndexOf("/") + 1);
        if (!out.has(name)) out.set(name, { name, isFile: false, size: 4096, modifiedAt: 0 });
      }
    }
    return [...out.values()].sort(
      (a, b) => Number(a.isFile) - Number(b.isFile) || a.name.localeCompare(b.name),
    );
  }

  /** Creation times of the backups made in the last `periodMs` (deleted ones too), oldest first. */
  recentCreations(s: Server, periodMs: number): number[] {
    const now = this.clock();
    return this.of(s).creations.filter((t) => now - t < periodMs);
  }

  createBackup(s: Server, name: string | null, ignored: string[], isLocked: boolean): RuntimeBackup {
    const rt = this.of(s);
    const now = this.clock();
    const backup: RuntimeBackup = {
      uuid: randomUUID(),
      name: name || `Backup at ${new Date(now).toISOString().slice(0, 19).replace("T", " ")}`,
      ignoredFiles: ignored,
      isLocked,
      isSuccessful: false,
      checksum: null,
      bytes: 0,
      createdAt: now,
      completedAt: null,
      snapshot: new Map(rt.files),
    };
    rt.backups.push(backup);
    rt.creations.push(now);
    return backup;
  }

  deleteBackup(s: Server, uuid: string): void {
    const rt = this.of(s);
    rt.backups = rt.backups.filter((b) => b.uuid !== uuid);
  }

  restore(s: Server, backup: RuntimeBackup): void {
    const rt = this.of(s);
    s.status = "restoring_backup";
    rt.state = "offline";
    rt.startedAt = null;
    rt.restoringUntil = this.clock() + this.timing.restoreMs;
    rt.restoreFrom = backup;
  }

  uptime(s: Server): number {
    const rt = this.of(s);
    return rt.startedAt === null ? 0 : this.clock() - rt.startedAt;
  }

  /** Forget every runtime (a test reset). */
  reset(): void {
    this.byServer.clear();
  }

  /** The console lines of a server (a test reads what reached it). */
  consoleOf(id: number): string[] {
    const s = this.data.tables.servers.get(id);
    return s ? [...this.of(s).console] : [];
  }
}
