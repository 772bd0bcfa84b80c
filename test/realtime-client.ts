// A WebSocket client for the realtime tests: ticket → upgrade through the Worker's real fetch
// handler → frames collected in order, with waits for a frame or for the close.
import { expect } from "vitest";
import { type Frame, framesOf } from "../src/services/realtime/protocol.ts";
import { call, callJson } from "./helpers.ts";
import { bearer } from "./users.ts";

export interface RtClient {
  ws: WebSocket;
  frames: Frame[];
  /** Socket messages received (a batch is one message carrying several frames). */
  messages: number;
  closed: { code: number; reason: string } | undefined;
  /** Waits for the first collected frame (from index `from`) matching `pred`. */
  next(pred: (f: Frame) => boolean, timeoutMs?: number, from?: number): Promise<Frame>;
  waitClosed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  send(v: unknown): void;
  close(): void;
}

export async function ticket(token: string, topic: string) {
  return callJson<{ ticket: string; url: string; canPublish: boolean; code?: string; error?: string }>(
    "/api/v1/realtime/ticket",
    {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ topic }),
    },
  );
}

export async function upgrade(url: string): Promise<Response> {
  return call(url, { headers: { Upgrade: "websocket" } });
}

async function until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Opens a socket on `topic` as the token's user (asserting the upgrade succeeds). */
export async function connect(token: string, topic: string, since?: number, extra = ""): Promise<RtClient> {
  const t = await ticket(token, topic);
  expect(t.res.status, t.text).toBe(200);
  const res = await upgrade(`${since === undefined ? t.body.url : `${t.body.url}&since=${since}`}${extra}`);
  expect(res.status, res.status === 101 ? "" : await res.text()).toBe(101);
  const ws = res.webSocket;
  if (!ws) throw new Error("no webSocket on the 101 answer");
  ws.accept();
  const client: RtClient = {
    ws,
    frames: [],
    messages: 0,
    closed: undefined,
    next(pred, timeoutMs = 15_000, from = 0) {
      return until(() => client.frames.slice(from).find(pred), timeoutMs, "a frame");
    },
    waitClosed(timeoutMs = 15_000) {
      return until(() => client.closed, timeoutMs, "the close");
    },
    send(v) {
      ws.send(typeof v === "string" ? v : JSON.stringify(v));
    },
    close() {
      try {
        ws.close(1000, "bye");
      } catch {
        // closed already
      }
    },
  };
  ws.addEventListener("message", (e) => {
    const text = typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
    const message = JSON.parse(text) as Frame;
    client.messages++;
    client.frames.push(...framesOf(message));
  });
  ws.addEventListener("close", (e) => {
    client.closed = { code: e.code, reason: e.reason };
  });
  return client;
}
