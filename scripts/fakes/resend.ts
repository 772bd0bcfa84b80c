// A local fake of Resend (tests, and the mail catcher of `npm run dev`)'s `POST /emails` (Bearer key, Idempotency-Key honoured like the real
// API: same key + same payload answers the first id, same key + another payload 409
// invalid_idempotent_request) that keeps what it received; tests read it back from
// `GET /__emails?to=`. Like the real service it refuses a missing User-Agent, and it can inject
// 429 (Retry-After), 500, 422 validation_error and 409 concurrent_idempotent_requests.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedEmail {
  id: string;
  idempotencyKey: string | null;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
}

export async function startFakeResend(
  apiKey: string,
  opts: { onEmail?: (email: ReceivedEmail) => void; port?: number } = {},
) {
  const emails: ReceivedEmail[] = [];
  const byKey = new Map<string, { email: ReceivedEmail; payload: string }>();
  /** Injected answers for the next sends to `to`: `POST /__faults {to, kind: "429"|"500"|"422"|"409-concurrent", times}`. */
  const faults: { to: string; kind: string; times: number }[] = [];
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
    if (req.method === "GET" && url.pathname === "/__emails") {
      const to = url.searchParams.get("to");
      return json(200, to ? emails.filter((e) => e.to.includes(to)) : emails);
    }
    if (req.method === "POST" && url.pathname === "/__faults") {
      faults.push(JSON.parse(await read(req)) as { to: string; kind: string; times: number });
      return json(200, { ok: true });
    }
    if (req.method !== "POST" || url.pathname !== "/emails")
      return json(404, { name: "not_found", message: "Not found" });
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return json(401, { statusCode: 401, name: "missing_api_key", message: "Missing API key" });
    }
    if (!req.headers["user-agent"]) {
      return json(403, {
        statusCode: 403,
        name: "missing_user_agent",
        message: "A User-Agent header is required",
      });
    }
    const raw = await read(req);
    let recipients: string[] = [];
    try {
      recipients = (JSON.parse(raw) as { to?: string[] }).to ?? [];
    } catch {
      return json(422, { statusCode: 422, name: "validation_error", message: "Invalid JSON" });
    }
    const fault = faults.find((f) => f.times > 0 && recipients.includes(f.to));
    if (fault) {
      fault.times--;
      if (fault.kind === "429")
        return json(
          429,
          { statusCode: 429, name: "rate_limit_exceeded", message: "Too many requests" },
          { "retry-after": "1" },
        );
      if (fault.kind === "422")
        return json(422, { statusCode: 422, name: "validation_error", message: "Invalid `to` field" });
      if (fault.kind === "409-concurrent")
        return json(409, { statusCode: 409, name: "concurrent_idempotent_requests", message: "In progress" });
      return json(500, { statusCode: 500, name: "internal_server_error", message: "Internal error" });
    }
    const body = JSON.parse(raw) as Omit<ReceivedEmail, "id" | "idempotencyKey">;
    if (!body.from || !Array.isArray(body.to) || !body.subject) {
      return json(422, { statusCode: 422, name: "validation_error", message: "Missing required fields" });
    }
    const key = (req.headers["idempotency-key"] as string | undefined) ?? null;
    const previous = key ? byKey.get(key) : undefined;
    if (previous && previous.payload !== raw) {
      return json(409, {
        statusCode: 409,
        name: "invalid_idempotent_request",
        message: "Same key, different payload",
      });
    }
    if (previous) return json(200, { id: previous.email.id });
    const email: ReceivedEmail = { ...body, id: crypto.randomUUID(), idempotencyKey: key };
    emails.push(email);
    opts.onEmail?.(email);
    if (key) byKey.set(key, { email, payload: raw });
    json(200, { id: email.id });
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
