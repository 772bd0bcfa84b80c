// A local fake of Sentry's ingest endpoint (tests, and `npm run dev` without SENTRY_DSN):
// `POST /api/<project>/envelope/` with the DSN's public key in `X-Sentry-Auth` or the
// `sentry_key` query parameter, like the real one. It refuses what the real one refuses — no
// auth (401), a malformed auth header (401), an unknown key or another project (403), a body that
// is not an envelope (400), an unsupported Content-Encoding (415) — answers 429 with
// `Retry-After` and `X-Sentry-Rate-Limits` when told to, and keeps every accepted envelope
// (parsed: header, items with their headers and JSON payloads, and the raw text) for
// `GET /__envelopes`. `DELETE /__envelopes` forgets them; `POST /__faults {kind: "429", times}`.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync, inflateSync } from "node:zlib";

export interface EnvelopeItem {
  header: { type?: string; length?: number; [k: string]: unknown };
  payload: unknown;
}

export interface ReceivedEnvelope {
  project: string;
  header: Record<string, unknown>;
  items: EnvelopeItem[];
  /** The envelope exactly as received (decompressed), for leak searches. */
  raw: string;
}

/** Parses Sentry's envelope format: a header line, then per item a header line and its payload. */
export function parseEnvelope(raw: Buffer): { header: Record<string, unknown>; items: EnvelopeItem[] } {
  let pos = 0;
  const line = (): Buffer => {
    const end = raw.indexOf(0x0a, pos);
    const out = raw.subarray(pos, end < 0 ? raw.length : end);
    pos = end < 0 ? raw.length : end + 1;
    return out;
  };
  const header = JSON.parse(line().toString("utf8")) as unknown;
  if (!header || typeof header !== "object" || Array.isArray(header))
    throw new Error("envelope header is not an object");
  const items: EnvelopeItem[] = [];
  while (pos < raw.length) {
    const headerLine = line().toString("utf8").trim();
    if (!headerLine) continue;
    const itemHeader = JSON.parse(headerLine) as EnvelopeItem["header"];
    if (!itemHeader || typeof itemHeader.type !== "string") throw new Error("envelope item without a type");
    let payload: Buffer;
    if (typeof itemHeader.length === "number") {
      if (pos + itemHeader.length > raw.length) throw new Error("envelope item shorter than its length");
      payload = raw.subarray(pos, pos + itemHeader.length);
      pos += itemHeader.length;
      if (raw[pos] === 0x0a) pos++;
    } else payload = line();
    const text = payload.toString("utf8");
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // attachments may be anything
    }
    items.push({ header: itemHeader, payload: parsed });
  }
  return { header: header as Record<string, unknown>, items };
}

/** `Sentry sentry_key=…, sentry_version=7, …` → its fields, or undefined when it is not that shape. */
function parseAuthHeader(value: string): Record<string, string> | undefined {
  const m = /^\s*Sentry\s+(.+)$/i.exec(value);
  if (!m?.[1]) return undefined;
  const out: Record<string, string> = {};
  for (const part of m[1].split(",")) {
    const [k, ...v] = part.trim().split("=");
    if (!k || v.length === 0) return undefined;
    out[k.trim()] = v.join("=").trim();
  }
  return out;
}

export async function startFakeSentry(
  opts: {
    publicKey?: string;
    project?: string;
    port?: number;
    onEnvelope?: (e: ReceivedEnvelope) => void;
  } = {},
) {
  const publicKey = opts.publicKey ?? "fakepublickey0123456789abcdef0";
  const project = opts.project ?? "4242";
  const envelopes: ReceivedEnvelope[] = [];
  const faults: { kind: string; times: number }[] = [];
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/__envelopes") {
      if (req.method === "DELETE") {
        envelopes.length = 0;
        return json(200, { ok: true });
      }
      return json(200, envelopes);
    }
    if (req.method === "POST" && url.pathname === "/__faults") {
      faults.push(JSON.parse((await read(req)).toString("utf8")) as { kind: string; times: number });
      return json(200, { ok: true });
    }
    const route = /^\/api\/([^/]+)\/envelope\/?$/.exec(url.pathname);
    if (!route) return json(404, { detail: "not found" });
    if (req.method !== "POST") return json(405, { detail: "method not allowed" });

    // Auth: the header wins; else the query parameters the SDKs put in the URL.
    const authHeader = req.headers["x-sentry-auth"];
    let key: string | undefined;
    if (typeof authHeader === "string") {
      const fields = parseAuthHeader(authHeader);
      if (!fields?.sentry_key) return json(401, { detail: "bad x-sentry-auth header" });
      key = fields.sentry_key;
    } else key = url.searchParams.get("sentry_key") ?? undefined;
    if (!key) return json(401, { detail: "missing authorization information" });
    if (key !== publicKey || route[1] !== project)
      return json(403, { detail: "event submission rejected with_reason: ProjectId" });

    const fault = faults.find((f) => f.times > 0);
    if (fault?.kind === "429") {
      fault.times--;
      return json(
        429,
        { detail: "event submission rejected with_reason: RateLimited" },
        { "retry-after": "1", "x-sentry-rate-limits": "1::organization" },
      );
    }

    let body = await read(req);
    const encoding = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
    try {
      if (encoding === "gzip") body = gunzipSync(body);
      else if (encoding === "deflate") body = inflateSync(body);
      else if (encoding !== "identity")
        return json(415, { detail: `unsupported content encoding ${encoding}` });
    } catch {
      return json(400, { detail: "invalid compressed body" });
    }
    let parsed: ReturnType<typeof parseEnvelope>;
    try {
      parsed = parseEnvelope(body);
    } catch (err) {
      return json(400, { detail: `invalid envelope: ${(err as Error).message}` });
    }
    const envelope: ReceivedEnvelope = { project: route[1] ?? "", ...parsed, raw: body.toString("utf8") };
    envelopes.push(envelope);
    opts.onEnvelope?.(envelope);
    return json(200, { id: parsed.header.event_id ?? null });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    dsn: `http://${publicKey}@127.0.0.1:${port}/${project}`,
    publicKey,
    project,
    envelopes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
