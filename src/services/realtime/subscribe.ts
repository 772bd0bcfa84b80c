// A subscriber inside the Worker: one WebSocket from this invocation to a topic's hub object, for
// code that turns hub frames into another transport (the sync SSE stream). The hub accepts it
// with the Hibernation API like a browser's socket, so while nothing is published the object
// sleeps: the open socket costs it nothing, and our pings (the exact PING text) are answered by
// the runtime's auto-response without waking it. An SSE endpoint served by the object instead
// would keep it awake for as long as a viewer watched (an open response is work in progress).
// The caller has authenticated and authorized the viewer; the hub trusts these headers.
import type { Deps } from "../../platform/deps.ts";
import { type Frame, framesOf, HUB_HEADERS, PING } from "./protocol.ts";

export interface Viewer {
  id: string;
  name: string;
  role: "member" | "staff";
}

export interface Subscription {
  /** The next frame, `null` after `timeoutMs` without one, `"closed"` once the socket is gone. */
  next(timeoutMs: number): Promise<Frame | null | "closed">;
  /** Keeps the hub's idle sweep from closing a quiet subscription (answered without waking it). */
  ping(): void;
  close(): void;
  /** Offset of the last history frame seen (resume from it with `since`). */
  readonly lastOffset: number;
}

/** Opens a read-only socket on `topic` (the welcome is the first frame). Throws if the hub refuses. */
export async function subscribe(
  deps: Pick<Deps, "stubs">,
  topic: string,
  viewer: Viewer,
  opts: { since?: number; requestId?: string } = {},
): Promise<Subscription> {
  const headers = new Headers({
    upgrade: "websocket",
    [HUB_HEADERS.topic]: topic,
    [HUB_HEADERS.user]: viewer.id,
    [HUB_HEADERS.name]: encodeURIComponent(viewer.name),
    [HUB_HEADERS.role]: viewer.role,
    [HUB_HEADERS.publish]: "0",
    [HUB_HEADERS.requestId]: opts.requestId ?? "",
  });
  if (opts.since !== undefined) headers.set(HUB_HEADERS.since, String(opts.since));
  const res = await deps.stubs.realtimeHub(topic).fetch("https://hub/subscribe", { headers });
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) {
    throw new Error(`hub refused the subscription to ${topic}: ${res.status}`);
  }
  ws.accept();
  const queue: Frame[] = [];
  let closed = false;
  let lastOffset = opts.since ?? 0;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  ws.addEventListener("message", (e) => {
    if (typeof e.data !== "string") return;
    try {
      for (const f of framesOf(JSON.parse(e.data) as Frame)) {
        if (typeof f?.type !== "string" || f.type === "pong") continue;
        queue.push(f);
      }
      poke();
    } catch {
      // not a frame
    }
  });
  const gone = () => {
    closed = true;
    poke();
  };
  ws.addEventListener("close", gone);
  ws.addEventListener("error", gone);
  return {
    get lastOffset() {
      return lastOffset;
    },
    async next(timeoutMs) {
      if (queue.length === 0 && !closed) {
        let timer: ReturnType<typeof setTimeout> | null = null;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(poke, timeoutMs);
        });
        if (timer !== null) clearTimeout(timer);
      }
      const f = queue.shift();
      if (f) {
        if (f.offset > lastOffset) lastOffset = f.offset;
        return f;
      }
      return closed ? "closed" : null;
    },
    ping() {
      if (closed) return;
      try {
        ws.send(PING);
      } catch {
        gone();
      }
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        ws.close(1000, "done");
      } catch {
        // closed meanwhile
      }
    },
  };
}
