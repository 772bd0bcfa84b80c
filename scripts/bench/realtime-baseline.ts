// Baseline for scripts/bench-realtime.ts (not deployed): the smallest hibernating broadcast
// object — accept with ctx.acceptWebSocket, POST /publish sends the body to every socket. No
// auth, offsets, history, presence or limits: what the RealtimeHub is compared against.
import { DurableObject } from "cloudflare:workers";

export class Broadcast extends DurableObject {
  override async fetch(request: Request): Promise<Response> {
    if (request.method === "POST") {
      const text = await request.text();
      for (const ws of this.ctx.getWebSockets()) ws.send(text);
      return new Response("ok");
    }
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }
}

interface Env {
  BROADCAST: DurableObjectNamespace<Broadcast>;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    const topic = url.searchParams.get("topic") ?? "t";
    return env.BROADCAST.getByName(topic).fetch(request);
  },
} satisfies ExportedHandler<Env>;
