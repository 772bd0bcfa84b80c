// The production driver path against the test database: timestamptz round trip and JSON form,
// batch atomicity, and Postgres error fields reaching our code.
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testDb, uid } from "../../../test/helpers.ts";
import { pgError } from "../sql.ts";
import { syncLogs } from "./schema/index.ts";

describe("database path (neon-http → shim → Postgres)", () => {
  it("round-trips timestamptz as Date and serialises it as ISO-8601 UTC", async () => {
    const db = testDb();
    const id = uid("ts");
    const startedAt = new Date("2026-02-28T23:59:58.123Z");
    await db
      .insert(syncLogs)
      .values({ id, type: "full", status: "COMPLETED", startedAt, metadata: { a: 1 } });
    const [row] = await db.select().from(syncLogs).where(eq(syncLogs.id, id));
    expect(row?.startedAt).toBeInstanceOf(Date);
    expect(row?.startedAt.getTime()).toBe(startedAt.getTime());
    expect(JSON.parse(JSON.stringify(row)).startedAt).toBe("2026-02-28T23:59:58.123Z");
    expect(row?.metadata).toEqual({ a: 1 });
  });

  it("rolls a whole batch back when one statement fails, with the Postgres code available", async () => {
    const db = testDb();
    const id = uid("dup");
    let caught: unknown;
    try {
      await db.batch([
        db.insert(syncLogs).values({ id: `${id}-a`, type: "full", status: "COMPLETED" }),
        db.insert(syncLogs).values({ id: `${id}-a`, type: "full", status: "COMPLETED" }),
      ]);
    } catch (err) {
      caught = err;
    }
    expect(pgError(caught)?.code).toBe("23505");
    const rows = await db.execute(sql`select count(*)::int as n from sync_logs where id = ${`${id}-a`}`);
    expect(rows.rows[0]).toEqual({ n: 0 });
  });

  it("allows only one PENDING/RUNNING sync at a time", async () => {
    const db = testDb();
    let caught: unknown;
    try {
      // One batch = one transaction, so the slot is never left taken by this test.
      await db.batch([
        db.insert(syncLogs).values({ id: uid("run1"), type: "full", status: "RUNNING" }),
        db.insert(syncLogs).values({ id: uid("run2"), type: "full", status: "PENDING" }),
      ]);
    } catch (err) {
      caught = err;
    }
    expect(pgError(caught)).toMatchObject({ code: "23505", constraint: "sync_logs_one_active_key" });
  });

  it("refuses what Neon and Postgres refuse (a NUL in text, a lone surrogate), never repairing it", async () => {
    const db = testDb();
    for (const bad of ["a\u0000b", "a\ud800b", "\udc00"]) {
      let caught: unknown;
      try {
        await db.execute(sql`select ${bad}::text as v`);
      } catch (err) {
        caught = err;
      }
      expect(pgError(caught)?.code, JSON.stringify(bad)).toBe("22021");
    }
    const fine = await db.execute<{ v: string }>(sql`select ${"\u0001\u202e🚀"}::text as v`);
    expect(fine.rows[0]?.v).toBe("\u0001\u202e🚀");
  });
});
