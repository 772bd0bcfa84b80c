// Hytale server logs: written by `server-logs` service keys in one statement per request with
// caps, read newest first by admins, service keys and the server's owner (nobody else learns the
// server exists), and kept 30 days by the 04:00 cron through the scheduled handler.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { callJson, countingEnv, eventually, testDb, testEnv, uid } from "../../../test/helpers.ts";
import { bearer, createAdmin, createTestUser, type TestUser } from "../../../test/users.ts";
import { createApp } from "../../app.ts";
import worker from "../../index.ts";
import { hytaleServerLogs, servers } from "../../platform/db/schema/index.ts";
import { createApiKey } from "../../services/api-keys/api-keys.ts";
import { SERVER_LOG_MAX_LINE, SERVER_LOG_MAX_LINES } from "./server-logs.routes.ts";

let owner: TestUser;
let stranger: TestUser;
let admin: TestUser;
let logKey: string;
let hytaleKey: string;
const server = { id: uid("srv"), uuid: crypto.randomUUID() };

beforeAll(async () => {
  [owner, stranger, admin] = await Promise.all([createTestUser(), createTestUser(), createAdmin()]);
  const db = testDb();
  await db.insert(servers).values({
    id: server.id,
    uuid: server.uuid,
    uuidShort: server.uuid.slice(0, 8),
    name: "hytale logs",
    ownerId: owner.user.id,
  });
  const mk = (scopes: ("server-logs" | "hytale")[]) =>
    createApiKey(db, { name: `logs-${scopes.join("-")}`, scopes, createdBy: null, expiresAt: null });
  const [logs, hytale] = await Promise.all([mk(["server-logs"]), mk(["hytale"])]);
  logKey = logs.key;
  hytaleKey = hytale.key;
});

const send = (body: unknown, key = logKey, init: RequestInit = {}) =>
  callJson("/api/v1/hytale/server-logs", {
    method: "POST",
    headers: { "x-api-key": key, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });

const read = (query: string, headers: Record<string, string>) =>
  callJson<{
    success: boolean;
    data: { id: number; line: string; timestamp: string; received_at: string }[];
  }>(`/api/v1/hytale/server-logs?${query}`, { headers });

describe("POST /api/v1/hytale/server-logs", () => {
  it("stores a request's lines in ONE statement, keeping each line's own timestamp", async () => {
    const counting = countingEnv();
    const app = createApp();
    const before = await counting.sqlRequests();
    const res = await app.request(
      "/api/v1/hytale/server-logs",
      {
        method: "POST",
        headers: { "x-api-key": logKey, "content-type": "application/json" },
        body: JSON.stringify({
          server_uuid: server.uuid,
          account_id: "acct-1",
          logs: [
            { line: "[INFO] Server started", timestamp: "2026-11-30T10:00:00Z" },
            { line: "[INFO] seconds", timestamp: 1764496800 },
            { line: "[INFO] milliseconds", timestamp: 1764496800123 },
            { line: "no time" },
          ],
        }),
      },
      counting.env,
    );
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toEqual({ success: true, data: { saved_count: 4, server_uuid: server.uuid } });
    // key lookup + server check + the one insert (+ the key's last-used touch at most)
    expect((await counting.sqlRequests()) - before).toBeLessThanOrEqual(4);
    const rows = await testDb()
      .select()
      .from(hytaleServerLogs)
      .where(eq(hytaleServerLogs.serverUuid, server.uuid));
    const byLine = Object.fromEntries(rows.map((r) => [r.logLine, r]));
    expect(byLine["[INFO] Server started"]?.logTimestamp.toISOString()).toBe("2026-11-30T10:00:00.000Z");
    expect(byLine["[INFO] seconds"]?.logTimestamp.toISOString()).toBe("2025-11-30T10:00:00.000Z");
    expect(byLine["[INFO] milliseconds"]?.logTimestamp.toISOString()).toBe("2025-11-30T10:00:00.123Z");
    const untimed = byLine["no time"];
    expect(untimed?.logTimestamp.getTime()).toBe(untimed?.createdAt.getTime());
    expect(new Set(rows.map((r) => r.accountId))).toEqual(new Set(["acct-1"]));
  });

  it("refuses past the caps with 413 (lines, body) and 400 (a line's length, a bad time), storing nothing", async () => {
    const count = async () =>
      (
        await testDb()
          .select({ n: sql<number>`count(*)::int` })
          .from(hytaleServerLogs)
          .where(eq(hytaleServerLogs.serverUuid, server.uuid))
      )[0]?.n;
    const before = await count();
    const many = Array.from({ length: SERVER_LOG_MAX_LINES + 1 }, (_, i) => ({ line: `line ${i}` }));
    const tooMany = await send({ server_uuid: server.uuid, account_id: "a", logs: many });
    expect(tooMany.res.status).toBe(413);
    expect(tooMany.body.code).toBe("PAYLOAD_TOO_LARGE");

    const big = "x".repeat(SERVER_LOG_MAX_LINE);
    const huge = Array.from({ length: 300 }, () => ({ line: big }));
    const tooBig = await send({ server_uuid: server.uuid, account_id: "a", logs: huge });
    expect(tooBig.res.status).toBe(413);

    const longLine = await send({
      server_uuid: server.uuid,
      account_id: "a",
      logs: [{ line: "ok" }, { line: `${big}y` }],
    });
    expect(longLine.res.status).toBe(400);
    expect(longLine.text).toContain("logs");

    for (const timestamp of ["yesterday", "1999-12-31T23:59:59Z", Date.now() + 3 * 86_400_000, -5]) {
      const bad = await send({ server_uuid: server.uuid, account_id: "a", logs: [{ line: "t", timestamp }] });
      expect(bad.res.status, String(timestamp)).toBe(400);
      expect(bad.text).toContain("logs[0].timestamp");
    }
    expect(await count()).toBe(before);
  });

  it("answers upstream's 400s for missing fields and 404 for a server the mirror does not have", async () => {
    const noUuid = await send({ account_id: "a", logs: [{ line: "x" }] });
    expect(noUuid.res.status).toBe(400);
    const noLines = await send({ server_uuid: server.uuid, account_id: "a", logs: [] });
    expect(noLines.res.status).toBe(400);
    expect(noLines.text).toContain("At least one log entry is required");
    const garbage = await send("{not json");
    expect(garbage.res.status).toBe(400);
    // Postgres text holds no NUL: refused before the route, as on every route
    const nul = await send({ server_uuid: server.uuid, account_id: "a", logs: [{ line: "a\u0000b" }] });
    expect(nul.res.status).toBe(400);
    const unknown = await send({ server_uuid: crypto.randomUUID(), account_id: "a", logs: [{ line: "x" }] });
    expect(unknown.res.status).toBe(404);
  });

  it("is for service keys with scope server-logs only", async () => {
    const body = { server_uuid: server.uuid, account_id: "a", logs: [{ line: "x" }] };
    expect((await send(body, hytaleKey)).res.status).toBe(403);
    const asOwner = await callJson("/api/v1/hytale/server-logs", {
      method: "POST",
      headers: { ...bearer(owner.token), "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(asOwner.res.status).toBe(401);
  });
});

describe("GET /api/v1/hytale/server-logs and /count", () => {
  const uuid = crypto.randomUUID();
  beforeAll(async () => {
    const db = testDb();
    await db
      .insert(servers)
      .values({ id: uid("srv"), uuid, uuidShort: uuid.slice(0, 8), name: "paged", ownerId: owner.user.id });
    const t0 = Date.now() - 60_000;
    await db.insert(hytaleServerLogs).values(
      Array.from({ length: 30 }, (_, i) => ({
        serverUuid: uuid,
        accountId: "acct",
        logLine: `line ${i}`,
        createdAt: new Date(t0 + i * 1000),
      })),
    );
  });

  it("reads newest first with limit and offset; an over-large limit is clamped to 1000", async () => {
    const page = await read(`server_uuid=${uuid}&limit=5&offset=2`, bearer(admin.token));
    expect(page.res.status, page.text).toBe(200);
    expect(page.body.data.map((r) => r.line)).toEqual([
      "line 27",
      "line 26",
      "line 25",
      "line 24",
      "line 23",
    ]);
    const all = await read(`server_uuid=${uuid}&limit=5000`, { "x-api-key": logKey });
    expect(all.res.status).toBe(200);
    expect(all.body.data).toHaveLength(30);
    const count = await callJson(`/api/v1/hytale/server-logs/count?server_uuid=${uuid}`, {
      headers: bearer(owner.token),
    });
    expect(count.body).toEqual({ success: true, data: { server_uuid: uuid, total_logs: 30 } });
  });

  it("the owner reads their server (by uuid); a stranger gets 404 for it and for none at all", async () => {
    const mine = await read(`server_uuid=${uuid}&limit=1`, bearer(owner.token));
    expect(mine.body.data.map((r) => r.line)).toEqual(["line 29"]);
    const theirs = await read(`server_uuid=${uuid}`, bearer(stranger.token));
    const none = await read(`server_uuid=${crypto.randomUUID()}`, bearer(stranger.token));
    expect(theirs.res.status).toBe(404);
    expect(none.res.status).toBe(404);
    const { requestId: _a, ...theirsBody } = theirs.body as Record<string, unknown>;
    const { requestId: _b, ...noneBody } = none.body as Record<string, unknown>;
    expect(theirsBody).toEqual(noneBody);
    const count = await callJson(`/api/v1/hytale/server-logs/count?server_uuid=${uuid}`, {
      headers: bearer(stranger.token),
    });
    expect(count.res.status).toBe(404);
    expect((await read(`server_uuid=${uuid}`, { "x-api-key": hytaleKey })).res.status).toBe(403);
    expect((await read("limit=3", bearer(admin.token))).res.status).toBe(400);
    expect((await read(`server_uuid=${uuid}&offset=-1`, bearer(admin.token))).res.status).toBe(400);
  });
});

describe("retention", () => {
  it("the 04:00 cron, through the scheduled handler and the queue, removes lines older than 30 days", async () => {
    const uuid = crypto.randomUUID();
    const db = testDb();
    await db.insert(servers).values({
      id: uid("srv"),
      uuid,
      uuidShort: uuid.slice(0, 8),
      name: "retention",
      ownerId: owner.user.id,
    });
    const day = 86_400_000;
    await db.insert(hytaleServerLogs).values([
      { serverUuid: uuid, accountId: "a", logLine: "old", createdAt: new Date(Date.now() - 31 * day) },
      { serverUuid: uuid, accountId: "a", logLine: "recent", createdAt: new Date(Date.now() - 29 * day) },
    ]);
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ cron: "0 4 * * *", scheduledTime: Date.now() }),
      testEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const left = await eventually(async () => {
      const rows = await db
        .select({ line: hytaleServerLogs.logLine })
        .from(hytaleServerLogs)
        .where(and(eq(hytaleServerLogs.serverUuid, uuid)));
      return rows.length === 1 ? rows : undefined;
    }, 30_000);
    expect(left.map((r) => r.line)).toEqual(["recent"]);
  });
});
