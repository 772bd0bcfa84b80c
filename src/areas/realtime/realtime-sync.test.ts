// A sync's progress reaches the dashboard live: the engine's after-commit events arrive on
// `sync:{id}` (gapless, resumable from offset 0) and on `admin`. Runs in the serialized sync phase
// of `npm test` (a real run against the demo panel).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { connect } from "../../../test/realtime-client.ts";
import { admin, finished, syncSuiteHooks, trigger } from "../../../test/sync-helpers.ts";
import type { RealtimeHub } from "./hub.do.ts";
import type { Frame } from "./protocol.ts";

const hub = (topic: string) =>
  (env as unknown as { REALTIME_HUB: DurableObjectNamespace<RealtimeHub> }).REALTIME_HUB.getByName(topic);

syncSuiteHooks();

describe("sync progress on the hub", () => {
  it("streams started, progress and finished on sync:{id} and admin without polling", async () => {
    const adminOffset = (await hub("admin").stats()).offset;
    const dash = await connect(admin.token, "admin", adminOffset);
    const t = await trigger({ type: "full" });
    expect(t.alreadyRunning).toBe(false);
    const id = t.sync_log_id;
    // since=0: whatever was published before this socket opened comes in the welcome.
    const live = await connect(admin.token, `sync:${id}`, 0);
    const welcome = await live.next((f) => f.type === "welcome");
    expect(welcome.data.recovery).toBe("resumed");
    await live.next((f) => f.type === "sync.finished", 60_000);
    const log = await finished(id);
    expect(log.status).toBe("COMPLETED");

    const frames = [
      ...(welcome.data.frames as Frame[]),
      ...live.frames.filter((f) => f.type.startsWith("sync.")),
    ];
    expect(frames.map((f) => f.offset)).toEqual(frames.map((_, i) => i + 1));
    expect(frames[0]?.type).toBe("sync.started");
    expect(frames.at(-1)).toMatchObject({
      type: "sync.finished",
      data: { syncLogId: id, status: "COMPLETED" },
    });
    const progress = frames.filter((f) => f.type === "sync.progress");
    expect(progress.length).toBeGreaterThan(0);
    for (const f of frames) expect(f.data.syncLogId).toBe(id);

    const onAdmin = await dash.next((f) => f.type === "sync.finished" && f.data.syncLogId === id, 10_000);
    expect(onAdmin.topic).toBe("admin");
    expect(dash.frames.some((f) => f.type === "sync.started" && f.data.syncLogId === id)).toBe(true);
    live.close();
    dash.close();
  });
});
