// A local fake of Hytale's account-data service: `GET /my-account/get-profiles` with
// `Authorization: Bearer <access token>` (checked against the fake OAuth server's tokens; 401
// otherwise) answers `{owner, profiles:[{uuid, username}]}`. Like the real one it answers 429
// with Retry-After when hammered (more than `limit` requests per `windowMs`, counted for the whole
// fake as the real one counts per client IP) and refuses a request without a User-Agent.
// Faults by path prefix: `/__fault/500/…`, `/__fault/429/…`. Test controls:
// `POST /__profiles {sub, profiles}` sets a user's profiles; `GET /__stats`.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface HytaleProfile {
  uuid: string;
  username: string;
}

function uuidFrom(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Everyone has two profiles unless told otherwise, derived from their id. */
export function defaultProfiles(sub: string): HytaleProfile[] {
  return [
    { uuid: uuidFrom(`${sub}:1`), username: `Player${sub.replace(/\W/g, "").slice(0, 6)}` },
    { uuid: uuidFrom(`${sub}:2`), username: `Alt${sub.replace(/\W/g, "").slice(0, 6)}` },
  ];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeHytaleAccountData(opts: {
  /** Resolves an access token to its owner (the fake OAuth server's accessTokenOwner). */
  ownerOf: (accessToken: string) => string | undefined;
  port?: number;
  /** Requests per window before 429 (default 100 per 10 s). */
  limit?: number;
  windowMs?: number;
}) {
  const profiles = new Map<string, HytaleProfile[]>();
  const limit = opts.limit ?? 100;
  const windowMs = opts.windowMs ?? 10_000;
  // Counted per client, as the real service counts per client IP: everything from the Worker is one
  // client, unless a test names another with `x-fake-client` (so hammering it starves no one else).
  const windows = new Map<string, { start: number; count: number }>();
  const stats = { requests: 0, limited: 0 };
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const path = url.pathname;
    const body = await readBody(req);
    if (req.method === "POST" && path === "/__profiles") {
      const c = JSON.parse(body) as { sub: string; profiles: HytaleProfile[] };
      profiles.set(c.sub, c.profiles);
      return json(res, 200, { ok: true });
    }
    if (req.method === "GET" && path === "/__stats") return json(res, 200, stats);
    const fault = /^\/__fault\/(500|429)(\/.*)$/.exec(path);
    if (fault) {
      if (fault[1] === "500") return json(res, 500, { error: "internal" });
      return json(res, 429, { error: "Too Many Requests" }, { "retry-after": "13" });
    }
    if (req.method !== "GET" || path !== "/my-account/get-profiles")
      return json(res, 404, { error: "not found" });
    stats.requests++;
    if (!req.headers["user-agent"]) return json(res, 403, { error: "Missing User-Agent" });
    const now = Date.now();
    const client = String(req.headers["x-fake-client"] ?? "worker");
    let window = windows.get(client);
    if (!window || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      windows.set(client, window);
    }
    window.count++;
    if (window.count > limit) {
      stats.limited++;
      const retryAfter = Math.max(1, Math.ceil((window.start + windowMs - now) / 1000));
      return json(res, 429, { error: "Too Many Requests" }, { "retry-after": String(retryAfter) });
    }
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
    const sub = m ? opts.ownerOf(m[1] as string) : undefined;
    if (!sub) return json(res, 401, { error: "unauthorized" });
    return json(res, 200, { owner: sub, profiles: profiles.get(sub) ?? defaultProfiles(sub) });
  });
  // Longer than any client keeps an idle connection: no reset of a reused keep-alive socket.
  server.keepAliveTimeout = 75_000;
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ ...stats }),
    setProfiles(sub: string, list: HytaleProfile[]) {
      profiles.set(sub, list);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
