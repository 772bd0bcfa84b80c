// What may be logged or kept: failed queries without their parameters, token query values and
// secret-looking keys redacted wherever they appear.
import { sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { testDb } from "../../test/helpers.ts";
import { errorStack, errorText, log, scrub } from "./log.ts";

describe("errorText", () => {
  it("keeps a failed query's SQL and code, never its parameters or the values Postgres quotes", async () => {
    const secret = "person@example.com-203.0.113.9-tok_9f8e7d";
    let caught: unknown;
    try {
      await testDb().execute(sql`select ${secret}::uuid`);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(String((caught as Error).message)).toContain(secret); // drizzle's own message has it
    const text = errorText(caught);
    expect(text).toContain("22P02");
    expect(text).toContain("select $1::uuid");
    expect(text).not.toContain(secret);
    expect(errorStack(caught) ?? "").not.toContain(secret);
  });
});

describe("scrub and log", () => {
  it("redacts token query values inside any string and secret-looking keys", () => {
    const body = {
      payload: {
        data: { link: "https://site.test/auth/reset-password?token=abc123&id=u-1", name: "Ada" },
        apiKey: "nb_x",
      },
    };
    expect(scrub(body)).toEqual({
      payload: {
        data: { link: "https://site.test/auth/reset-password?token=[redacted]&id=u-1", name: "Ada" },
        apiKey: "[redacted]",
      },
    });
  });

  it("never writes a token query value or a secret field to the console", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((l: unknown) => void lines.push(String(l)));
    try {
      log("info", "x", {
        url: "/s?ticket=t1&api_key=k1",
        nested: { password: "p1" },
        err: new Error("boom"),
      });
    } finally {
      vi.restoreAllMocks();
    }
    expect(lines.join("\n")).not.toMatch(/t1|k1|p1/);
    expect(lines.join("\n")).toContain("boom");
  });
});
