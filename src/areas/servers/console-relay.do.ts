// ConsoleRelay Durable Object, one per server: holds ONE Wings websocket (opened with the panel's
// Origin, authenticated with a token minted by the admin's client key through the shared
// interactive budget) while at least one viewer is connected, renews the token on the same socket
// when Wings says `token expiring`, and fans Wings' frames out to the viewers, each filtered by
// what that viewer may see (console-protocol.ts). Viewers are hibernatable sockets whose rights
// live in their attachments; the outbound Wings socket keeps the object awake while viewers exist
// and is closed when the last one leaves. An alarm (which survives eviction) reconnects Wings for
// viewers that outlived an eviction. The Worker has checked the viewer's ticket and access and
// hands over who they are and the panel connection (encrypted in storage for such a reconnect).
// Rights do not stay as they were at the upgrade: an action re-reads them when they are older than
// a few seconds, and the watchdog re-reads every viewer's; a viewer who lost them is closed (4403).
import { DurableObject } from "cloudflare:workers";
import { createDeps, type Deps } from "../../platform/deps.ts";
import { type Bindings, getConfig } from "../../platform/env.ts";
import { AppError } from "../../platform/errors.ts";
import { childLogger, errorText } from "../../platform/log.ts";
import { decryptSecret, encryptSecret, keyRing } from "../../platform/secrets.ts";
import { audit } from "../../services/audit/audit.ts";
import { panelClientCall } from "../../services/panel/client-api.ts";
import type { PanelConnection } from "../../services/panel/connection.ts";
import { panelDeps } from "../../services/panel/panel-client.ts";
import { publishServerEvent } from "../../services/realtime/publish.ts";
import { accessesTo, may } from "../../services/servers/servers.ts";
import {
  CLOSE,
  CONSOLE_HEADERS,
  forViewer,
  frameText,
  LIMITS,
  parseFrame,
  takeAction,
  type Viewer,
  type ViewerRequest,
  viewerClass,
  viewerRequest,
  type WingsFrame,
} from "./console-protocol.ts";
import { panelRefusal } from "./server-control.ts";

interface Target {
  serverId: string;
  uuid: string;
  conn: PanelConnection;
}

function jsonError(err: unknown, requestId: string): Response {
  const e = err instanceof AppError ? err : new AppError("UNAVAILABLE", "The console is unavailable");
  return Response.json(
    { success: false, error: e.message, code: e.code, requestId },
    { status: e.status, headers: e.headers },
  );
}

export class ConsoleRelay extends DurableObject<Bindings> {
  private readonly deps: Deps;
  private target?: Target;
  /** The one Wings socket, while open. */
  private wings?: WebSocket;
  private connecting?: Promise<void>;
  private renewing?: Promise<void>;
  private authed?: { resolve(): void; reject(err: Error): void };
  /** Rebuilt from attachments after a wake-up. */
  private readonly viewers = new Map<WebSocket, Viewer>();
  /** Viewers whose upgrade is waiting for Wings (they count as present). */
  private pending = 0;
  private history: string[] = [];
  private lastStatus?: WingsFrame;
  private lastStats?: WingsFrame;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.deps = createDeps(getConfig(env), { log: childLogger({ object: "ConsoleRelay" }) });
  }

  // --- viewers ----------------------------------------------------------------------------

  private viewer(ws: WebSocket): Viewer | undefined {
    let v = this.viewers.get(ws);
    if (!v) {
      v = (ws.deserializeAttachment() as Viewer | null) ?? undefined;
      if (v) this.viewers.set(ws, v);
    }
    return v;
  }

  private openViewers(except?: WebSocket): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws !== except && ws.readyState === WebSocket.OPEN);
  }

  /** Whether anyone is (or is about to be) watching. */
  private present(except?: WebSocket): boolean {
    return this.pending > 0 || this.openViewers(except).length > 0;
  }

  private send(ws: WebSocket, text: string): void {
    try {
      ws.send(text);
    } catch {
      // closing right now; its close handler cleans up
    }
  }

  /** One Wings frame to every viewer: rendered once per viewer class, nothing for those who may not see it. */
  private fanOut(f: WingsFrame): void {
    const rendered = new Map<string, string | null>();
    for (const ws of this.ctx.getWebSockets()) {
      const v = this.viewer(ws);
      if (!v) continue;
      const key = viewerClass(v);
      let text = rendered.get(key);
      if (text === undefined) {
        const out = forViewer(f, v);
        text = out ? frameText(out.event, out.args) : null;
        rendered.set(key, text);
      }
      if (text !== null) this.send(ws, text);
    }
  }

  // --- rights, read again ------------------------------------------------------------------

  /** Role and permissions as the database says now, per user id; absent: they may not watch. */
  private async currentRights(userIds: string[]): Promise<Map<string, Pick<Viewer, "r" | "p">>> {
    const out = new Map<string, Pick<Viewer, "r" | "p">>();
    const serverId = this.target?.serverId ?? (await this.ctx.storage.get<string>("serverId"));
    if (!serverId) return out;
    for (const [id, access] of await accessesTo(this.deps.db, serverId, userIds)) {
      if (may(access, "websocket.connect")) out.set(id, { r: access.role, p: [...access.permissions] });
    }
    return out;
  }

  /** Applies what currentRights read to one viewer; a viewer without rights is closed (4403). */
  private applyRights(ws: WebSocket, v: Viewer, rights: Pick<Viewer, "r" | "p"> | undefined, now: number) {
    if (!rights) {
      this.viewers.delete(ws);
      this.send(
        ws,
        frameText("relay error", ["revoked", "Your access to this server's console was removed"]),
      );
      try {
        ws.close(CLOSE.REVOKED, "access revoked");
      } catch {
        // closed already
      }
      return undefined;
    }
    Object.assign(v, rights, { k: now });
    ws.serializeAttachment(v);
    this.viewers.set(ws, v);
    return v;
  }

  /**
   * The viewer with rights no older than LIMITS.recheckMs (read again if they are); undefined when
   * they were revoked, and the socket is then closed. A failed read throws.
   */
  private async freshViewer(ws: WebSocket, v: Viewer, now: number): Promise<Viewer | undefined> {
    if (now - (v.k ?? v.c) < LIMITS.recheckMs) return v;
    return this.applyRights(ws, v, (await this.currentRights([v.u])).get(v.u), now);
  }

  private actor(v: Viewer) {
    return { type: "user" as const, id: v.u, ip: v.ip, userAgent: v.ua };
  }

  private async record(v: Viewer, action: string, details: Record<string, unknown>): Promise<void> {
    const serverId = this.target?.serverId ?? (await this.ctx.storage.get<string>("serverId")) ?? null;
    await audit(this.deps.db, {
      action,
      actor: this.actor(v),
      targetType: "server",
      targetId: serverId,
      details: { ...details, role: v.r, via: "console" },
    }).catch((err: unknown) => this.deps.log("error", "console audit failed", { error: errorText(err) }));
  }

  // --- the Wings connection ---------------------------------------------------------------

  private async loadTarget(): Promise<Target> {
    if (this.target) return this.target;
    const [serverId, uuid, sealed] = await Promise.all([
      this.ctx.storage.get<string>("serverId"),
      this.ctx.storage.get<string>("uuid"),
      this.ctx.storage.get<string>("conn"),
    ]);
    if (!serverId || !uuid || !sealed) throw new AppError("UNAVAILABLE", "The console is not set up");
    const ring = await keyRing(this.deps.config);
    const conn = JSON.parse(await decryptSecret(ring, sealed, `console:${serverId}`)) as PanelConnection;
    this.target = { serverId, uuid, conn };
    return this.target;
  }

  private async saveTarget(t: Target): Promise<void> {
    this.target = t;
    const ring = await keyRing(this.deps.config);
    // Without an encryption key (never in production) the connection stays in memory only.
    if (!ring.primary) return;
    const sealed = await encryptSecret(ring, JSON.stringify(t.conn), `console:${t.serverId}`);
    await this.ctx.storage.put({ serverId: t.serverId, uuid: t.uuid, conn: sealed });
  }

  /** WebsocketController through the interactive budget: a token and the socket's URL. */
  private async mintToken(t: Target): Promise<{ token: string; socket: string }> {
    const answer = await panelClientCall(
      panelDeps(this.deps, t.conn),
      `/servers/${encodeURIComponent(t.uuid)}/websocket`,
    );
    if (answer.status >= 400) throw panelRefusal(answer);
    const data = (answer.json as { data?: { token?: unknown; socket?: unknown } } | undefined)?.data;
    if (
      typeof data?.token !== "string" ||
      typeof data.socket !== "string" ||
      !/^wss?:\/\//.test(data.socket)
    ) {
      throw new AppError("UPSTREAM_ERROR", "The panel answered an unexpected websocket token");
    }
    return { token: data.token, socket: data.socket };
  }

  /** The Wings socket, opened (once, however many callers wait) if there is none. */
  private ensureWings(replayLogs: boolean): Promise<void> {
    if (this.wings) return Promise.resolve();
    this.connecting ??= this.connectWings(replayLogs).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectWings(replayLogs: boolean): Promise<void> {
    const t = await this.loadTarget();
    const { token, socket } = await this.mintToken(t);
    // Wings accepts the upgrade only from the panel's location (CheckOrigin).
    const res = await this.deps.fetch(socket.replace(/^ws/, "http"), {
      headers: { Upgrade: "websocket", Origin: t.conn.url },
    });
    const ws = res.webSocket;
    if (res.status !== 101 || !ws) {
      await res.body?.cancel();
      throw new AppError("UPSTREAM_ERROR", `Wings refused the console connection (${res.status})`);
    }
    ws.accept();
    const authed = new Promise<void>((resolve, reject) => {
      this.authed = { resolve, reject };
    });
    ws.addEventListener("message", (e) => {
      const text = typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
      this.fromWings(ws, text);
    });
    ws.addEventListener("close", () => this.wingsGone(ws));
    ws.addEventListener("error", () => this.wingsGone(ws));
    ws.send(frameText("auth", [token]));
    const timer = setTimeout(
      () => this.authed?.reject(new AppError("UPSTREAM_ERROR", "Wings did not accept the console token")),
      LIMITS.authTimeoutMs,
    );
    try {
      await authed;
    } catch (err) {
      this.closeWingsSocket(ws, 1000, "auth failed");
      throw err;
    } finally {
      clearTimeout(timer);
      this.authed = undefined;
    }
    this.wings = ws;
    if (replayLogs) ws.send(frameText("send logs"));
    await this.ctx.storage.setAlarm(Date.now() + LIMITS.watchdogMs);
    // Every viewer may have left while Wings was being reached.
    if (!this.present()) this.closeWings();
  }

  private fromWings(ws: WebSocket, text: string): void {
    const f = parseFrame(text);
    if (!f) return;
    switch (f.event) {
      case "auth success":
        this.authed?.resolve();
        return;
      case "jwt error":
        this.authed?.reject(new AppError("UPSTREAM_ERROR", "Wings refused the console token"));
        if (ws === this.wings) this.renew(false);
        return;
      case "token expiring":
        this.renew(false);
        return;
      case "token expired":
        this.renew(true);
        return;
      case "console output":
        this.history.push(f.args[0] ?? "");
        if (this.history.length > LIMITS.history)
          this.history.splice(0, this.history.length - LIMITS.history);
        break;
      case "status":
        // A change Wings reports reaches the server's live topic (dashboards, other tabs).
        if (this.target && this.lastStatus?.args[0] !== f.args[0]) {
          this.ctx.waitUntil(
            publishServerEvent(this.deps, this.target.uuid, "server.state", {
              state: f.args[0] ?? null,
              via: "console",
            }),
          );
        }
        this.lastStatus = f;
        break;
      case "stats":
        this.lastStats = f;
        break;
    }
    this.fanOut(f);
  }

  /** A fresh token, sent as `auth` on the same socket (Wings keeps the session). */
  private renew(expired: boolean): void {
    this.renewing ??= (async () => {
      const ws = this.wings;
      if (!ws) return;
      try {
        const { token } = await this.mintToken(await this.loadTarget());
        ws.send(frameText("auth", [token]));
      } catch (err) {
        this.deps.log("warn", "console token renewal failed", { error: errorText(err), expired });
        if (expired) this.giveUp("The console token could not be renewed");
      }
    })().finally(() => {
      this.renewing = undefined;
    });
  }

  private giveUp(reason: string): void {
    this.closeWings();
    for (const ws of this.openViewers()) {
      this.send(ws, frameText("relay error", ["unavailable", reason]));
      try {
        ws.close(CLOSE.UNAVAILABLE, "console unavailable");
      } catch {
        // closed already
      }
    }
  }

  private wingsGone(ws: WebSocket): void {
    if (this.wings !== ws) return;
    this.wings = undefined;
    this.authed?.reject(new AppError("UPSTREAM_ERROR", "Wings closed the console connection"));
    // Viewers stay; the next frame or the watchdog reconnects.
  }

  private closeWingsSocket(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // closed already
    }
  }

  private closeWings(): void {
    const ws = this.wings;
    this.wings = undefined;
    if (ws) this.closeWingsSocket(ws, 1000, "no viewers");
    this.history = [];
    this.lastStatus = undefined;
    this.lastStats = undefined;
  }

  // --- entry points -----------------------------------------------------------------------

  /** A viewer's upgrade, forwarded by the Worker (ticket and access already checked). */
  override async fetch(request: Request): Promise<Response> {
    const h = request.headers;
    const requestId = h.get(CONSOLE_HEADERS.requestId) ?? "";
    try {
      const serverId = h.get(CONSOLE_HEADERS.server);
      const uuid = h.get(CONSOLE_HEADERS.uuid);
      const viewer = JSON.parse(h.get(CONSOLE_HEADERS.viewer) ?? "null") as Viewer | null;
      const conn = JSON.parse(h.get(CONSOLE_HEADERS.conn) ?? "null") as PanelConnection | null;
      if (!serverId || !uuid || !viewer || !conn)
        throw new AppError("INVALID_REQUEST", "Not a console upgrade");
      const known = this.target;
      if (
        !known ||
        known.conn.url !== conn.url ||
        known.conn.clientApiKey !== conn.clientApiKey ||
        known.uuid !== uuid
      ) {
        await this.saveTarget({ serverId, uuid, conn });
      }
      // Wings first: a refusal is an HTTP error before any upgrade.
      this.pending++;
      try {
        await this.ensureWings(true);
      } finally {
        this.pending--;
      }
      const pair = new WebSocketPair();
      const [client, server] = [pair[0], pair[1]];
      this.ctx.acceptWebSocket(server);
      server.serializeAttachment(viewer);
      this.viewers.set(server, viewer);
      this.send(server, frameText("auth success"));
      if (this.lastStatus) this.send(server, frameText(this.lastStatus.event, this.lastStatus.args));
      for (const line of this.history) this.send(server, frameText("console output", [line]));
      await this.record(viewer, "server.console.open", {});
      return new Response(null, { status: 101, webSocket: client });
    } catch (err) {
      if (!(err instanceof AppError))
        this.deps.log("error", "console upgrade failed", { error: errorText(err) });
      return jsonError(err, requestId);
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const v = this.viewer(ws);
    if (!v) return;
    const text = typeof message === "string" ? message : new TextDecoder().decode(message);
    let req: ViewerRequest = viewerRequest(text, v);
    if (req.kind === "command" || req.kind === "power") {
      // An action is checked against the rights the viewer holds now, not at the upgrade.
      let fresh: Viewer | undefined;
      try {
        fresh = await this.freshViewer(ws, v, Date.now());
      } catch (err) {
        this.deps.log("warn", "console rights not read", { error: errorText(err) });
        return this.send(
          ws,
          frameText("relay error", ["unavailable", "Could not check your access; try again"]),
        );
      }
      if (!fresh) return;
      req = viewerRequest(text, fresh);
    }
    if (req.kind === "refused") return this.send(ws, frameText("relay error", [req.code, req.message]));
    if (req.kind === "logs") {
      for (const line of this.history) this.send(ws, frameText("console output", [line]));
      return;
    }
    if (req.kind === "stats" && this.lastStats) return this.send(ws, frameText("stats", this.lastStats.args));
    if (req.kind !== "stats") {
      if (!takeAction(v, Date.now()))
        return this.send(ws, frameText("relay error", ["rate_limited", "Too many actions; slow down"]));
      v.n++;
      ws.serializeAttachment(v);
    }
    try {
      await this.ensureWings(false);
    } catch (err) {
      return this.send(
        ws,
        frameText("relay error", [
          "unavailable",
          err instanceof AppError ? err.message : "The console is unavailable",
        ]),
      );
    }
    if (req.kind === "stats") return this.wings?.send(frameText("send stats"));
    this.wings?.send(frameText(req.frame.event, req.frame.args));
    if (req.kind === "command")
      await this.record(v, "server.command", { command: req.command, outcome: "sent" });
    else await this.record(v, "server.power", { signal: req.signal, outcome: "sent" });
  }

  private async left(ws: WebSocket): Promise<void> {
    const v = this.viewer(ws);
    this.viewers.delete(ws);
    if (!this.present(ws)) {
      this.closeWings();
      await this.ctx.storage.deleteAlarm();
    }
    if (v)
      await this.record(v, "server.console.close", {
        seconds: Math.round((Date.now() - v.c) / 1000),
        actions: v.n,
      });
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const echo = code === 1005 || code === 1006 || code < 1000 || code > 4999 ? 1000 : code;
    try {
      ws.close(echo, reason);
    } catch {
      // already closed
    }
    await this.left(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.left(ws);
  }

  /** The watchdog: Wings back for viewers that outlived an eviction; nothing held once none are left. */
  override async alarm(): Promise<void> {
    if (!this.present()) return this.closeWings();
    await this.recheckViewers();
    if (!this.present()) return this.closeWings();
    await this.ensureWings(false).catch((err: unknown) =>
      this.deps.log("warn", "console reconnect failed", { error: errorText(err) }),
    );
    await this.ctx.storage.setAlarm(Date.now() + LIMITS.watchdogMs);
  }

  /** Every viewer's rights read again in one query (what they see follows); the revoked are closed. */
  private async recheckViewers(): Promise<void> {
    const now = Date.now();
    const open = this.openViewers().flatMap((ws) => {
      const v = this.viewer(ws);
      return v ? [{ ws, v }] : [];
    });
    if (open.length === 0) return;
    let rights: Map<string, Pick<Viewer, "r" | "p">>;
    try {
      rights = await this.currentRights([...new Set(open.map((o) => o.v.u))]);
    } catch (err) {
      return this.deps.log("warn", "console rights not read", { error: errorText(err) });
    }
    for (const { ws, v } of open) this.applyRights(ws, v, rights.get(v.u), now);
  }

  /** For tests: the number of viewers and whether the Wings socket is open. */
  async state(): Promise<{ viewers: number; wings: boolean }> {
    return { viewers: this.openViewers().length, wings: this.wings !== undefined };
  }
}
