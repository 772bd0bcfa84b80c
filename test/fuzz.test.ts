// Route fuzz: walks /openapi.json and sends every route malformed, missing, oversized and
// wrong-typed input, with and without credentials. Nothing may answer 5xx, and every error
// must have the single error body. New routes are covered by being in the document.
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { ERROR_CODES } from "../src/platform/errors.ts";
import { API_KEY_SCOPES, createApiKey } from "../src/services/api-keys/api-keys.ts";
import { call, testDb, testEnv } from "./helpers.ts";
import { bearer, createAdmin } from "./users.ts";

interface Operation {
  parameters?: { name: string; in: string; schema?: { type?: string } }[];
  requestBody?: { content?: Record<string, unknown> };
  security?: unknown[];
}
type Doc = { paths: Record<string, Record<string, Operation>> };

const doc = (await (await call("/openapi.json")).json()) as Doc;

const CREDENTIALS: Record<string, Record<string, string>> = {
  none: {},
  garbageBearer: { authorization: "Bearer not.a.jwt" },
  basicScheme: { authorization: "Basic dXNlcjpwYXNz" },
  garbageKey: { "x-api-key": "nb_zzzzzzzz_nope" },
};

// A real service key with every scope but "sync": fuzzing reaches validation everywhere else,
// while a valid-looking empty body can never start a sync run under another test file's feet.
const fuzzKey = await createApiKey(testDb(), {
  name: "fuzz",
  scopes: API_KEY_SCOPES.filter((s) => s !== "sync"),
  createdBy: null,
  expiresAt: null,
});
CREDENTIALS.serviceKey = { "x-api-key": fuzzKey.key };

const PATH_VALUES = [
  "x",
  "0",
  "-1",
  "99999999999999999999",
  "%00",
  "..%2F..",
  "a".repeat(600),
  "%F0%9F%92%A9",
];
const QUERY_VALUES = ["", "-1", "abc", "1e309", "true", "[]", "{}", "%00", "9".repeat(40)];

function fillPath(path: string, value: string): string {
  return path.replace(/\{[^}]+\}/g, value);
}

interface Probe {
  label: string;
  path: string;
  init: RequestInit;
}

function probesFor(path: string, method: string, op: Operation): Probe[] {
  const probes: Probe[] = [];
  const m = method.toUpperCase();
  const queryParams = (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
  for (const v of PATH_VALUES)
    probes.push({ label: `path=${v.slice(0, 20)}`, path: fillPath(path, v), init: { method: m } });
  const base = fillPath(path, "1");
  for (const v of QUERY_VALUES) {
    const qs = new URLSearchParams();
    for (const q of [...queryParams, "unknown_param", "api_key"]) qs.set(q, v);
    probes.push({ label: `query=${v.slice(0, 10)}`, path: `${base}?${qs}`, init: { method: m } });
  }
  if (m !== "GET" && m !== "HEAD") {
    const json = { "content-type": "application/json" };
    const bodies: [string, RequestInit][] = [
      ["missing body", { method: m }],
      ["empty json", { method: m, headers: json, body: "" }],
      ["malformed json", { method: m, headers: json, body: '{"a":' }],
      ["null", { method: m, headers: json, body: "null" }],
      ["array", { method: m, headers: json, body: "[1,2,3]" }],
      ["string", { method: m, headers: json, body: '"hello"' }],
      ["wrong types", { method: m, headers: json, body: JSON.stringify(wrongTyped()) }],
      ["wrong content type", { method: m, headers: { "content-type": "text/plain" }, body: "hello" }],
      [
        "form",
        { method: m, headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1&b=2" },
      ],
      ["oversized", { method: m, headers: json, body: JSON.stringify({ blob: "x".repeat(1_200_000) }) }],
      [
        "nul in string",
        {
          method: m,
          headers: json,
          body: JSON.stringify({ email: "a\u0000b@example.com", token: "\u0000" }),
        },
      ],
      ["deep nesting", { method: m, headers: json, body: `${"[".repeat(5000)}${"]".repeat(5000)}` }],
    ];
    for (const [label, init] of bodies) probes.push({ label, path: base, init });
  }
  return probes;
}

function wrongTyped(): Record<string, unknown> {
  const names = [
    "email",
    "password",
    "token",
    "id",
    "name",
    "type",
    "target",
    "limit",
    "offset",
    "enabled",
    "url",
    "roles",
  ];
  return Object.fromEntries(names.map((n, i) => [n, [123, null, true, { x: 1 }, [1], -1e308][i % 6]]));
}

const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ path, method, op })),
);

describe("route fuzz over /openapi.json", () => {
  it("documents every route the app serves", () => {
    const served = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    const documented = new Set(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`));
    // The document itself, its viewer, and the dev-only outbox (404 in production) are left out.
    const undocumented = [...served].filter(
      (r) => !documented.has(r) && !["GET /openapi.json", "GET /docs", "GET /__dev/outbox"].includes(r),
    );
    expect(undocumented).toEqual([]);
    expect(operations.length).toBeGreaterThanOrEqual(3);
  });

  for (const { path, method, op } of operations) {
    it(`${method.toUpperCase()} ${path} never answers 5xx and always gives the error body`, async () => {
      const failures: string[] = [];
      for (const probe of probesFor(path, method, op)) {
        for (const [credLabel, headers] of Object.entries(CREDENTIALS)) {
          const init = {
            ...probe.init,
            headers: { ...(probe.init.headers as Record<string, string>), ...headers },
          };
          const res = await call(probe.path, init);
          const text = await res.text();
          const where = `${method.toUpperCase()} ${probe.path.slice(0, 80)} [${probe.label}, ${credLabel}] → ${res.status}`;
          if (res.status >= 500) {
            failures.push(`${where}: ${text.slice(0, 200)}`);
            continue;
          }
          if (!res.headers.get("x-request-id")) failures.push(`${where}: no X-Request-Id`);
          if (res.status >= 400) {
            let body: Record<string, unknown> | undefined;
            try {
              body = JSON.parse(text);
            } catch {
              failures.push(`${where}: error body is not JSON: ${text.slice(0, 100)}`);
              continue;
            }
            const ok =
              body?.success === false &&
              typeof body.error === "string" &&
              typeof body.code === "string" &&
              (ERROR_CODES as string[]).includes(body.code) &&
              body.requestId === res.headers.get("x-request-id");
            if (!ok) failures.push(`${where}: bad error body ${text.slice(0, 200)}`);
          }
        }
      }
      expect(failures, failures.join("\n")).toEqual([]);
    });
  }
});

// Odd text with credentials that pass every access check (root service key, admin token): a lone
// surrogate or a NUL in any string field is refused at the door with 400 — nothing reaches SQL,
// so no sync starts and no mail is sent. (Control characters that Postgres accepts are stored
// faithfully: see the dashboard account test.)
const ODD_TEXT: Record<string, string> = {
  "lone high surrogate": "a\ud800b",
  "lone low surrogate": "\udc00",
  "reversed pair": "\ude00\ud83d",
  nul: "a\u0000b",
};
const FIELDS = [
  "email",
  "password",
  "token",
  "id",
  "name",
  "type",
  "target",
  "requested_by",
  "newEmail",
  "firstName",
  "username",
  "subject",
  "to",
];
const admin = await createAdmin();
const STRONG: Record<string, Record<string, string>> = {
  rootKey: { "x-api-key": String(testEnv.BACKEND_API_KEY) },
  adminToken: bearer(admin.token),
};

describe("odd text in request bodies", () => {
  const writes = operations.filter((o) => !["get", "head", "delete"].includes(o.method));
  it("covers the write routes", () => {
    expect(writes.length).toBeGreaterThan(10);
    expect(writes.some((w) => w.path.startsWith("/api/v1/sync/"))).toBe(true);
  });

  for (const { path, method } of writes) {
    it(`${method.toUpperCase()} ${path} answers odd text with 400 INVALID_REQUEST`, async () => {
      const failures: string[] = [];
      for (const [label, value] of Object.entries(ODD_TEXT)) {
        const body = JSON.stringify({
          ...Object.fromEntries(FIELDS.map((f) => [f, value])),
          data: { note: value },
        });
        for (const [credLabel, headers] of Object.entries(STRONG)) {
          const res = await call(fillPath(path, "00000000-0000-4000-8000-000000000000"), {
            method: method.toUpperCase(),
            headers: { ...headers, "content-type": "application/json" },
            body,
          });
          const text = await res.text();
          if (res.status !== 400 || !text.includes('"INVALID_REQUEST"'))
            failures.push(`[${label}, ${credLabel}] → ${res.status}: ${text.slice(0, 160)}`);
        }
      }
      expect(failures, failures.join("\n")).toEqual([]);
    });
  }
});
