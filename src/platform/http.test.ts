// The shared request pipeline: error body, request ids, JSON body rules, CORS, not-found, config.
import { createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { testEnv } from "../../test/helpers.ts";
import { createApp } from "../app.ts";
import { jsonBody } from "./openapi.ts";

// A route added to the real app, to drive the body rules and the validation hook.
const echo = createRoute({
  method: "post",
  path: "/__test/echo",
  request: {
    body: {
      required: true,
      content: {
        "application/json": { schema: z.object({ name: z.string().min(1), count: z.number().int() }) },
      },
    },
  },
  responses: { 200: jsonBody(z.object({ name: z.string(), count: z.number() })) },
});
const optional = createRoute({
  method: "post",
  path: "/__test/optional",
  request: {
    body: {
      required: false,
      content: { "application/json": { schema: z.object({ note: z.string().optional() }) } },
    },
  },
  responses: { 200: jsonBody(z.object({ note: z.string().nullable() })) },
});

const app = createApp();
app.openapi(echo, (c) => c.json(c.req.valid("json"), 200));
app.openapi(optional, (c) => c.json({ note: c.req.valid("json").note ?? null }, 200));

async function send(path: string, init: RequestInit = {}, env = testEnv) {
  const res = await app.request(path, init, env);
  const text = await res.text();
  return { res, text, body: JSON.parse(text) as Record<string, unknown> };
}

function expectErrorBody(body: Record<string, unknown>, code: string, text: string) {
  expect(body, text).toMatchObject({ success: false, code });
  expect(typeof body.error, text).toBe("string");
  expect(typeof body.requestId, text).toBe("string");
}

describe("error body and request ids", () => {
  it("answers a valid body and stamps X-Request-Id", async () => {
    const { res, body, text } = await send("/__test/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "a", count: 2 }),
    });
    expect(res.status, text).toBe(200);
    expect(body).toEqual({ name: "a", count: 2 });
    expect(res.headers.get("x-request-id")).toMatch(/^[\w-]{8,}$/);
  });

  it("keeps a caller's request id", async () => {
    const res = await app.request("/health", { headers: { "x-request-id": "abc-123" } }, testEnv);
    await res.arrayBuffer();
    expect(res.headers.get("x-request-id")).toBe("abc-123");
  });

  it("rejects malformed JSON with 400 INVALID_REQUEST", async () => {
    const { res, body, text } = await send("/__test/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status, text).toBe(400);
    expectErrorBody(body, "INVALID_REQUEST", text);
    expect(body.requestId).toBe(res.headers.get("x-request-id"));
  });

  it("rejects wrong-typed fields with 400 and field details", async () => {
    const { res, body, text } = await send("/__test/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: 5, count: "x" }),
    });
    expect(res.status, text).toBe(400);
    expectErrorBody(body, "INVALID_REQUEST", text);
    const paths = (body.details as { path: string }[]).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["json.name", "json.count"]));
  });

  it("rejects a wrong content type with 415", async () => {
    const { res, body, text } = await send("/__test/echo", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "name=a",
    });
    expect(res.status, text).toBe(415);
    expectErrorBody(body, "UNSUPPORTED_MEDIA_TYPE", text);
  });

  it("rejects an oversized body with 413", async () => {
    const { res, body, text } = await send("/__test/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x".repeat(1_100_000), count: 1 }),
    });
    expect(res.status, text).toBe(413);
    expectErrorBody(body, "PAYLOAD_TOO_LARGE", text);
  });

  it("rejects a chunked body without Content-Length once it passes 1 MiB, without reading it all", async () => {
    let pulled = 0;
    let cancelled = false;
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    // Endless: buffering it whole would never finish.
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
      },
    });
    const { res, body, text } = await send("/__test/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: endless,
      duplex: "half",
    } as RequestInit);
    expect(res.status, text).toBe(413);
    expectErrorBody(body, "PAYLOAD_TOO_LARGE", text);
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(40);
  });

  it("reads an empty JSON body as {} where the body is optional", async () => {
    const { res, body, text } = await send("/__test/optional", {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(res.status, text).toBe(200);
    expect(body).toEqual({ note: null });
  });

  it("answers an empty JSON body on a required body with 400, not 5xx", async () => {
    const { res, body, text } = await send("/__test/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(res.status, text).toBe(400);
    expectErrorBody(body, "INVALID_REQUEST", text);
  });

  it("answers unknown routes with a JSON 404", async () => {
    const { res, body, text } = await send("/nope/nothing");
    expect(res.status, text).toBe(404);
    expectErrorBody(body, "NOT_FOUND", text);
  });
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin without auth, echoing the exact origin", async () => {
    const res = await app.request(
      "/api/admin/sync",
      {
        method: "OPTIONS",
        headers: {
          origin: "https://nodebyte.host",
          "access-control-request-method": "DELETE",
          "access-control-request-headers": "authorization,content-type",
        },
      },
      testEnv,
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://nodebyte.host");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    const methods = res.headers.get("access-control-allow-methods") ?? "";
    for (const m of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) expect(methods).toContain(m);
    const headers = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (const h of ["authorization", "content-type", "x-api-key"]) expect(headers).toContain(h);
  });

  it("gives no allow-origin to an unknown origin", async () => {
    const res = await app.request("/health", { headers: { origin: "https://evil.example" } }, testEnv);
    await res.arrayBuffer();
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("echoes an allowed origin on simple requests", async () => {
    const res = await app.request("/health", { headers: { origin: "http://localhost:3000" } }, testEnv);
    await res.arrayBuffer();
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
  });
});

describe("configuration", () => {
  it("answers 500 BAD_ENVIRONMENT naming the bad key but not its value", async () => {
    const secret = "not-a-url-but-a-secret-value-42";
    const { res, body, text } = await send("/api/stats", {}, { ...testEnv, DATABASE_URL: secret });
    expect(res.status, text).toBe(500);
    expectErrorBody(body, "BAD_ENVIRONMENT", text);
    expect(body.error).toContain("DATABASE_URL");
    expect(text).not.toContain(secret);
  });

  it("validates ENCRYPTION_KEYS like every other var, caching nothing from a failure", async () => {
    const good = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    for (const bad of ["k2:short", `k2:${good},k2:${good}`, "nocolon", `:${good}`]) {
      const env = { ...testEnv, ENCRYPTION_KEYS: bad };
      const { res, body, text } = await send("/api/stats", {}, env);
      expect(res.status, `${bad}: ${text}`).toBe(500);
      expectErrorBody(body, "BAD_ENVIRONMENT", text);
      expect(body.error).toContain("ENCRYPTION_KEYS");
      expect(text).not.toContain(good);
      // The same env object again: refused again, not served from a cache.
      expect((await send("/api/stats", {}, env)).res.status).toBe(500);
    }
    const ok = await send("/api/stats", {}, { ...testEnv, ENCRYPTION_KEYS: `k2:${good}` });
    expect(ok.res.status, ok.text).toBe(200);
  });

  it("refuses NEON_FETCH_ENDPOINT in production", async () => {
    const { res, body, text } = await send("/health", {}, { ...testEnv, ENVIRONMENT: "production" });
    expect(res.status, text).toBe(500);
    expect(body.error).toContain("NEON_FETCH_ENDPOINT");
  });

  it("requires JWT_SECRET or NEXTAUTH_SECRET", async () => {
    const { res, body, text } = await send("/health", {}, { ...testEnv, JWT_SECRET: "" });
    expect(res.status, text).toBe(500);
    expect(body.error).toContain("JWT_SECRET");
    const ok = await send(
      "/health",
      {},
      { ...testEnv, JWT_SECRET: "", NEXTAUTH_SECRET: "fallback-secret-value" },
    );
    expect(ok.res.status, ok.text).toBe(200);
  });
});
