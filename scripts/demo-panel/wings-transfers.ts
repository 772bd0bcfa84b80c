// The fake Wings' signed links (router_download.go, router_server_files.go): what the panel's
// `files/download`, `files/upload` and `backups/{backup}/download` answers point at. Like Wings:
// the token is an HS256 JWT signed with the node's secret (here the node's uuid, as the panel side
// of the demo signs it), a bad, tampered or expired token is a 500 "unexpected error" (Wings'
// CaptureAndAbort), each token works ONCE (its `unique_id`; a second use is 404), an unknown server
// is 404, downloads are `application/octet-stream` attachments, uploads are multipart `files`
// fields written under `?directory=`, each at most the node's upload limit (MB; 400 past it).
// Departure: served by the demo panel itself, not on the node's FQDN (as the websocket is).
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import type { PanelData } from "./data.ts";
import type { Server } from "./model.ts";
import type { ServerRuntimes } from "./server-runtime.ts";

interface LinkClaims {
  server_uuid?: unknown;
  unique_id?: unknown;
  exp?: unknown;
  file_path?: unknown;
  backup_uuid?: unknown;
}

const NOT_FOUND = "The requested resource was not found on this server.";
const UNEXPECTED = "An unexpected error was encountered while processing this request";

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const requestId = randomUUID();
  if (Buffer.isBuffer(body)) {
    res.writeHead(status, { "x-request-id": requestId, "content-length": String(body.length), ...headers });
    res.end(body);
    return;
  }
  const text = JSON.stringify(status >= 500 ? { ...(body as object), request_id: requestId } : body);
  res.writeHead(status, { "content-type": "application/json", "x-request-id": requestId });
  res.end(text);
}

/** "/a/../b" → "/b": a path inside the server's root, whatever it was given. */
export function rootPath(raw: string): string {
  const parts: string[] = [];
  for (const p of raw.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return `/${parts.join("/")}`;
}

async function body(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export class WingsTransfers {
  /** unique_id of every token already used (Wings' token store). */
  private readonly used = new Set<string>();
  private readonly data: PanelData;
  private readonly runtime: ServerRuntimes;

  constructor(data: PanelData, runtime: ServerRuntimes) {
    this.data = data;
    this.runtime = runtime;
  }

  private secret(s: Server): string {
    return this.data.tables.nodes.get(s.nodeId)?.uuid ?? "node";
  }

  /** The token's claims and server, "invalid" (signature, shape, expiry) or "unknown" (no such server). */
  private verify(token: string): { claims: LinkClaims; server: Server } | "invalid" | "unknown" {
    const [h, p, sig] = token.split(".");
    if (!h || !p || !sig) return "invalid";
    let claims: LinkClaims;
    try {
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as LinkClaims;
    } catch {
      return "invalid";
    }
    const server =
      typeof claims.server_uuid === "string"
        ? this.data.indexes.serverByUuid.get(claims.server_uuid)
        : undefined;
    const want = createHmac("sha256", server ? this.secret(server) : "node")
      .update(`${h}.${p}`)
      .digest();
    const got = Buffer.from(sig, "base64url");
    if (got.length !== want.length || !timingSafeEqual(got, want)) return "invalid";
    if (typeof claims.exp !== "number" || claims.exp * 1000 <= Date.now()) return "invalid";
    return server ? { claims, server } : "unknown";
  }

  /** Serves `/download/file`, `/download/backup` and `/upload/file`; false for anything else. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://wings.local");
    const route = `${req.method} ${url.pathname}`;
    if (route !== "GET /download/file" && route !== "GET /download/backup" && route !== "POST /upload/file")
      return false;
    const verified = this.verify(url.searchParams.get("token") ?? "");
    if (verified === "invalid") {
      send(res, 500, { error: UNEXPECTED });
      return true;
    }
    const unique = verified === "unknown" ? undefined : verified.claims.unique_id;
    if (verified === "unknown" || typeof unique !== "string" || this.used.has(unique)) {
      send(res, 404, { error: NOT_FOUND });
      return true;
    }
    this.used.add(unique);
    const { claims, server } = verified;
    const rt = this.runtime.of(server);
    if (route === "GET /download/file") {
      const path = rootPath(typeof claims.file_path === "string" ? claims.file_path : "/");
      const content = rt.files.get(path);
      if (content === undefined) {
        send(res, 404, { error: "The requested resources was not found on the system." });
        return true;
      }
      const name = path.split("/").pop() ?? "file";
      send(res, 200, Buffer.from(content), {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename=${JSON.stringify(name)}`,
      });
      return true;
    }
    if (route === "GET /download/backup") {
      const backup = rt.backups.find((b) => b.uuid === claims.backup_uuid && b.completedAt !== null);
      if (!backup) {
        send(res, 404, { error: "The requested backup was not found on this server." });
        return true;
      }
      // Not a real tar: the snapshot's files, gzipped, so the bytes depend on what was backed up.
      const archive = gzipSync(JSON.stringify(Object.fromEntries(backup.snapshot)));
      send(res, 200, archive, {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename=${JSON.stringify(`${backup.uuid}.tar.gz`)}`,
      });
      return true;
    }
    return this.upload(req, res, url, server);
  }

  private async upload(req: IncomingMessage, res: ServerResponse, url: URL, server: Server): Promise<true> {
    const limitMb = this.data.tables.nodes.get(server.nodeId)?.uploadSize ?? 100;
    const raw = await body(req, (limitMb + 1) * 1024 * 1024);
    if (!raw) {
      send(res, 400, { error: `The upload is larger than the maximum file upload size of ${limitMb} MB.` });
      return true;
    }
    let form: FormData | undefined;
    try {
      form = await new Request("http://wings.local/upload", {
        method: "POST",
        headers: { "content-type": req.headers["content-type"] ?? "" },
        body: raw,
      }).formData();
    } catch {
      form = undefined;
    }
    if (!form) {
      send(res, 400, { error: "Failed to get multipart form data from request." });
      return true;
    }
    const files = form.getAll("files").filter((f): f is File => typeof f !== "string");
    if (files.length === 0) {
      send(res, 400, { error: "No files were found on the request body." });
      return true;
    }
    for (const f of files) {
      if (f.size > limitMb * 1024 * 1024) {
        send(res, 400, {
          error: `File ${f.name} is larger than the maximum file upload size of ${limitMb} MB.`,
        });
        return true;
      }
    }
    const directory = url.searchParams.get("directory") ?? "/";
    for (const f of files) this.runtime.write(server, rootPath(`${directory}/${f.name}`), await f.text());
    res.writeHead(204).end();
    return true;
  }
}
