// The page planner on its own: cursors, step hand-over, totals and progress, no I/O.
import { describe, expect, it } from "vitest";
import { type ChainState, initialChain, planPage, progressOf } from "./sync-plan.ts";

const FULL = ["locations", "nodes", "allocations", "nests", "users", "servers"] as const;
const page = (processed: number, total: number, next: ChainState["cursor"] | null) => ({
  processed,
  total,
  next,
  message: `page of ${processed}`,
});

describe("planPage", () => {
  it("moves to the next page of the same step and counts the step's items", () => {
    const chain = initialChain(["servers"]);
    const plan = planPage(chain, page(100, 230, { page: 2 }), {}, 1_700_000_000);
    expect(plan.after).toEqual({
      seq: 1,
      steps: ["servers"],
      stepIndex: 0,
      cursor: { page: 2 },
      stepProcessed: 100,
    });
    expect(plan.addTotal).toBe(230);
    expect(plan.stepTotal).toBe(230);
    // Single-step runs scale the step's fraction to 85 (finalising adds the rest).
    expect(plan.progress).toBe(Math.floor((100 / 230) * 85));
    expect(plan.patch).toMatchObject({
      step: "servers",
      itemsTotal: 230,
      itemsProcessed: 100,
      total_servers: 230,
      lastUpdated: 1_700_000_000,
      lastMessage: "page of 100",
    });
  });

  it("adds a step's total once, on its first page only", () => {
    const second = planPage(
      { seq: 1, steps: ["servers"], stepIndex: 0, cursor: { page: 2 }, stepProcessed: 100 },
      page(100, 230, { page: 3 }),
      { total_servers: 230 },
      0,
    );
    expect(second.addTotal).toBe(0);
    expect(second.after.stepProcessed).toBe(200);
  });

  it("hands over to the next step with a fresh cursor when the listing is complete", () => {
    const chain: ChainState = {
      seq: 4,
      steps: [...FULL],
      stepIndex: 0,
      cursor: { page: 2 },
      stepProcessed: 100,
    };
    const plan = planPage(chain, page(20, 120, null), { total_locations: 120 }, 0);
    expect(plan.after).toEqual({
      seq: 5,
      steps: [...FULL],
      stepIndex: 1,
      cursor: { page: 1 },
      stepProcessed: 0,
    });
    // The end of the locations step is the start of the nodes milestone.
    expect(plan.progress).toBe(15);
  });

  it("sums allocation totals per node (each node's first page adds its own total)", () => {
    const nodeIds = [7, 9];
    const first = planPage(
      {
        seq: 0,
        steps: ["allocations"],
        stepIndex: 0,
        cursor: { page: 1, nodeIds, nodeIndex: 0 },
        stepProcessed: 0,
      },
      page(100, 150, { page: 2, nodeIds, nodeIndex: 0 }),
      {},
      0,
    );
    expect(first.addTotal).toBe(150);
    const secondNode = planPage(
      { ...first.after, cursor: { page: 1, nodeIds, nodeIndex: 1 }, stepProcessed: 150 },
      page(40, 40, null),
      { total_allocations: 150 },
      0,
    );
    expect(secondNode.addTotal).toBe(40);
    expect(secondNode.stepTotal).toBe(190);
    expect(secondNode.patch).toMatchObject({ total_allocations: 190, itemsProcessed: 190 });
  });

  it("refuses to plan past the last step", () => {
    expect(() =>
      planPage(
        { seq: 9, steps: ["nodes"], stepIndex: 1, cursor: { page: 1 }, stepProcessed: 0 },
        page(0, 0, null),
        {},
        0,
      ),
    ).toThrow(/past the last step/);
  });
});

describe("progressOf", () => {
  it("runs from each step's milestone to the next one's within a full run", () => {
    const chain: ChainState = {
      seq: 0,
      steps: [...FULL],
      stepIndex: 5,
      cursor: { page: 1 },
      stepProcessed: 50,
    };
    expect(progressOf(chain, 100)).toBe(80); // servers: 75 → 85
    expect(progressOf({ ...chain, stepIndex: 6 }, 100)).toBe(85);
    expect(progressOf({ ...chain, stepIndex: 2, stepProcessed: 0 }, 0)).toBe(45); // empty step counts as done
  });
});
