// The console relay's protocol on its own: what each viewer sees of Wings' frames, what a viewer
// may send (per permission), frame validation and the per-viewer action bucket.
import { describe, expect, it } from "vitest";
import {
  forViewer,
  GENERIC_ERROR,
  LIMITS,
  parseFrame,
  takeAction,
  viewerClass,
  viewerRequest,
} from "./console-protocol.ts";

const owner = { r: "owner", p: ["*"] };
const admin = { r: "admin", p: ["*"] };
const watcher = { r: "subuser", p: ["websocket.connect"] };
const errorId = "0b6f4b1e-7f0c-4a39-9d7e-2a1c3b4d5e6f";

describe("what a viewer sees", () => {
  it("passes console output, status and stats to everyone", () => {
    for (const v of [owner, admin, watcher]) {
      for (const event of ["console output", "status", "stats", "daemon message"]) {
        expect(forViewer({ event, args: ["x"] }, v)).toEqual({ event, args: ["x"] });
      }
    }
  });

  it("keeps install and transfer output for admins, backup events for backup.read", () => {
    expect(forViewer({ event: "install output", args: ["apt"] }, admin)).toBeDefined();
    expect(forViewer({ event: "install output", args: ["apt"] }, owner)).toBeUndefined();
    expect(forViewer({ event: "transfer logs", args: [] }, owner)).toBeUndefined();
    expect(forViewer({ event: "backup completed", args: [] }, owner)).toBeDefined();
    expect(forViewer({ event: "backup completed", args: [] }, watcher)).toBeUndefined();
  });

  it("redacts a daemon error's detail for non-admins, keeping its id", () => {
    const f = { event: "daemon error", args: [`Error Event [${errorId}]: disk quota exceeded`] };
    expect(forViewer(f, admin)).toEqual(f);
    expect(forViewer(f, owner)?.args).toEqual([`Error Event [${errorId}]: ${GENERIC_ERROR}`]);
    expect(forViewer({ event: "daemon error", args: ["odd"] }, watcher)?.args).toEqual([GENERIC_ERROR]);
  });

  it("never forwards the relay's own token traffic", () => {
    for (const event of ["auth success", "token expiring", "token expired", "jwt error"]) {
      expect(forViewer({ event, args: [] }, admin)).toBeUndefined();
    }
  });

  it("groups viewers that see the same frames", () => {
    expect(viewerClass(owner)).toBe(viewerClass({ r: "subuser", p: ["backup.read"] }));
    expect(viewerClass(owner)).not.toBe(viewerClass(admin));
    expect(viewerClass(owner)).not.toBe(viewerClass(watcher));
  });
});

describe("what a viewer may send", () => {
  const frame = (event: string, ...args: string[]) => JSON.stringify({ event, args });

  it("checks commands against control.console", () => {
    expect(viewerRequest(frame("send command", "say hi"), owner)).toMatchObject({
      kind: "command",
      command: "say hi",
    });
    expect(viewerRequest(frame("send command", "say hi"), watcher)).toMatchObject({
      kind: "refused",
      code: "forbidden",
    });
    expect(viewerRequest(frame("send command", "a\nb"), owner)).toMatchObject({ code: "invalid_command" });
    expect(viewerRequest(frame("send command", ""), owner)).toMatchObject({ code: "invalid_command" });
  });

  it("checks each power signal against its permission (kill needs control.stop)", () => {
    const starter = { p: ["control.start"] };
    expect(viewerRequest(frame("set state", "start"), starter)).toMatchObject({
      kind: "power",
      signal: "start",
    });
    expect(viewerRequest(frame("set state", "kill"), starter)).toMatchObject({ code: "forbidden" });
    expect(viewerRequest(frame("set state", "kill"), { p: ["control.stop"] })).toMatchObject({
      kind: "power",
    });
    expect(viewerRequest(frame("set state", "explode"), owner)).toMatchObject({ code: "invalid_signal" });
  });

  it("refuses auth, unknown events, bad JSON and oversized frames", () => {
    expect(viewerRequest(frame("auth", "jwt"), owner)).toMatchObject({ code: "not_needed" });
    expect(viewerRequest(frame("rm -rf"), owner)).toMatchObject({ code: "unknown_event" });
    expect(viewerRequest("{nope", owner)).toMatchObject({ code: "invalid_frame" });
    expect(viewerRequest(JSON.stringify({ event: 1 }), owner)).toMatchObject({ code: "invalid_frame" });
    expect(viewerRequest("x".repeat(LIMITS.maxFrameBytes + 1), owner)).toMatchObject({ code: "too_large" });
    expect(viewerRequest(frame("send logs"), watcher)).toEqual({ kind: "logs" });
  });

  it("parses Wings frames with missing args as empty", () => {
    expect(parseFrame('{"event":"status"}')).toEqual({ event: "status", args: [] });
    expect(parseFrame('{"event":"x","args":"no"}')).toBeUndefined();
  });
});

describe("the action bucket", () => {
  it("allows a burst, then refills at the rate", () => {
    const v = { t: LIMITS.burst, tu: 0 };
    for (let i = 0; i < LIMITS.burst; i++) expect(takeAction(v, 0)).toBe(true);
    expect(takeAction(v, 0)).toBe(false);
    expect(takeAction(v, 1000 / LIMITS.perSecond)).toBe(true);
    expect(takeAction(v, 1000 / LIMITS.perSecond)).toBe(false);
  });
});
