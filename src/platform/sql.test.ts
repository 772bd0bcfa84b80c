// The shared SQL helpers: LIKE patterns match the term literally; Postgres errors are classified
// whether drizzle wrapped them or not.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testDb } from "../../test/helpers.ts";
import { classifyPgError, containsPattern, isUniqueViolation, pgError } from "./sql.ts";

describe("containsPattern", () => {
  it("escapes the LIKE wildcards and the escape character", () => {
    expect(containsPattern("50%_off\\")).toBe("%50\\%\\_off\\\\%");
  });

  it("matches the term literally in Postgres", async () => {
    const res = await testDb().execute<{ a: boolean; b: boolean }>(sql`
      select 'a 50% deal' ilike ${containsPattern("50%")} as a, 'a 500 deal' ilike ${containsPattern("50%")} as b`);
    expect(res.rows[0]).toEqual({ a: true, b: false });
  });
});

describe("classifyPgError", () => {
  it("classifies real errors from the database path", async () => {
    const db = testDb();
    const caught = async (q: ReturnType<typeof sql>) =>
      db.execute(q).then(
        () => undefined,
        (e: unknown) => e,
      );
    const raised = await caught(sql`do $$ begin raise exception 'run x is not active'; end $$`);
    expect(classifyPgError(raised)?.kind).toBe("raised_exception");
    expect(pgError(raised)?.message).toContain("is not active");
    // The panel can hand us this (a NUL escape inside a JSON string): jsonb refuses it.
    const nul = await caught(sql`select ${'"a\\u0000b"'}::jsonb`);
    expect(classifyPgError(nul)?.kind).toBe("invalid_text");
    expect(classifyPgError(nul)?.deterministic).toBe(true);
    const range = await caught(sql`select ${"99999999999"}::int`);
    expect(classifyPgError(range)).toMatchObject({ kind: "data_exception", deterministic: true });
    expect(classifyPgError(raised)?.deterministic).toBe(false);
    expect(classifyPgError(new Error("not from postgres"))).toBeUndefined();
  });

  it("recognises a unique violation, optionally of one constraint", () => {
    const err = { cause: { code: "23505", constraint: "users_email_key" } };
    expect(isUniqueViolation(err)).toBe(true);
    expect(isUniqueViolation(err, "users_email_key")).toBe(true);
    expect(isUniqueViolation(err, "sync_logs_one_active_key")).toBe(false);
    expect(isUniqueViolation({ code: "23503" })).toBe(false);
    expect(classifyPgError({ code: "23503" })).toMatchObject({
      kind: "integrity_violation",
      deterministic: true,
    });
    expect(classifyPgError({ code: "08006" })?.deterministic).toBe(false);
  });
});
