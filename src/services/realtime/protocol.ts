// The realtime wire protocol shared by the hub object (src/areas/realtime), its subscribers in the
// Worker (subscribe.ts), the routes and the tests: frame shape,
// topic grammar, close codes and the default limits (docs/realtime.md describes them).

/**
 * Several history frames flushed together arrive as one message `{"type":"batch","topic","frames":[…]}`
 * (in offset order); a client unpacks it and handles each frame as if it had come alone.
 */
export interface BatchMessage {
  type: "batch";
  topic: string;
  frames: Frame[];
}

/** Every frame of one socket message (a single frame or a batch), in order. */
export function framesOf(message: Frame | BatchMessage): Frame[] {
  return message.type === "batch" && Array.isArray((message as BatchMessage).frames)
    ? (message as BatchMessage).frames
    : [message as Frame];
}

/** One frame on the wire. `offset` is the topic's position: history frames advance it, presence and errors carry the current one. */
export interface Frame {
  type: string;
  topic: string;
  offset: number;
  id: string;
  /** Epoch ms when the hub made the frame. */
  ts: number;
  data: Record<string, unknown>;
}

export const TOPIC_RE =
  /^(admin|sync:[A-Za-z0-9_-]{1,100}|server:[0-9a-fA-F-]{8,64}|chat:[a-z0-9][a-z0-9_-]{0,49}|ticket:[A-Za-z0-9_-]{1,100})$/;

export type TopicKind = "admin" | "sync" | "server" | "chat" | "ticket";

export function topicKind(topic: string): TopicKind {
  return topic.split(":", 1)[0] as TopicKind;
}

/** Topics where clients may publish `message` frames (everything else is backend-only). */
export const CHAT_KINDS: ReadonlySet<TopicKind> = new Set(["chat", "ticket"]);

/** Close codes of our own (4000–4999), sent after the upgrade. */
export const CLOSE = {
  /** The user was banned (or the hub refuses them on wake). */
  BANNED: 4403,
  /** Nothing (not even a ping) arrived for IDLE_MS. */
  IDLE: 4408,
  /** Too many refused messages in a row. */
  RATE_LIMITED: 4429,
} as const;

export const LIMITS = {
  /** Sockets per topic object (refused with 503 before the upgrade). */
  maxSockets: 1000,
  /** Token bucket per socket: burst and refill per second. */
  burst: 5,
  perSecond: 1,
  /** Refused messages in a row before the socket is closed with RATE_LIMITED. */
  strikes: 5,
  /** Largest accepted client frame (bytes of JSON) and message text (characters). */
  maxFrameBytes: 4096,
  maxTextChars: 2000,
  /** History frames a topic keeps, and how many a plain welcome replays. */
  historyMax: 500,
  recent: 50,
  /** A socket silent this long is closed by the alarm; the alarm sweeps this often. */
  idleMs: 75_000,
  sweepMs: 30_000,
  /** The `admin` topic's alarm, which also reads new audit rows, while admin sockets are open. */
  auditTailMs: 5_000,
  /** History frames published within this window go out in one flush (one message per socket). */
  batchMs: 2,
  /** At most one `analytics` frame per socket this often (dashboards on weak devices). */
  analyticsMs: 250,
} as const;

/** Exact text the hub answers without waking (setWebSocketAutoResponse). */
export const PING = '{"type":"ping"}';
export const PONG = '{"type":"pong"}';

/** Headers the Worker sets on the request it forwards to the hub (never the client's). */
export const HUB_HEADERS = {
  topic: "x-rt-topic",
  user: "x-rt-user",
  name: "x-rt-name",
  role: "x-rt-role",
  publish: "x-rt-publish",
  since: "x-rt-since",
  analytics: "x-rt-analytics",
  /** JSON `{burst?, perSecond?}`: the user's own message bucket (from their user:{id} object). */
  userLimits: "x-rt-user-limits",
  requestId: "x-request-id",
} as const;
