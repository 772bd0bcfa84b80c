// Demo panel: a fake Wings websocket beside the fake panel (same port, `/api/servers/{uuid}/ws`),
// speaking Wings' protocol (router/websocket/websocket.go): frames `{event, args}`; `auth` with the
// panel's JWT (HS256 with the node's secret, NodeJWTService) → `auth success` then `status` (and
// `stats` when offline); `token expiring` before the token's end and `token expired` at it; a
// fresh `auth` on the same socket renews; `set state`, `send command`, `send logs`, `send stats`;
// `console output`, `status`, `stats`, `install output` (only with admin.websocket.install) and
// `daemon error` (the detail only with admin.websocket.errors). Like Wings it refuses an upgrade
// whose Origin is not the panel's own (403) and silently ignores an event the token does not allow.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { acceptUpgrade, refuseUpgrade, type ServerSocket } from "../lib/websocket-server.ts";
import type { PanelData } from "./data.ts";
import type { Server } from "./model.ts";
import type { ServerRuntimes } from "./server-runtime.ts";

/** WebsocketController: tokens are valid 10 minutes. */
export const WEBSOCKET_TOKEN_SECONDS = 600;
/** Wings warns once a token has this long left (listeners.go: ≤ 60 s, polled every 30 s). */
const EXPIRING_WARNING_MS = 60_000;
const STATS_EVERY_MS = 1000;
const LOG_REPLAY = 150;

const POWER: Record<string, string> = {
  start: "control.start",
  stop: "control.stop",
  restart: "control.restart",
  kill: "control.stop",
};

interface Claims {
  exp: number;
  iat: number;
  server_uuid: string;
  user_uuid?: string;
  permissions: string[];
}

/** Wings' HasPermission: `*` grants everything except the admin.* permissions. */
function has(claims: Claims | null, permission: string): boolean {
  return (
    claims?.permissions.some((k) => k === permission || (!permission.startsWith("admin") && k === "*")) ??
    false
  );
}

/** One socket as the fake saw it (GET /__wings lists them; tests read what reached Wings). */
export interface WingsConnection {
  id: string;
  server: string;
  origin: string;
  openedAt: number;
  closedAt: number | null;
  /** `auth` frames accepted on this socket (2+ = renewed on the same socket). */
  auths: number;
  /** Events the token did not allow, ignored as Wings ignores them. */
  refused: string[];
  /** The last events received (bounded). */
  received: { event: string; args: string[] }[];
}

interface Live {
  record: WingsConnection;
  socket: ServerSocket;
  claims: Claims | null;
  expired: boolean;
  timers: NodeJS.Timeout[];
  stats?: NodeJS.Timeout;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

export class FakeWings {
  private readonly live = new Set<Live>();
  private readonly history: WingsConnection[] = [];
  private readonly tokenSeconds = new Map<string, number>();
  private readonly unlisten: () => void;
  private readonly data: PanelData;
  private readonly runtime: ServerRuntimes;
  /** The user the client key belongs to (GetUserPermissionsService runs for them). */
  private readonly keyOwner: () => number;
  private defaultTokenSeconds: number;

  constructor(
    data: PanelData,
    runtime: ServerRuntimes,
    keyOwner: () => number,
    defaultTokenSeconds = WEBSOCKET_TOKEN_SECONDS,
  ) {
    this.data = data;
    this.runtime = runtime;
    this.keyOwner = keyOwner;
    this.defaultTokenSeconds = defaultTokenSeconds;
    this.unlisten = runtime.listen((s, event, args) => this.broadcast(s.uuid, event, args));
  }

  private secret(s: Server): string {
    return this.data.tables.nodes.get(s.nodeId)?.uuid ?? "node";
  }

  /** GetUserPermissionsService for the key's user. */
  permissionsFor(s: Server): string[] {
    const user = this.data.tables.users.get(this.keyOwner());
    if (user?.rootAdmin)
      return ["*", "admin.websocket.errors", "admin.websocket.install", "admin.websocket.transfer"];
    if (user && s.ownerId === user.id) return ["*"];
    const sub = (this.data.indexes.subusersByServer.get(s.id) ?? []).find((x) => x.userId === user?.id);
    // Demo simplification: the key's user reaches every server (as the client listing does).
    return sub ? sub.permissions : ["*"];
  }

  /** WebsocketController::__invoke: a token for this server and the socket's URL on `origin`. */
  mint(s: Server, origin: string): { token: string; socket: string } {
    const now = Math.floor(Date.now() / 1000);
    const seconds = this.tokenSeconds.get(s.uuid) ?? this.defaultTokenSeconds;
    const user = this.data.tables.users.get(this.keyOwner());
    const claims = {
      iss: origin,
      aud: [origin],
      jti: randomUUID().replaceAll("-", ""),
      iat: now,
      nbf: now - 300,
      exp: now + seconds,
      user_id: user?.id ?? 0,
      user_uuid: user?.uuid ?? "",
      server_uuid: s.uuid,
      permissions: this.permissionsFor(s),
    };
    const body = `${b64({ typ: "JWT", alg: "HS256" })}.${b64(claims)}`;
    const sig = createHmac("sha256", this.secret(s)).update(body).digest("base64url");
    // Departure: the socket is served by the demo panel itself, not on the node's FQDN.
    return { token: `${body}.${sig}`, socket: `${origin.replace(/^http/, "ws")}/api/servers/${s.uuid}/ws` };
  }

  /** Tests shorten the lifetime of the tokens minted for one server (or every server). */
  setTokenSeconds(seconds: number, server?: string): void {
    if (server) return void this.tokenSeconds.set(server, seconds);
    this.tokenSeconds.clear();
    this.defaultTokenSeconds = seconds;
  }

  private verify(s: Server, token: string): Claims | "expired" | string {
    const [h, p, sig] = token.split(".");
    if (!h || !p || !sig) return "jwt: malformed token";
    const want = createHmac("sha256", this.secret(s)).update(`${h}.${p}`).digest();
    const got = Buffer.from(sig, "base64url");
    if (got.length !== want.length || !timingSafeEqual(got, want)) return "jwt: signature mismatch";
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Claims;
    } catch {
      return "jwt: malformed token";
    }
    if (!Array.isArray(claims.permissions)) return "jwt: malformed token";
    if (claims.exp * 1000 <= Date.now()) return "expired";
    if (!has(claims, "websocket.connect")) return "jwt: missing connect permission";
    if (claims.server_uuid !== s.uuid) return "jwt: server uuid mismatch";
    return claims;
  }

  /** The upgrade of `/api/servers/{uuid}/ws`; anything else is not ours (false). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, panelOrigin: string): boolean {
    const m = /^\/api\/servers\/([^/?]+)\/ws(?:\?.*)?$/.exec(req.url ?? "");
    if (!m) return false;
    const s = this.data.indexes.serverByUuid.get(decodeURIComponent(m[1] as string));
    if (!s) {
      refuseUpgrade(socket, 404, "The requested resource does not exist on this instance.");
      return true;
    }
    // GetHandler's CheckOrigin: the panel's location (or allowed_origins, none here).
    const origin = req.headers.origin ?? "";
    if (origin !== panelOrigin) {
      refuseUpgrade(socket, 403, "Forbidden");
      return true;
    }
    const ws = acceptUpgrade(req, socket, head);
    if (!ws) return true;
    const record: WingsConnection = {
      id: randomUUID(),
      server: s.uuid,
      origin,
      openedAt: Date.now(),
      closedAt: null,
      auths: 0,
      refused: [],
      received: [],
    };
    this.history.push(record);
    if (this.history.length > 2000) this.history.splice(0, 1000);
    const live: Live = { record, socket: ws, claims: null, expired: false, timers: [] };
    this.live.add(live);
    ws.onMessage = (text) => this.inbound(s, live, text);
    ws.onClose = () => {
      record.closedAt = Date.now();
      this.stop(live);
      this.live.delete(live);
    };
    return true;
  }

  private send(live: Live, event: string, args: string[] = []): void {
    live.socket.send(JSON.stringify({ event, args }));
  }

  private stop(live: Live): void {
    for (const t of live.timers) clearTimeout(t);
    live.timers = [];
    if (live.stats) clearInterval(live.stats);
    live.stats = undefined;
  }

  private statsOf(s: Server): string {
    const running = this.runtime.of(s).state === "running";
    return JSON.stringify({
      memory_bytes: running ? s.memory * 1024 * 512 : 0,
      memory_limit_bytes: s.memory * 1024 * 1024,
      cpu_absolute: running ? 12.5 : 0,
      network: { rx_bytes: running ? 2048 : 0, tx_bytes: running ? 1024 : 0 },
      uptime: this.runtime.uptime(s),
      state: this.runtime.of(s).state,
      disk_bytes: [...this.runtime.of(s).files.values()].reduce((n, f) => n + Buffer.byteLength(f), 0),
    });
  }

  private inbound(s: Server, live: Live, text: string) {
    let msg: { event?: unknown; args?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    const event = typeof msg.event === "string" ? msg.event : "";
    const args = Array.isArray(msg.args) ? msg.args.map(String) : [];
    live.record.received.push({ event, args: event === "auth" ? ["[token]"] : args });
    if (live.record.received.length > 200) live.record.received.splice(0, 100);
    if (event !== "auth" && (!live.claims || live.expired)) {
      return this.send(live, "jwt error", [
        live.claims ? "jwt: exp claim is invalid" : "jwt: no jwt present",
      ]);
    }
    const claims = live.claims;
    switch (event) {
      case "auth": {
        const v = this.verify(s, args.join(""));
        if (v === "expired") return this.send(live, "token expired");
        if (typeof v === "string") return this.send(live, "jwt error", [v]);
        const first = live.claims === null;
        live.claims = v;
        live.expired = false;
        live.record.auths++;
        this.schedule(s, live, v);
        this.send(live, "auth success");
        if (!first) return;
        const state = this.runtime.of(s).state;
        this.send(live, "status", [state]);
        if (state === "offline") this.send(live, "stats", [this.statsOf(s)]);
        return;
      }
      case "set state": {
        const permission = POWER[args.join("")];
        if (!permission) return;
        if (!has(claims, permission)) return void live.record.refused.push(`set state ${args.join("")}`);
        return this.runtime.power(s, args.join(""));
      }
      case "send command": {
        if (!has(claims, "control.console")) return void live.record.refused.push("send command");
        this.runtime.command(s, args.join(""));
        return;
      }
      case "send logs": {
        if (this.runtime.of(s).state !== "running") return;
        for (const line of this.runtime.of(s).console.slice(-LOG_REPLAY))
          this.send(live, "console output", [line]);
        return;
      }
      case "send stats":
        return this.send(live, "stats", [this.statsOf(s)]);
      default:
        return;
    }
  }

  /** `token expiring` ahead of the end (a short test token still gets its warning), `token expired` at it. */
  private schedule(s: Server, live: Live, claims: Claims): void {
    this.stop(live);
    const now = Date.now();
    const endsAt = claims.exp * 1000;
    const lifetime = endsAt - claims.iat * 1000;
    const warnAt = endsAt - Math.min(EXPIRING_WARNING_MS, lifetime / 2);
    live.timers.push(
      setTimeout(() => this.send(live, "token expiring"), Math.max(0, warnAt - now)),
      setTimeout(
        () => {
          live.expired = true;
          this.stop(live);
          this.send(live, "token expired");
        },
        Math.max(0, endsAt - now),
      ),
    );
    live.stats = setInterval(() => {
      if (this.runtime.of(s).state === "running") this.send(live, "stats", [this.statsOf(s)]);
    }, STATS_EVERY_MS);
  }

  /** An event for every authenticated socket of a server, filtered as Wings' SendJson filters. */
  broadcast(server: string, event: string, args: string[]): void {
    for (const live of this.live) {
      if (live.record.server !== server || !live.claims || live.expired) continue;
      if (event === "install output" && !has(live.claims, "admin.websocket.install")) continue;
      if (event.startsWith("backup completed") && !has(live.claims, "backup.read")) continue;
      this.send(live, event, args);
    }
  }

  /** SendErrorJson: the detail for tokens with admin.websocket.errors, a generic text otherwise. */
  daemonError(server: string, detail: string): void {
    const id = randomUUID();
    for (const live of this.live) {
      if (live.record.server !== server || !live.claims || live.expired) continue;
      const text = has(live.claims, "admin.websocket.errors")
        ? detail
        : "an unexpected error was encountered while handling this request";
      this.send(live, "daemon error", [`Error Event [${id}]: ${text}`]);
    }
  }

  /** Closes every socket of a server, as a Wings restart would. */
  drop(server: string): void {
    for (const live of [...this.live])
      if (live.record.server === server) live.socket.close(1001, "going away");
  }

  /** Every socket seen (open ones have closedAt null), oldest first. */
  connections(server?: string): WingsConnection[] {
    return this.history.filter((c) => !server || c.server === server).map((c) => ({ ...c }));
  }

  close(): void {
    this.unlisten();
    for (const live of this.live) {
      this.stop(live);
      live.socket.close(1001, "going away");
    }
    this.live.clear();
  }
}
