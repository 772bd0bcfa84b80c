// A local fake of Discord's webhook execution endpoint, as unfriendly as the real one:
// `POST /api/webhooks/{id}/{token}` answers 204 and records the message; it refuses requests
// without a User-Agent (Discord and Cloudflare block them), unknown webhooks (404 code 10015),
// a wrong token (401 code 50027), more than 10 embeds or 6,000 embed characters (400 code
// 50035), and on demand 429 with a fractional `retry_after` plus `X-RateLimit-*` headers, or 5xx.
// Webhooks are registered with `POST /__webhooks` {id, token}; tests read `GET /__messages`.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface DiscordMessage {
  webhookId: string;
  userAgent: string;
  body: { username?: string; embeds?: { title?: string; description?: string; fields?: unknown[] }[] };
  at: number;
}

interface Fault {
  webhookId: string;
  kind: "429" | "500";
  times: number;
  retryAfter?: number;
}

function embedChars(body: DiscordMessage["body"]): number {
  let n = 0;
  for (const e of body.embeds ?? []) n += JSON.stringify(e).length;
  return n;
}

export async function startFakeDiscord(
  opts: {
    port?: number;
    onMessage?: (m: DiscordMessage) => void /** dev: any webhook is known */;
    acceptAny?: boolean;
  } = {},
) {
  const webhooks = new Map<string, string>();
  const messages: DiscordMessage[] = [];
  const faults: Fault[] = [];
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/__webhooks" && req.method === "POST") {
      const { id, token } = JSON.parse(await read(req)) as { id: string; token: string };
      webhooks.set(id, token);
      return json(200, { ok: true });
    }
    if (url.pathname === "/__faults" && req.method === "POST") {
      faults.push(JSON.parse(await read(req)) as Fault);
      return json(200, { ok: true });
    }
    if (url.pathname === "/__messages" && req.method === "GET") {
      const id = url.searchParams.get("webhook");
      return json(200, id ? messages.filter((m) => m.webhookId === id) : messages);
    }
    const m = /^\/api\/webhooks\/(\d+)\/([\w-]+)$/.exec(url.pathname);
    if (!m || req.method !== "POST") return json(404, { message: "404: Not Found", code: 0 });
    const userAgent = req.headers["user-agent"];
    if (!userAgent) return json(403, { message: "Missing User-Agent", code: 0 });
    const [, id, token] = m as unknown as [string, string, string];
    if (opts.acceptAny && !webhooks.has(id)) webhooks.set(id, token);
    const known = webhooks.get(id);
    if (known === undefined) return json(404, { message: "Unknown Webhook", code: 10015 });
    if (known !== token) return json(401, { message: "Invalid Webhook Token", code: 50027 });
    const fault = faults.find((f) => f.webhookId === id && f.times > 0);
    if (fault) {
      fault.times--;
      await read(req);
      if (fault.kind === "429") {
        const retryAfter = fault.retryAfter ?? 0.35;
        return json(
          429,
          { message: "You are being rate limited.", retry_after: retryAfter, global: false },
          {
            "retry-after": String(Math.ceil(retryAfter)),
            "x-ratelimit-limit": "5",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset-after": String(retryAfter),
            "x-ratelimit-scope": "shared",
          },
        );
      }
      return json(500, { message: "500: Internal Server Error", code: 0 });
    }
    let body: DiscordMessage["body"];
    try {
      body = JSON.parse(await read(req)) as DiscordMessage["body"];
    } catch {
      return json(400, { message: "The request body contains invalid JSON.", code: 50109 });
    }
    if ((body.embeds?.length ?? 0) > 10 || embedChars(body) > 6000) {
      return json(400, { message: "Invalid Form Body", code: 50035 });
    }
    const message: DiscordMessage = { webhookId: id, userAgent: String(userAgent), body, at: Date.now() };
    messages.push(message);
    opts.onMessage?.(message);
    res.writeHead(204);
    res.end();
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Registers a webhook the fake will accept (dev registers any webhook it is given). */
    register(id: string, token: string) {
      webhooks.set(id, token);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
