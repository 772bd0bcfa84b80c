// The path rules on their own: what passes (canonical form) and what is refused.
import { describe, expect, it } from "vitest";
import { AppError } from "../../platform/errors.ts";
import { conflictReason } from "./server-control.ts";
import { directoryPath, filePath, serverPath } from "./server-paths.ts";
import { isProtectedVariable } from "./servers.service.ts";

describe("server paths", () => {
  it("folds to the canonical path from the server's root", () => {
    expect(directoryPath(undefined)).toBe("/");
    expect(directoryPath("")).toBe("/");
    expect(serverPath("plugins//x/./y.yml", "file")).toBe("/plugins/x/y.yml");
    expect(serverPath("/weird name (1)/ü.txt", "file")).toBe("/weird name (1)/ü.txt");
    expect(serverPath("/a/...b/c..", "file")).toBe("/a/...b/c..");
  });

  it("refuses traversal, encodings, backslashes and control characters", () => {
    for (const bad of [
      "..",
      "/a/../b",
      "a/..",
      "%2e%2e",
      "%2F",
      "%5c",
      "%00",
      "a\\b",
      "a\u0000",
      "a\u001fb",
      "a\u007f",
    ]) {
      expect(() => serverPath(bad, "directory"), bad).toThrow(AppError);
    }
    expect(() => filePath("/")).toThrow(AppError);
    expect(() => filePath("//./")).toThrow(AppError);
    expect(() => filePath("/plugins/")).toThrow(/directory/);
  });

  it("reads the 409 reason from the panel's message", () => {
    expect(
      conflictReason("This server is currently suspended and the functionality requested is unavailable."),
    ).toBe("suspended");
    expect(
      conflictReason("This server has not yet completed its installation process, please try again later."),
    ).toBe("installing");
    expect(conflictReason("This server is currently restoring from a backup, please try again later.")).toBe(
      "restoring",
    );
    expect(conflictReason("This server is currently being transferred to a new machine.")).toBe(
      "transferring",
    );
    expect(conflictReason(undefined)).toBe("conflict");
  });

  it("protects the Hytale token variables", () => {
    expect(isProtectedVariable("HYTALE_SESSION_TOKEN")).toBe(true);
    expect(isProtectedVariable("HYTALE_SERVER_IDENTITY_TOKEN")).toBe(true);
    expect(isProtectedVariable("HYTALE_AUTH_MODE")).toBe(false);
  });
});
