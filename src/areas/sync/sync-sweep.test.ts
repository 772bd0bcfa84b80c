// The pure pieces of the sweep and the write path: the circuit breaker's limit, which resources a
// run may sweep (and in what order), the run's steps, and how panel strings are cleaned.
import { describe, expect, it } from "vitest";
import { stepsFor } from "./sync-runs.ts";
import { breakerLimit, sweepResources } from "./sync-sweep.ts";
import { cleanText } from "./sync-writes.ts";

describe("sweep", () => {
  it("refuses above the larger of 25 rows and 5 % of the live rows", () => {
    expect(breakerLimit(0)).toBe(25);
    expect(breakerLimit(230)).toBe(25);
    expect(breakerLimit(10_000)).toBe(500);
  });

  it("sweeps only what the run listed, children before parents; users never", () => {
    expect(sweepResources(stepsFor("full"))).toEqual([
      "servers",
      "nodes",
      "allocations",
      "eggs",
      "nests",
      "locations",
    ]);
    expect(sweepResources(stepsFor("nodes"))).toEqual(["nodes"]);
    expect(stepsFor("users")).toEqual(["users"]);
    expect(stepsFor("full", true)).not.toContain("users");
    expect(stepsFor("databases")).toEqual(["servers", "sweep"]);
  });
});

describe("cleanText", () => {
  it("removes NUL and keeps everything else byte for byte", () => {
    expect(cleanText("a\u0000b\u0000")).toBe("ab");
    for (const s of ["🦖 👩‍💻", "\u202eשלום\u202c", "x".repeat(191), "'; drop table x; -- $1 \\ %_"])
      expect(cleanText(s)).toBe(s);
  });
});
