// RealtimeHub Durable Object: one object per topic (admin, sync:{id}, server:{uuid}, chat:{channel},
// ticket:{id}), plus `user:{id}` index objects that remember which topics a user joined (for bans).
// Sockets use the Hibernation API: accepted with ctx.acceptWebSocket, per-socket state in the
// attachment (so it survives eviction), pings answered by the runtime's auto-response, idle
// sockets closed by an alarm (no timers). The topic's offset and bounded history live in the
// object's SQLite storage, so a client resumes from its last offset after a deploy or eviction.
// The Worker has authenticated and authorized the caller before forwarding: the hub trusts the
// x-rt-* headers it sets (clients cannot reach the object directly).
import { DurableObject } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { getDb } from "../../platform/db/client.ts";
import { chatMessages } from "../../platform/db/schema/index.ts";
import { type Bindings, getConfig } from "../../platform/env.ts";
import { log } from "../../platform/log.ts";
import { CLOSE, type Frame, HUB_HEADERS, LIMITS, PING, PONG } from "../../services/realtime/protocol.ts";

/** Per-socket state, kept in the attachment (≤ 16 KiB) so it survives hibernation. */
interface Attachment {
  /** user id, display name, role (member | staff), may publish messages */
  u: string;
  n: string;
  r: string;
  p: boolean;
  /** connected at, last frame from the client (epoch ms) */
  c: number;
  s: number;
  /** token bucket: tokens, refilled at; refused messages in a row */
  t: number;
  tu: number;
  x: number;
  /** wants `analytics` frames (dashboards), throttled to one per ANALYTICS_MS */
  an?: boolean;
  /** the user's own message bucket (an override managed through /ratelimits/users), if any */
  ub?: number;
  ur?: number;
}

/** A per-user override of the message bucket (absent fields: the topic's). */
export interface UserLimits {
  burst?: number;
  perSecond?: number;
}

export interface SessionEntry {
  user: { id: string; name: string; role: string };
  connections: { connectedAt: string; durationMs: number; idleMs: number }[];
  totalMs: number;
}

export interface HubLimits {
  maxSockets: number;
  burst: number;
  perSecond: number;
}

export interface PresenceEntry {
  id: string;
  name: string;
  role: string;
  connections: number;
}

interface AuditRow {
  id: string;
  action: string;
  actorType: string;
  actorId: string | null;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown> | null;
  createdAt: string;
}

/** The tag of sockets that asked for throttled analytics frames. */
const ANALYTICS_TAG = "an";

/** How far back each audit read overlaps the previous one, and how many rows one read takes. */
const AUDIT_OVERLAP_MS = 10_000;
const AUDIT_TAIL_MAX = 200;

function userLimitsOf(raw: string | null): { ub?: number; ur?: number } {
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as UserLimits;
    return {
      ...(typeof v.burst === "number" ? { ub: v.burst } : {}),
      ...(typeof v.perSecond === "number" ? { ur: v.perSecond } : {}),
    };
  } catch {
    return {};
  }
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function jsonError(status: number, code: string, error: string, requestId: string): Response {
  return Response.json({ success: false, error, code, requestId }, { status });
}

export class RealtimeHub extends DurableObject {
  private readonly sql: SqlStorage;
  /** History frames appended but not yet sent (one flush sends them in one message per socket). */
  private outbox: string[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Analytics waiting for the next throttled frame (latest value per key wins). */
  private readonly analytics = new Map<string, Record<string, unknown> | null>();
  private analyticsTimer: ReturnType<typeof setTimeout> | null = null;
  private analyticsSentAt = 0;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS frames (off INTEGER PRIMARY KEY, frame TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS kicked (user TEXT PRIMARY KEY, until INTEGER);
      CREATE TABLE IF NOT EXISTS joined (topic TEXT PRIMARY KEY, at INTEGER NOT NULL);`);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  // --- storage ---------------------------------------------------------------------------

  private meta(k: string): string | undefined {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v;
  }

  private setMeta(k: string, v: string): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", k, v);
  }

  // Offset and topic are read from storage once per wake and kept in memory (this object is their
  // only writer): a broadcast then costs no storage read, only the frame's write for resume.
  private cachedOffset: number | undefined;
  private cachedTopic: string | undefined;

  private offset(): number {
    this.cachedOffset ??= Number(this.meta("offset") ?? 0);
    return this.cachedOffset;
  }

  private topic(): string {
    this.cachedTopic ??= this.meta("topic") ?? "";
    return this.cachedTopic;
  }

  private setTopic(topic: string): void {
    if (this.topic() === topic) return;
    this.setMeta("topic", topic);
    this.cachedTopic = topic;
  }

  private limits(): HubLimits {
    const stored = this.meta("limits");
    return {
      maxSockets: LIMITS.maxSockets,
      burst: LIMITS.burst,
      perSecond: LIMITS.perSecond,
      ...(stored ? (JSON.parse(stored) as Partial<HubLimits>) : {}),
    };
  }

  private isKicked(userId: string, now: number): boolean {
    const row = this.sql
      .exec<{ until: number | null }>("SELECT until FROM kicked WHERE user = ?", userId)
      .toArray()[0];
    if (!row) return false;
    if (row.until !== null && row.until <= now) {
      this.sql.exec("DELETE FROM kicked WHERE user = ?", userId);
      return false;
    }
    return true;
  }

  /** Appends a history frame (next offset), trims history, and sends it to every socket. */
  private append(type: string, data: Record<string, unknown>): Frame {
    const offset = this.offset() + 1;
    const frame: Frame = { type, topic: this.topic(), offset, id: crypto.randomUUID(), ts: Date.now(), data };
    const text = JSON.stringify(frame);
    this.setMeta("offset", String(offset));
    this.cachedOffset = offset;
    this.sql.exec("INSERT INTO frames (off, frame) VALUES (?, ?)", offset, text);
    this.sql.exec("DELETE FROM frames WHERE off <= ?", offset - LIMITS.historyMax);
    this.enqueue(text);
    this.noteTopicAnalytics();
    return frame;
  }

  /**
   * Broadcast batching: a history frame waits up to BATCH_MS for others (concurrent publishes, a
   * page of audit rows), then one flush sends them to every socket — one frame as itself, several
   * as one `batch` message built from the already-serialised texts (never re-serialised per
   * socket). The timer lives only while frames are pending (≤ BATCH_MS), so it never keeps an
   * idle object awake; anything sent outside the batch (welcome, presence, errors, closes) flushes
   * first, so no socket sees frames out of offset order.
   */
  private enqueue(text: string): void {
    this.outbox.push(text);
    if (this.flushTimer === null) this.flushTimer = setTimeout(() => this.flush(), LIMITS.batchMs);
  }

  private flush(): void {
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.outbox.length === 0) return;
    const texts = this.outbox;
    this.outbox = [];
    const msg =
      texts.length === 1
        ? (texts[0] as string)
        : `{"type":"batch","topic":${JSON.stringify(this.topic())},"frames":[${texts.join(",")}]}`;
    this.broadcast(msg);
  }

  // --- throttled analytics ---------------------------------------------------------------

  /**
   * The topic's own figures (sockets, users, offset) changed: the next analytics frame carries
   * them, computed when it is sent (≤ 4/s), not per event. Cheap when no dashboard asked: a tag lookup.
   */
  private noteTopicAnalytics(): void {
    if (this.ctx.getWebSockets(ANALYTICS_TAG).length === 0) return;
    this.queueAnalytics("topic", null);
  }

  /**
   * Coalesces an analytics value (latest per key) into the next `analytics` frame, sent to the
   * sockets that asked for them (`analytics=1`) at most once per ANALYTICS_MS: a dashboard on a
   * weak device gets a few updates a second however many events there are. The timer is armed
   * only while a value is pending and never for longer than ANALYTICS_MS.
   */
  private queueAnalytics(key: string, data: Record<string, unknown> | null): void {
    this.analytics.set(key, data);
    if (this.analyticsTimer !== null) return;
    const wait = Math.max(0, this.analyticsSentAt + LIMITS.analyticsMs - Date.now());
    this.analyticsTimer = setTimeout(() => this.flushAnalytics(), wait);
  }

  private flushAnalytics(): void {
    this.analyticsTimer = null;
    if (this.analytics.size === 0) return;
    const watchers = this.ctx.getWebSockets(ANALYTICS_TAG);
    if (this.analytics.has("topic")) {
      const all = this.sockets();
      this.analytics.set("topic", {
        sockets: all.length,
        users: new Set(all.map((x) => x.a.u)).size,
        offset: this.offset(),
      });
    }
    const text = this.ephemeral("analytics", Object.fromEntries(this.analytics));
    this.analytics.clear();
    this.analyticsSentAt = Date.now();
    for (const ws of watchers) this.send(ws, text);
  }

  private frames(afterOffset: number, limit: number): Frame[] {
    return this.sql
      .exec<{ frame: string }>(
        "SELECT frame FROM (SELECT off, frame FROM frames WHERE off > ? ORDER BY off DESC LIMIT ?) ORDER BY off",
        afterOffset,
        limit,
      )
      .toArray()
      .map((r) => JSON.parse(r.frame) as Frame);
  }

  private oldestOffset(): number | undefined {
    const row = this.sql.exec<{ o: number | null }>("SELECT min(off) AS o FROM frames").toArray()[0];
    return row?.o ?? undefined;
  }

  // --- sockets ---------------------------------------------------------------------------

  private sockets(except?: WebSocket): { ws: WebSocket; a: Attachment }[] {
    const out: { ws: WebSocket; a: Attachment }[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === except) continue;
      const a = ws.deserializeAttachment() as Attachment | null;
      if (a) out.push({ ws, a });
    }
    return out;
  }

  private broadcast(text: string, except?: WebSocket): void {
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === except) continue;
      try {
        ws.send(text);
      } catch {
        // A socket closing right now; its close handler cleans up.
      }
    }
  }

  /** A frame that does not advance the offset (presence, errors, welcome); pending history goes first. */
  private ephemeral(type: string, data: Record<string, unknown>): string {
    this.flush();
    const frame: Frame = {
      type,
      topic: this.topic(),
      offset: this.offset(),
      id: crypto.randomUUID(),
      ts: Date.now(),
      data,
    };
    return JSON.stringify(frame);
  }

  private presence(except?: WebSocket): PresenceEntry[] {
    const byUser = new Map<string, PresenceEntry>();
    for (const { a } of this.sockets(except)) {
      const e = byUser.get(a.u);
      if (e) e.connections++;
      else byUser.set(a.u, { id: a.u, name: a.n, role: a.r, connections: 1 });
    }
    return [...byUser.values()];
  }

  private send(ws: WebSocket, text: string): void {
    try {
      ws.send(text);
    } catch {
      // closed meanwhile
    }
  }

  private closeSocket(ws: WebSocket, code: number, reason: string): void {
    this.flush();
    const a = ws.deserializeAttachment() as Attachment | null;
    try {
      ws.close(code, reason);
    } catch {
      // already closed
    }
    if (a) this.left(ws, a);
  }

  /** Broadcasts presence.leave when `ws` was the user's last socket. */
  private left(ws: WebSocket, a: Attachment): void {
    if (ws.deserializeAttachment() === null) return;
    ws.serializeAttachment(null);
    if (this.sockets(ws).some((s) => s.a.u === a.u)) return;
    this.broadcast(this.ephemeral("presence.leave", { user: { id: a.u, name: a.n, role: a.r } }), ws);
  }

  /** The `admin` topic also tails the audit trail while someone watches (auditTail), so it sweeps more often. */
  private sweepEvery(): number {
    return this.topic() === "admin" ? LIMITS.auditTailMs : LIMITS.sweepMs;
  }

  private async ensureAlarm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) {
      if (this.topic() === "admin" && this.meta("auditCursor") === undefined) {
        this.setMeta("auditCursor", JSON.stringify({ at: new Date().toISOString(), ids: [] }));
      }
      await this.ctx.storage.setAlarm(Date.now() + this.sweepEvery());
    }
  }

  /**
   * Audit rows committed since the last look, as `audit` frames on `admin`: read by the alarm
   * only while admin sockets are open (nobody watching → no alarm → no reads), never a write per
   * event. Rows are ordered by createdAt (a transaction's start), so the read overlaps the last
   * AUDIT_OVERLAP_MS and skips ids already sent: a long transaction committing late is not lost.
   */
  private async auditTail(): Promise<void> {
    const cursor = JSON.parse(this.meta("auditCursor") ?? "null") as { at: string; ids: string[] } | null;
    const from = cursor ? new Date(new Date(cursor.at).getTime() - AUDIT_OVERLAP_MS) : new Date();
    const seen = new Set(cursor?.ids ?? []);
    let rows: AuditRow[];
    try {
      rows = (
        await getDb(getConfig(this.env as unknown as Bindings)).execute(sql`
          select id, action, "actorType", "actorId", "targetType", "targetId", details,
            to_char("createdAt" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt"
          from audit_logs where "createdAt" > ${from.toISOString()}::timestamptz
          order by "createdAt", id limit ${AUDIT_TAIL_MAX}`)
      ).rows.map((r) => ({ ...(r as unknown as AuditRow), id: String(r.id) }));
    } catch (err) {
      log("warn", "realtime: audit tail failed", { error: err instanceof Error ? err.message : String(err) });
      return;
    }
    let at = cursor?.at ?? from.toISOString();
    const recent: string[] = [];
    for (const r of rows) {
      const created = new Date(r.createdAt).toISOString();
      if (created > at) at = created;
      recent.push(r.id);
      if (seen.has(r.id)) continue;
      this.append("audit", {
        id: r.id,
        action: r.action,
        actor: { type: r.actorType, id: r.actorId },
        target: r.targetType ? { type: r.targetType, id: r.targetId } : null,
        details: r.details ?? {},
        at: created,
      });
    }
    // Ids inside the overlap window are remembered so the next read skips them.
    const keep = new Date(new Date(at).getTime() - AUDIT_OVERLAP_MS).toISOString();
    const ids = rows.filter((r) => new Date(r.createdAt).toISOString() >= keep).map((r) => r.id);
    this.setMeta("auditCursor", JSON.stringify({ at, ids: ids.length ? ids : recent.slice(-50) }));
  }

  // --- handlers --------------------------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const h = request.headers;
    const requestId = h.get(HUB_HEADERS.requestId) ?? "";
    if (h.get("upgrade")?.toLowerCase() !== "websocket") {
      return jsonError(426, "INVALID_REQUEST", "Expected a WebSocket upgrade", requestId);
    }
    const topic = h.get(HUB_HEADERS.topic) ?? "";
    const userId = h.get(HUB_HEADERS.user) ?? "";
    if (!topic || !userId) return jsonError(400, "INVALID_REQUEST", "Missing hub headers", requestId);
    this.setTopic(topic);
    // Pending frames go out before this socket joins: they are in its welcome already.
    this.flush();
    const now = Date.now();
    if (this.isKicked(userId, now)) return jsonError(403, "FORBIDDEN", "banned", requestId);
    const limits = this.limits();
    if (this.sockets().length >= limits.maxSockets) {
      return jsonError(503, "UNAVAILABLE", "Topic is at capacity, retry later", requestId);
    }

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const a: Attachment = {
      u: userId,
      n: safeDecode(h.get(HUB_HEADERS.name) ?? ""),
      r: h.get(HUB_HEADERS.role) ?? "member",
      p: h.get(HUB_HEADERS.publish) === "1",
      c: now,
      s: now,
      t: limits.burst,
      tu: now,
      x: 0,
      ...(h.get(HUB_HEADERS.analytics) === "1" ? { an: true } : {}),
      ...userLimitsOf(h.get(HUB_HEADERS.userLimits)),
    };
    if (a.ub !== undefined) a.t = a.ub;
    const firstOfUser = !this.sockets().some((s) => s.a.u === userId);
    this.ctx.acceptWebSocket(server, a.an ? [`u:${userId}`, ANALYTICS_TAG] : [`u:${userId}`]);
    server.serializeAttachment(a);

    const current = this.offset();
    const sinceRaw = h.get(HUB_HEADERS.since);
    let recovery: "recent" | "resumed" | "too_old" = "recent";
    let frames: Frame[];
    if (sinceRaw !== null) {
      const since = Number(sinceRaw);
      const oldest = this.oldestOffset() ?? current + 1;
      if (since <= current && since >= oldest - 1) {
        recovery = "resumed";
        frames = this.frames(since, LIMITS.historyMax);
      } else {
        recovery = "too_old";
        frames = this.frames(0, LIMITS.recent);
      }
    } else frames = this.frames(0, LIMITS.recent);
    this.send(
      server,
      this.ephemeral("welcome", {
        you: { id: a.u, name: a.n, role: a.r },
        canPublish: a.p,
        presence: this.presence(),
        recovery,
        frames,
      }),
    );
    if (firstOfUser) {
      this.broadcast(this.ephemeral("presence.join", { user: { id: a.u, name: a.n, role: a.r } }), server);
    }
    this.noteTopicAnalytics();
    await this.ensureAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const a = ws.deserializeAttachment() as Attachment | null;
    if (!a) return;
    const now = Date.now();
    a.s = now;
    const reply = (code: string, message: string, extra: Record<string, unknown> = {}) =>
      this.send(ws, this.ephemeral("error", { code, message, ...extra }));
    // Everything up to the broadcast is synchronous, and the attachment is written before the one
    // await (the Postgres write): handlers of later frames interleave there and must see this state.
    let persist: { frame: Frame; text: string } | undefined;
    try {
      if (typeof raw !== "string") return reply("binary_unsupported", "Send JSON text frames");
      if (raw.length > LIMITS.maxFrameBytes) {
        return reply("too_large", `Frames are limited to ${LIMITS.maxFrameBytes} bytes`);
      }
      let msg: { type?: unknown; data?: { text?: unknown } };
      try {
        msg = JSON.parse(raw) as typeof msg;
      } catch {
        return reply("bad_json", "Frames are JSON objects");
      }
      if (msg === null || typeof msg !== "object") return reply("bad_json", "Frames are JSON objects");
      if (msg.type === "ping") return this.send(ws, PONG);
      if (msg.type !== "message") return reply("unknown_type", "Clients send ping or message frames");
      if (!a.p) return reply("read_only", "This topic does not accept messages from clients");
      if (this.isKicked(a.u, now)) {
        this.closeSocket(ws, CLOSE.BANNED, "banned");
        return;
      }
      const text = msg.data?.text;
      if (typeof text !== "string" || text.trim() === "") {
        return reply("invalid_message", "data.text must be a non-empty string");
      }
      if (text.length > LIMITS.maxTextChars) {
        return reply("too_large", `Messages are limited to ${LIMITS.maxTextChars} characters`);
      }
      // Token bucket in the attachment: refilled continuously, one token per message.
      const topicLimits = this.limits();
      const limits = { burst: a.ub ?? topicLimits.burst, perSecond: a.ur ?? topicLimits.perSecond };
      a.t = Math.min(limits.burst, a.t + ((now - a.tu) / 1000) * limits.perSecond);
      a.tu = now;
      if (a.t < 1) {
        a.x++;
        if (a.x >= LIMITS.strikes) {
          ws.serializeAttachment(a);
          this.closeSocket(ws, CLOSE.RATE_LIMITED, "rate limited");
          return;
        }
        return reply("rate_limited", "Slow down", {
          retryAfterMs: Math.ceil(((1 - a.t) / limits.perSecond) * 1000),
        });
      }
      a.t -= 1;
      a.x = 0;
      const frame = this.append("message", { text, user: { id: a.u, name: a.n, role: a.r } });
      persist = { frame, text };
    } finally {
      if (ws.deserializeAttachment() !== null) ws.serializeAttachment(a);
    }
    if (persist) await this.persist(persist.frame, a.u, persist.text);
  }

  /** Chat messages go to Postgres after the broadcast; (topic, offset) makes a retry a no-op. */
  private async persist(frame: Frame, userId: string, body: string): Promise<void> {
    try {
      await getDb(getConfig(this.env as unknown as Bindings))
        .insert(chatMessages)
        .values({
          id: frame.id,
          topic: frame.topic,
          offset: frame.offset,
          userId,
          body,
          createdAt: new Date(frame.ts),
        })
        .onConflictDoNothing();
    } catch (err) {
      log("error", "realtime: chat message not persisted", {
        topic: frame.topic,
        offset: frame.offset,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const a = ws.deserializeAttachment() as Attachment | null;
    if (a) this.left(ws, a);
    // 1005/1006 are never sent on the wire: answer with a normal close.
    const echo = code === 1005 || code === 1006 || code < 1000 || code > 4999 ? 1000 : code;
    try {
      ws.close(echo, reason);
    } catch {
      // already closed
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    const a = ws.deserializeAttachment() as Attachment | null;
    if (a) this.left(ws, a);
  }

  /** Closes sockets silent for longer than idleMs (webSocketClose may never arrive); re-arms while any remain. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const { ws, a } of this.sockets()) {
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      if (now - Math.max(a.s, pinged) > LIMITS.idleMs) this.closeSocket(ws, CLOSE.IDLE, "idle");
    }
    if (this.topic() === "admin" && this.sockets().length > 0) await this.auditTail();
    if (this.sockets().length > 0) await this.ctx.storage.setAlarm(now + this.sweepEvery());
    else if (this.topic() === "admin") this.sql.exec("DELETE FROM meta WHERE k = 'auditCursor'");
  }

  // --- RPC (from the Worker and services) --------------------------------------------------

  /** Server-side publish: a history frame on this topic, sent to every socket. */
  async publish(
    topic: string,
    type: string,
    data: Record<string, unknown>,
  ): Promise<{ offset: number; id: string }> {
    this.setTopic(topic);
    const frame = this.append(type, data);
    return { offset: frame.offset, id: frame.id };
  }

  /** A dashboard figure (latest value per key wins), sent with the next throttled `analytics` frame; not history. */
  async publishAnalytics(topic: string, key: string, data: Record<string, unknown>): Promise<void> {
    this.setTopic(topic);
    this.queueAnalytics(key, data);
  }

  /** Closes a user's sockets here at once and refuses them until `until` (epoch ms; null = until lifted). */
  async kick(userId: string, until: number | null, reason = "banned"): Promise<number> {
    this.sql.exec(
      "INSERT INTO kicked (user, until) VALUES (?, ?) ON CONFLICT(user) DO UPDATE SET until = excluded.until",
      userId,
      until,
    );
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(`u:${userId}`)) {
      this.closeSocket(ws, CLOSE.BANNED, reason.slice(0, 100));
      closed++;
    }
    return closed;
  }

  /** Lets a user back in (a lifted ban). */
  async unkick(userId: string): Promise<void> {
    this.sql.exec("DELETE FROM kicked WHERE user = ?", userId);
  }

  async getLimits(): Promise<HubLimits> {
    return this.limits();
  }

  async setLimits(limits: Partial<HubLimits>): Promise<HubLimits> {
    const next = { ...this.limits(), ...limits };
    this.setMeta("limits", JSON.stringify(next));
    return next;
  }

  async stats(): Promise<{ topic: string; offset: number; sockets: number; presence: PresenceEntry[] }> {
    return {
      topic: this.topic(),
      offset: this.offset(),
      sockets: this.ctx.getWebSockets().length,
      presence: this.presence(),
    };
  }

  /** Connections per user with how long each has been open and silent (activity/sessions). */
  async sessions(): Promise<{ topic: string; sockets: number; users: SessionEntry[] }> {
    const now = Date.now();
    const byUser = new Map<string, SessionEntry>();
    for (const { ws, a } of this.sockets()) {
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      const e = byUser.get(a.u) ?? { user: { id: a.u, name: a.n, role: a.r }, connections: [], totalMs: 0 };
      const durationMs = now - a.c;
      e.connections.push({
        connectedAt: new Date(a.c).toISOString(),
        durationMs,
        idleMs: now - Math.max(a.s, pinged),
      });
      e.totalMs += durationMs;
      byUser.set(a.u, e);
    }
    const users = [...byUser.values()].sort((x, y) => y.totalMs - x.totalMs);
    return { topic: this.topic(), sockets: users.reduce((n, u) => n + u.connections.length, 0), users };
  }

  /** Applies a user's bucket override to their open sockets here (a refill keeps what they had). */
  async setUserLimits(userId: string, limits: UserLimits): Promise<number> {
    let n = 0;
    for (const ws of this.ctx.getWebSockets(`u:${userId}`)) {
      const a = ws.deserializeAttachment() as Attachment | null;
      if (!a) continue;
      a.ub = limits.burst;
      a.ur = limits.perSecond;
      if (a.ub !== undefined) a.t = Math.min(a.t, a.ub);
      ws.serializeAttachment(a);
      n++;
    }
    return n;
  }

  // user:{id} index objects: the user's bucket override, kept here and read at every upgrade.

  async getUserLimits(): Promise<UserLimits> {
    return JSON.parse(this.meta("userLimits") ?? "{}") as UserLimits;
  }

  async putUserLimits(limits: UserLimits): Promise<UserLimits> {
    const clean: UserLimits = {
      ...(limits.burst !== undefined ? { burst: limits.burst } : {}),
      ...(limits.perSecond !== undefined ? { perSecond: limits.perSecond } : {}),
    };
    if (Object.keys(clean).length === 0) this.sql.exec("DELETE FROM meta WHERE k = 'userLimits'");
    else this.setMeta("userLimits", JSON.stringify(clean));
    return clean;
  }

  // user:{id} index objects: which chat/ticket topics the user joined (a ban closes them all).

  async track(topic: string): Promise<void> {
    const now = Date.now();
    this.sql.exec(
      "INSERT INTO joined (topic, at) VALUES (?, ?) ON CONFLICT(topic) DO UPDATE SET at = excluded.at",
      topic,
      now,
    );
    this.sql.exec("DELETE FROM joined WHERE at < ?", now - 30 * 86_400_000);
  }

  async joinedTopics(): Promise<string[]> {
    return this.sql
      .exec<{ topic: string }>("SELECT topic FROM joined ORDER BY at DESC")
      .toArray()
      .map((r) => r.topic);
  }
}
