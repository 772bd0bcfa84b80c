// A receiver of signed events that checks them the way Standard Webhooks receivers do, written
// independently of the Worker's signer (node:crypto, not Web Crypto): all three `webhook-*`
// headers present, the timestamp within 5 minutes, and at least one `v1,` signature in the
// space-separated list matching HMAC-SHA256(base64-decoded secret, "id.timestamp.body") in
// constant time. A path with registered secrets answers 401 to anything that fails the check, as
// a real receiver would. Control: `POST /__secrets {path, secrets}`, `POST /__respond {path,
// statuses}` (answers to use for the next requests, e.g. [500, 410]), `GET /__received?path=`.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedEvent {
  path: string;
  id: string | undefined;
  timestamp: string | undefined;
  signatures: string[];
  body: string;
  userAgent: string | undefined;
  /** Whether a registered secret verified it; null when the path has no secrets registered. */
  verified: boolean | null;
  /** Indexes of the registered secrets whose signature was present. */
  matchedSecrets: number[];
  reason?: string;
  answered: number;
  receivedAt: string;
}

const TOLERANCE_SECONDS = 300;

export function verifyStandardWebhook(
  secrets: readonly string[],
  headers: { id?: string; timestamp?: string; signature?: string },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): { ok: boolean; matched: number[]; reason?: string } {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, matched: [], reason: "missing webhook-* headers" };
  const ts = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - ts) > TOLERANCE_SECONDS)
    return { ok: false, matched: [], reason: "timestamp outside tolerance" };
  const given = signature
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => Buffer.from(s.slice(3), "base64"));
  const matched: number[] = [];
  secrets.forEach((secret, i) => {
    const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
    const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) matched.push(i);
  });
  return matched.length ? { ok: true, matched } : { ok: false, matched, reason: "no signature matched" };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startEventReceiver(opts: { port?: number; onEvent?: (e: ReceivedEvent) => void } = {}) {
  const secrets = new Map<string, string[]>();
  const answers = new Map<string, number[]>();
  const received: ReceivedEvent[] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const text = await readBody(req);
    if (url.pathname === "/__secrets" && req.method === "POST") {
      const b = JSON.parse(text) as { path: string; secrets: string[] };
      secrets.set(b.path, b.secrets);
      return send(200, { ok: true });
    }
    if (url.pathname === "/__respond" && req.method === "POST") {
      const b = JSON.parse(text) as { path: string; statuses: number[] };
      answers.set(b.path, [...b.statuses]);
      return send(200, { ok: true });
    }
    if (url.pathname === "/__received" && req.method === "GET") {
      const path = url.searchParams.get("path");
      return send(
        200,
        received.filter((e) => !path || e.path === path),
      );
    }
    if (req.method !== "POST") return send(405, { error: "POST only" });
    const header = (n: string) => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const h = {
      id: header("webhook-id"),
      timestamp: header("webhook-timestamp"),
      signature: header("webhook-signature"),
    };
    const known = secrets.get(url.pathname);
    const check = known ? verifyStandardWebhook(known, h, text) : undefined;
    const queued = answers.get(url.pathname);
    const scripted = queued?.shift();
    const answered = check && !check.ok ? 401 : (scripted ?? 200);
    const event: ReceivedEvent = {
      path: url.pathname,
      id: h.id,
      timestamp: h.timestamp,
      signatures: (h.signature ?? "").split(" ").filter(Boolean),
      body: text,
      userAgent: header("user-agent"),
      verified: check ? check.ok : null,
      matchedSecrets: check?.matched ?? [],
      reason: check?.reason,
      answered,
      receivedAt: new Date().toISOString(),
    };
    received.push(event);
    opts.onEvent?.(event);
    return send(
      answered,
      answered < 300 ? { received: true } : { error: check?.reason ?? `scripted ${answered}` },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
