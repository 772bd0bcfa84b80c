// GET /health through the real Worker: DB round trip, queues, version, upstream field names.
import { describe, expect, it } from "vitest";
import pkg from "../../../package.json";
import { callJson } from "../../../test/helpers.ts";

interface HealthBody {
  status: string;
  database: { status: string; latencyMs: number };
  workers: unknown;
  version: string;
  service: string;
  checks: unknown;
  timestamp: string;
}

describe("GET /health", () => {
  it("reports healthy with a connected database, queues and the package version", async () => {
    const { res, body, text } = await callJson<HealthBody>("/health");
    expect(res.status, text).toBe(200);
    expect(body.status).toBe("healthy");
    expect(body.database.status).toBe("connected");
    expect(body.database.latencyMs).toBeGreaterThanOrEqual(0);
    expect(body.workers).toEqual({ status: "running", queues: { critical: true, default: true, low: true } });
    expect(body.version).toBe(pkg.version);
    expect(body.service).toBe("nodebyte-backend");
    expect(body.checks).toEqual({ database: "ok", workers: "ok", api: "ok" });
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  });
});
