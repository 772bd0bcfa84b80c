// A local HTTP server speaking Neon's `/sql` protocol (as @neondatabase/serverless 1.x sends it) in
// front of a postgres:// backend, so the worker uses the production driver path in dev and tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";

interface SqlQuery {
  query: string;
  params?: unknown[];
}

const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

const ISOLATION: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

export interface NeonShim {
  /** The value for `neonConfig.fetchEndpoint`. */
  endpoint: string;
  port: number;
  /** Number of SQL HTTP requests served (one per `neon()` call or batch). */
  requests(): number;
  close(): Promise<void>;
}

export interface ShimOptions {
  backendUrl: string;
  poolMax: number;
  port?: number;
}

export async function startNeonShim(opts: ShimOptions): Promise<NeonShim> {
  const pool = new pg.Pool({
    connectionString: opts.backendUrl,
    max: opts.poolMax,
    // Neon sessions run in UTC; set it at connection start-up.
    options: "-c TimeZone=UTC",
    // Raw text for every type: the Neon client parses cells itself by dataTypeID.
    types: { getTypeParser: () => (v: string) => v },
  });
  let served = 0;
  // Requests per connection string, so a test can count the SQL requests one route made by
  // giving it a DATABASE_URL of its own (e.g. with a unique `?tag=`).
  const perConnection = new Map<string, number>();

  // Neon (and Postgres over the wire) refuse what node-postgres would silently repair: a NUL in a
  // text value, or a string that is not well-formed UTF-16 (a lone surrogate becomes U+FFFD in
  // the driver). Refuse them as Postgres does, so dev and tests see what production sees.
  const refuseBadText = (q: SqlQuery) => {
    for (const v of [q.query, ...(q.params ?? [])]) {
      if (typeof v !== "string") continue;
      if (v.includes("\u0000") || !v.isWellFormed()) {
        throw Object.assign(new Error('invalid byte sequence for encoding "UTF8"'), {
          code: "22021",
          severity: "ERROR",
        });
      }
    }
  };
  const run = (client: pg.PoolClient | pg.Pool, q: SqlQuery) => {
    refuseBadText(q);
    return client.query({
      text: q.query,
      values: (q.params ?? []) as unknown[],
      rowMode: "array",
      queryMode: "extended",
    } as pg.QueryArrayConfig);
  };

  const shape = (r: pg.QueryArrayResult) => ({
    command: r.command,
    rowCount: r.rowCount ?? 0,
    rows: r.rows,
    fields: r.fields,
    rowAsArray: true,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === "GET" && req.url === "/health") return send(res, 200, { ok: true });
    if (req.method === "GET" && req.url?.startsWith("/requests?")) {
      const tag = new URL(req.url, "http://shim").searchParams.get("tag") ?? "";
      let n = 0;
      for (const [conn, count] of perConnection) if (tag && conn.includes(`tag=${tag}`)) n += count;
      return send(res, 200, { requests: n });
    }
    if (req.method !== "POST" || !req.url?.startsWith("/sql"))
      return send(res, 404, { message: "not found" });
    served++;
    const conn = String(req.headers["neon-connection-string"] ?? "");
    perConnection.set(conn, (perConnection.get(conn) ?? 0) + 1);
    // A database that cannot be reached, as Neon answers when the compute node is down: tests
    // give the Worker a DATABASE_URL with `fault=unavailable` to provoke a real database fault.
    if (conn.includes("fault=unavailable")) {
      await readBody(req);
      return send(res, 503, { message: "Couldn't connect to compute node" });
    }
    const body = JSON.parse(await readBody(req)) as SqlQuery & { queries?: SqlQuery[] };
    if (!Array.isArray(body.queries)) {
      return send(res, 200, shape(await run(pool, body)));
    }
    const client = await pool.connect();
    try {
      const level = ISOLATION[String(req.headers["neon-batch-isolation-level"] ?? "")];
      const begin = [
        "BEGIN",
        level ? `ISOLATION LEVEL ${level}` : "",
        req.headers["neon-batch-read-only"] === "true" ? "READ ONLY" : "",
        req.headers["neon-batch-deferrable"] === "true" ? "DEFERRABLE" : "",
      ]
        .filter(Boolean)
        .join(" ");
      await client.query(begin);
      const results = [];
      try {
        for (const q of body.queries) results.push(shape(await run(client, q)));
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      }
      send(res, 200, { results });
    } finally {
      client.release();
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err as Record<string, unknown> & { message?: string };
      if (typeof e?.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) {
        const out: Record<string, unknown> = { message: e.message };
        for (const f of ERROR_FIELDS) if (e[f] !== undefined) out[f] = e[f];
        send(res, 400, out);
      } else {
        send(res, 500, { message: e?.message ?? String(err) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}/sql`,
    port,
    requests: () => served,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
