// The OpenAPI document and the Scalar reference page.
import { describe, expect, it } from "vitest";
import { call, callJson } from "./helpers.ts";

describe("API documentation", () => {
  it("serves an OpenAPI 3.1 document listing the public routes", async () => {
    const { res, body, text } = await callJson<{
      openapi: string;
      paths: Record<string, unknown>;
      components: unknown;
    }>("/openapi.json");
    expect(res.status, text).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(["/health", "/api/stats", "/api/panel/counts"]),
    );
    expect(JSON.stringify(body.components)).toContain("bearerAuth");
  });

  it("renders the Scalar reference page at /docs pointing at the document", async () => {
    const res = await call("/docs");
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(html).toContain("/openapi.json");
    expect(html).toContain("<script");
  });
});
