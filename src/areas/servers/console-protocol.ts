// The console relay's protocol, pure: Wings' frames (`{event, args}`, args always strings), what
// each viewer may see of what Wings sends (no install output or daemon error detail unless admin,
// backup events only with backup.read), what a viewer may send (commands and power checked against
// their own permissions, per message), the refusal frame, close codes, and the headers the Worker
// hands the object. The object (console-relay.do.ts) only moves frames.
import { POWER_PERMISSION, POWER_SIGNALS, type PowerSignal } from "./servers.service.ts";

export interface WingsFrame {
  event: string;
  args: string[];
}

/** What the relay knows of a viewer (kept in the socket's attachment, so it survives hibernation). */
export interface Viewer {
  /** user id, role (owner | subuser | admin), the panel permission strings ("*" for owners/admins) */
  u: string;
  r: string;
  p: string[];
  /** client ip and user agent (for the audit rows) */
  ip: string | null;
  ua: string | null;
  /** connected at (epoch ms), actions sent, rate bucket: tokens, refilled at */
  c: number;
  n: number;
  t: number;
  tu: number;
  /** when r and p were last read from the database (epoch ms; absent: at the upgrade, `c`) */
  k?: number;
}

export const CONSOLE_HEADERS = {
  server: "x-console-server",
  uuid: "x-console-uuid",
  viewer: "x-console-viewer",
  conn: "x-console-conn",
  requestId: "x-console-request-id",
} as const;

export const CLOSE = {
  /** The relay lost Wings and could not get it back (token renewal refused, Wings gone). */
  UNAVAILABLE: 1011,
  /** The viewer's frames were refused too often in a row. */
  POLICY: 1008,
  /** The viewer may no longer watch: user disabled, relation to the server or websocket.connect gone. */
  REVOKED: 4403,
} as const;

export const LIMITS = {
  /** Frames from a viewer larger than this are refused. */
  maxFrameBytes: 4096,
  /** Command and power frames per viewer: burst and refill per second. */
  burst: 10,
  perSecond: 2,
  /** Console lines kept for a viewer who joins later (in memory only). */
  history: 100,
  /** While viewers exist an alarm checks the Wings connection (it survives eviction). */
  watchdogMs: 30_000,
  /** How long the first `auth` may take before the console counts as unavailable. */
  authTimeoutMs: 10_000,
  /**
   * How old a viewer's rights may be when they act (command, power): older ones are read again
   * first. Every viewer's are also read again by the watchdog, so what they see follows too.
   */
  recheckMs: 5_000,
} as const;

/** Events only the relay handles; a viewer never sees them. */
const RELAY_ONLY = new Set(["auth success", "token expiring", "token expired", "jwt error"]);
/** Wings sends these to a token with admin.websocket.install / .transfer (ours): admins only. */
const ADMIN_ONLY = new Set([
  "install output",
  "install started",
  "install completed",
  "transfer logs",
  "transfer status",
]);
export const GENERIC_ERROR = "an unexpected error was encountered while handling this request";

export function parseFrame(text: string): WingsFrame | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object") return undefined;
  const { event, args } = v as { event?: unknown; args?: unknown };
  if (typeof event !== "string" || event.length > 64) return undefined;
  if (args !== undefined && !Array.isArray(args)) return undefined;
  return { event, args: (args ?? []).map((a) => (typeof a === "string" ? a : JSON.stringify(a))) };
}

export const frameText = (event: string, args: string[] = []) => JSON.stringify({ event, args });

const may = (v: Pick<Viewer, "p">, permission: string) => v.p.includes("*") || v.p.includes(permission);
const isAdmin = (v: Pick<Viewer, "r">) => v.r === "admin";

/**
 * What one viewer receives of a Wings frame: the frame, a redacted copy (a daemon error's detail
 * replaced by Wings' own generic text, its error id kept), or nothing.
 */
export function forViewer(f: WingsFrame, v: Pick<Viewer, "r" | "p">): WingsFrame | undefined {
  if (RELAY_ONLY.has(f.event)) return undefined;
  if (ADMIN_ONLY.has(f.event)) return isAdmin(v) ? f : undefined;
  if (f.event.startsWith("backup ")) return may(v, "backup.read") ? f : undefined;
  if (f.event === "daemon error" && !isAdmin(v)) {
    const id = /^Error Event \[([0-9a-f-]{36})\]/i.exec(f.args[0] ?? "")?.[1];
    return { event: f.event, args: [id ? `Error Event [${id}]: ${GENERIC_ERROR}` : GENERIC_ERROR] };
  }
  return f;
}

/** The class of viewers that see the same thing of every frame (fan-out renders once per class). */
export const viewerClass = (v: Pick<Viewer, "r" | "p">) =>
  `${isAdmin(v) ? "a" : "m"}${may(v, "backup.read") ? "b" : ""}`;

export type ViewerRequest =
  | { kind: "command"; command: string; frame: WingsFrame }
  | { kind: "power"; signal: PowerSignal; frame: WingsFrame }
  | { kind: "logs" }
  | { kind: "stats" }
  | { kind: "refused"; code: string; message: string };

const refused = (code: string, message: string): ViewerRequest => ({ kind: "refused", code, message });

/** What a viewer's frame asks for, checked against that viewer's permissions. */
export function viewerRequest(text: string, v: Pick<Viewer, "p">): ViewerRequest {
  if (text.length > LIMITS.maxFrameBytes) return refused("too_large", "Frame too large");
  const f = parseFrame(text);
  if (!f) return refused("invalid_frame", 'Frames are JSON: {"event": "...", "args": ["..."]}');
  switch (f.event) {
    case "send command": {
      if (!may(v, "control.console"))
        return refused("forbidden", "Missing server permission: control.console");
      const command = f.args.join("");
      if (command.length < 1 || command.length > 1000 || /[\r\n\0]/.test(command)) {
        return refused("invalid_command", "A command is one line of 1 to 1000 characters");
      }
      return { kind: "command", command, frame: { event: f.event, args: [command] } };
    }
    case "set state": {
      const signal = f.args.join("") as PowerSignal;
      if (!POWER_SIGNALS.includes(signal)) return refused("invalid_signal", "start, stop, restart or kill");
      const permission = POWER_PERMISSION[signal];
      if (!may(v, permission)) return refused("forbidden", `Missing server permission: ${permission}`);
      return { kind: "power", signal, frame: { event: f.event, args: [signal] } };
    }
    case "send logs":
      return { kind: "logs" };
    case "send stats":
      return { kind: "stats" };
    case "auth":
      return refused(
        "not_needed",
        "The relay authenticates with Wings; viewers are signed in by their ticket",
      );
    default:
      return refused("unknown_event", `Unknown event: ${f.event.slice(0, 64)}`);
  }
}

/** Token bucket over the viewer's attachment fields; mutates `v` and says whether one action is allowed. */
export function takeAction(v: Pick<Viewer, "t" | "tu">, now: number): boolean {
  const refill = ((now - v.tu) / 1000) * LIMITS.perSecond;
  v.t = Math.min(LIMITS.burst, v.t + Math.max(0, refill));
  v.tu = now;
  if (v.t < 1) return false;
  v.t -= 1;
  return true;
}
