// The settings store: declared keys, secrets encrypted at rest and masked in views, the mask and
// empty secrets ignored on write, omitted keys (booleans included) never reset, audit of key names.
import { eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { testDb, testDeps, uid } from "../../../test/helpers.ts";
import { auditLogs } from "../../platform/db/schema/index.ts";
import { parseSetting, SECRET_MASK, SETTINGS, serializeSetting } from "./keys.ts";
import { maskedView, readSettings, writeSettings } from "./settings.ts";

describe("setting kinds (pure)", () => {
  it("parses stored text by kind, with the default for absent, empty or unparseable values", () => {
    expect(parseSetting(SETTINGS.registration_enabled, undefined)).toBe(true);
    expect(parseSetting(SETTINGS.registration_enabled, "no")).toBe(false);
    expect(parseSetting(SETTINGS.auto_sync_enabled, "maybe")).toBe(false);
    expect(parseSetting(SETTINGS.cache_timeout, "90")).toBe(90);
    expect(parseSetting(SETTINGS.cache_timeout, "ninety")).toBe(60);
    expect(parseSetting(SETTINGS.github_repositories, '["a/b"]')).toEqual(["a/b"]);
    expect(parseSetting(SETTINGS.github_repositories, "{oops")).toEqual([]);
  });

  it("leaves a key alone for undefined, the mask or an empty secret; refuses the wrong type", () => {
    expect(serializeSetting(SETTINGS.maintenance_mode, undefined)).toBeUndefined();
    expect(serializeSetting(SETTINGS.github_token, SECRET_MASK)).toBeUndefined();
    expect(serializeSetting(SETTINGS.github_token, "")).toBeUndefined();
    expect(serializeSetting(SETTINGS.github_token, "ghp_x")).toBe("ghp_x");
    expect(serializeSetting(SETTINGS.maintenance_mode, false)).toBe("false");
    expect(serializeSetting(SETTINGS.cache_timeout, "120")).toBe("120");
    expect(() => serializeSetting(SETTINGS.cache_timeout, 1.5)).toThrow(/integer/);
    expect(() => serializeSetting(SETTINGS.maintenance_mode, "on")).toThrow(/boolean/);
  });
});

describe("settings store (database)", () => {
  // The store's keys are global: this test owns crowdin_*, admin_email and maintenance_mode.
  it("encrypts secrets, masks them, keeps them on a masked or empty write, and never resets an omitted flag", async () => {
    const db = testDb();
    const secret = `token-${uid()}`;
    const deps = testDeps({ actor: { type: "user", id: "admin-1", ip: null, userAgent: null } });
    const target = uid("settings");
    const keys = await writeSettings(
      deps,
      { crowdin_personal_token: secret, maintenance_mode: true, admin_email: "ops@example.com" },
      { action: "settings.changed", targetId: target },
    );
    expect(keys.sort()).toEqual(["admin_email", "crowdin_personal_token", "maintenance_mode"]);

    const stored = await db.execute<{ value: string }>(
      sql`select value from config where key = 'crowdin_personal_token'`,
    );
    expect(stored.rows[0]?.value.startsWith("enc:v2:")).toBe(true);
    expect(stored.rows[0]?.value).not.toContain(secret);

    await writeSettings(
      deps,
      { crowdin_personal_token: SECRET_MASK, admin_email: "" },
      { action: "settings.changed", targetId: target },
    );
    await writeSettings(
      deps,
      { crowdin_project_id: "p-1" },
      { action: "settings.changed", targetId: target },
    );
    const all = ["crowdin_personal_token", "maintenance_mode", "admin_email", "crowdin_project_id"] as const;
    const s = await readSettings(deps, all);
    expect(s.text("crowdin_personal_token")).toBe(secret);
    expect(s.get("maintenance_mode")).toBe(true);
    expect(s.get("admin_email")).toBe("");
    expect(maskedView(s, all)).toEqual({
      crowdin_personal_token: SECRET_MASK,
      maintenance_mode: true,
      admin_email: "",
      crowdin_project_id: "p-1",
    });

    const audit = await db.select().from(auditLogs).where(eq(auditLogs.targetId, target));
    expect(audit.map((a) => a.details)).toEqual(
      expect.arrayContaining([{ keys: ["crowdin_personal_token", "maintenance_mode", "admin_email"] }]),
    );
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(audit.every((a) => a.actorId === "admin-1")).toBe(true);
  });

  it("reads a secret pasted from another row as unset, never as that row's secret", async () => {
    const db = testDb();
    const deps = testDeps();
    const audit = { action: "settings.changed", targetId: uid("settings") };
    await writeSettings(deps, { scalar_api_key: "scalar-secret-1" }, audit);
    await db.execute(sql`insert into config (key, value) select 'virtfusion_api_key', value from config where key = 'scalar_api_key'
      on conflict (key) do update set value = excluded.value`);
    vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const s = await readSettings(deps, ["scalar_api_key", "virtfusion_api_key"]);
      expect(s.text("scalar_api_key")).toBe("scalar-secret-1");
      expect(s.text("virtfusion_api_key")).toBeUndefined();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("refuses undeclared keys and wrong types with a clear 400", async () => {
    const deps = testDeps();
    const audit = { action: "settings.changed", targetId: uid("settings") };
    await expect(writeSettings(deps, { no_such_key: "x" } as never, audit)).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      message: 'Unknown setting "no_such_key"',
    });
    await expect(writeSettings(deps, { cache_timeout: "soon" }, audit)).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
  });
});
