// A local fake of Resend (tests, and the mail catcher of `npm run dev`)'s `POST /emails` (Bearer key, Idempotency-Key honoured like the real
// API) that keeps what it received; tests read it back from `GET /__emails?to=`.
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
  const byKey = new Map<string, ReceivedEmail>();
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && url.pathname === "/__emails") {
      const to = url.searchParams.get("to");
      return json(200, to ? emails.filter((e) => e.to.includes(to)) : emails);
    }
    if (req.method !== "POST" || url.pathname !== "/emails")
      return json(404, { name: "not_found", message: "Not found" });
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return json(401, { statusCode: 401, name: "missing_api_key", message: "Missing API key" });
    }
    const body = JSON.parse(await read(req)) as Omit<ReceivedEmail, "id" | "idempotencyKey">;
    if (!body.from || !Array.isArray(body.to) || !body.subject) {
      return json(422, { statusCode: 422, name: "validation_error", message: "Missing required fields" });
    }
    const key = (req.headers["idempotency-key"] as string | undefined) ?? null;
    const previous = key ? byKey.get(key) : undefined;
    if (previous) return json(200, { id: previous.id });
    const email: ReceivedEmail = { ...body, id: crypto.randomUUID(), idempotencyKey: key };
    emails.push(email);
    opts.onEmail?.(email);
    if (key) byKey.set(key, email);
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
