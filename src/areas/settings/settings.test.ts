// The website's settings page against the real routes: load, save the whole object back with
// masks, reset a secret, connection tests, repositories through every DELETE form — and no
// secret readable through any answer. Settings are global: this file owns github_token,
// site_name, cache_timeout, email_notifications_enabled and github_repositories, and restores them.
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callJson, testDb } from "../../../test/helpers.ts";
import { bearer, createAdmin, createTestUser, type TestUser } from "../../../test/users.ts";
import { auditLogs, config } from "../../platform/db/schema/index.ts";

const MASK = "••••••••••••••••••••";
const OWNED = [
  "github_token",
  "site_name",
  "cache_timeout",
  "email_notifications_enabled",
  "github_repositories",
];
/** Fields whose keys other test files change meanwhile: a whole-object save here leaves them out. */
const FOREIGN = [
  "discordNotifications",
  "virtfusionApiKey",
  "crowdinProjectId",
  "crowdinPersonalToken",
  "maintenanceMode",
  "adminEmail",
];
const withoutForeign = (settings: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(settings).filter(([k]) => !FOREIGN.includes(k)));
let admin: TestUser;

beforeAll(async () => {
  admin = await createAdmin();
  await testDb().delete(config).where(inArray(config.key, OWNED));
});
afterAll(async () => {
  await testDb().delete(config).where(inArray(config.key, OWNED));
});

type SettingsAnswer = {
  settings: Record<string, unknown>;
  sensitiveFields: string[];
  pterodactylStatus: { connected: boolean; latency?: number };
  databaseStatus: { connected: boolean; version?: string };
  virtfusionStatus: { connected: boolean; error?: string };
  changed?: string[];
};
const api = <T = SettingsAnswer>(path: string, method = "GET", body?: unknown) =>
  callJson<T>(path, {
    method,
    headers: {
      ...bearer(admin.token),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe("admin settings page", () => {
  it("loads every field at its type, the secret names and three connection statuses", async () => {
    const r = await api("/api/admin/settings");
    expect(r.res.status, r.text).toBe(200);
    const s = r.body.settings;
    for (const f of ["pterodactylUrl", "pterodactylApiKey", "siteName", "adminEmail", "resendApiKey"])
      expect(typeof s[f], f).toBe("string");
    for (const f of [
      "registrationEnabled",
      "maintenanceMode",
      "autoSyncEnabled",
      "emailNotifications",
      "discordNotifications",
    ])
      expect(typeof s[f], f).toBe("boolean");
    expect(s.cacheTimeout).toBe(60);
    expect(s.siteName).toBe("NodeByte Hosting");
    expect(Array.isArray(s.githubRepositories)).toBe(true);
    expect(Array.isArray(s.discordWebhooks)).toBe(true);
    expect(r.body.sensitiveFields.sort()).toEqual(
      [
        "crowdinPersonalToken",
        "githubToken",
        "pterodactylApiKey",
        "pterodactylClientApiKey",
        "resendApiKey",
        "virtfusionApiKey",
      ].sort(),
    );
    expect(r.body.databaseStatus).toMatchObject({ connected: true });
    expect(r.body.databaseStatus.version).toMatch(/^PostgreSQL/);
    // The test env points at the demo panel: a real call.
    expect(r.body.pterodactylStatus.connected).toBe(true);
    expect(typeof r.body.pterodactylStatus.latency).toBe("number");
    expect(r.body.virtfusionStatus).toMatchObject({ connected: false });
    const member = await createTestUser();
    expect((await callJson("/api/admin/settings", { headers: bearer(member.token) })).res.status).toBe(403);
  });

  it("saves the whole object back, masks included: only changed fields are written, secrets never answered", async () => {
    const secret = `ghp_${crypto.randomUUID().replaceAll("-", "")}`;
    const first = await api("/api/admin/settings");
    const edited = {
      ...withoutForeign(first.body.settings),
      siteName: "NodeByte Test",
      githubToken: secret,
      cacheTimeout: 300,
      emailNotifications: true,
      githubRepositories: ["nodebyte/website", "nodebyte/backend"],
      githubRepositoriesMerge: true,
    };
    const saved = await api("/api/admin/settings", "POST", edited);
    expect(saved.res.status, saved.text).toBe(200);
    expect(saved.body.changed?.sort()).toEqual(
      ["cacheTimeout", "emailNotifications", "githubRepositories", "githubToken", "siteName"].sort(),
    );
    expect(saved.text).not.toContain(secret);
    expect(saved.body.settings).toMatchObject({
      githubToken: MASK,
      siteName: "NodeByte Test",
      cacheTimeout: 300,
    });
    const [stored] = await testDb().select().from(config).where(eq(config.key, "github_token"));
    expect(stored?.value.startsWith("enc:v2:")).toBe(true);

    // The page saves again with what it got (masks in place): nothing changes, nothing is written.
    const again = await api("/api/admin/settings");
    expect(again.text).not.toContain(secret);
    // This admin's audit rows only: other files save settings meanwhile.
    const mineAudit = and(eq(auditLogs.targetId, "settings"), eq(auditLogs.actorId, admin.user.id));
    const before = await testDb().select().from(auditLogs).where(mineAudit);
    const resave = await api("/api/admin/settings", "POST", {
      ...withoutForeign(again.body.settings),
      githubRepositoriesMerge: true,
    });
    expect(resave.body.changed).toEqual([]);
    const after = await testDb().select().from(auditLogs).where(mineAudit);
    expect(after.length).toBe(before.length);
    const [kept] = await testDb().select().from(config).where(eq(config.key, "github_token"));
    expect(kept?.value).toBe(stored?.value);

    // The audit row names fields, never values.
    const audit = after.find((a) => a.action === "settings.updated");
    expect(JSON.stringify(audit?.details)).toContain("githubToken");
    expect(JSON.stringify(after)).not.toContain(secret);

    // Merge keeps the old entries, without duplicates.
    const merged = await api("/api/admin/settings", "POST", {
      githubRepositories: "nodebyte/backend\nnodebyte/docs",
      githubRepositoriesMerge: true,
    });
    expect(merged.body.settings.githubRepositories).toEqual([
      "nodebyte/website",
      "nodebyte/backend",
      "nodebyte/docs",
    ]);
  });

  it("resets the named secrets and ignores unknown names; refuses bad values with 400", async () => {
    await api("/api/admin/settings", "POST", { githubToken: "ghp_to_be_reset" });
    const reset = await api<{ reset: string[] }>("/api/admin/settings", "PUT", {
      keys: ["githubToken", "nonsense", "siteName"],
    });
    expect(reset.res.status, reset.text).toBe(200);
    expect(reset.body.reset).toEqual(["githubToken"]);
    expect((await api("/api/admin/settings")).body.settings.githubToken).toBe("");
    expect((await api("/api/admin/settings", "POST", { cacheTimeout: "soon" })).res.status).toBe(400);
    expect(
      (await api("/api/admin/settings", "POST", { githubRepositories: ["not a repo"] })).res.status,
    ).toBe(400);
    expect((await api("/api/admin/settings", "POST", { registrationEnabled: "yes" })).res.status).toBe(400);
  });

  it("tests connections for real: stored or given keys, failures in the body, unknown type 400", async () => {
    const db = await api<{ success: boolean; latency: number }>(
      "/api/admin/settings/test?type=database",
      "POST",
      {},
    );
    expect(db.body).toMatchObject({ success: true });
    expect(typeof db.body.latency).toBe("number");
    const stored = await api<{ success: boolean }>("/api/admin/settings/test?type=pterodactyl", "POST", {
      type: "pterodactyl",
      pterodactylApiKey: "",
    });
    expect(stored.body.success, stored.text).toBe(true);
    const wrong = await api<{ success: boolean; error: string }>(
      "/api/admin/settings/test?type=pterodactyl",
      "POST",
      {
        pterodactylApiKey: "ptla_wrong_key",
      },
    );
    expect(wrong.res.status).toBe(200);
    expect(wrong.body.success).toBe(false);
    expect(wrong.body.error).toContain("401");
    expect(wrong.text).not.toContain("ptla_wrong_key");
    const vf = await api<{ success: boolean; error: string }>(
      "/api/admin/settings/test?type=virtfusion",
      "POST",
      {},
    );
    expect(vf.body).toMatchObject({ success: false });
    expect((await api("/api/admin/settings/test?type=mainframe", "POST", {})).res.status).toBe(400);
  });
});

describe("repositories", () => {
  it("adds, renames and removes exactly one entry through every DELETE form", async () => {
    await testDb().execute(sql`delete from config where key = 'github_repositories'`);
    type Repos = { repos: string[]; error?: string };
    const add = (repo: string) => api<Repos>("/api/admin/settings/repos", "POST", { repo });
    expect((await add("acme/app")).body.repos).toEqual(["acme/app"]);
    expect((await add("acme/app-2")).body.repos).toEqual(["acme/app", "acme/app-2"]);
    expect((await add("acme/app")).res.status).toBe(409);
    expect((await add("acme app")).res.status).toBe(400);
    expect((await add("acme/app/extra")).res.status).toBe(400);
    const renamed = await api<Repos>("/api/admin/settings/repos", "PUT", {
      oldRepo: "acme/app-2",
      repo: "acme/tools",
    });
    expect(renamed.body.repos).toEqual(["acme/app", "acme/tools"]);
    expect(
      (await api("/api/admin/settings/repos", "PUT", { oldRepo: "acme/none", repo: "acme/x" })).res.status,
    ).toBe(404);
    await add("acme/app-2");
    // By name: never another entry (acme/app-2 contains acme/app).
    expect(
      (await api<Repos>("/api/admin/settings/repos", "DELETE", { repo: "acme/app" })).body.repos,
    ).toEqual(["acme/tools", "acme/app-2"]);
    const byQuery = await api<Repos>("/api/admin/settings/repos?repo=acme%2Fapp-2", "DELETE");
    expect(byQuery.res.status, byQuery.text).toBe(200);
    expect(byQuery.body.repos).toEqual(["acme/tools"]);
    const byIndex = await api<Repos>("/api/admin/settings/repos?index=0", "DELETE");
    expect(byIndex.body.repos).toEqual([]);
    // The website sends DELETE without a body and without a name: a clear 400, nothing removed.
    expect((await api("/api/admin/settings/repos", "DELETE")).res.status).toBe(400);
    expect((await api("/api/admin/settings/repos?index=5", "DELETE")).res.status).toBe(404);
    expect((await api<Repos>("/api/admin/settings/repos")).body.repos).toEqual([]);
    // Each change left its audit row (the refused ones none), naming the admin.
    const audit = await testDb()
      .select()
      .from(auditLogs)
      .where(eq(auditLogs.targetId, "github_repositories"));
    const mine = audit.filter((a) => a.actorId === admin.user.id).map((a) => a.action);
    expect(mine.filter((a) => a === "settings.repo_added")).toHaveLength(3);
    expect(mine.filter((a) => a === "settings.repo_renamed")).toHaveLength(1);
    expect(mine.filter((a) => a === "settings.repo_removed")).toHaveLength(3);
  });

  it("loses no entry when admins add at the same time", async () => {
    await testDb().execute(sql`delete from config where key = 'github_repositories'`);
    const names = Array.from({ length: 6 }, (_, i) => `race/r${i}`);
    const results = await Promise.all(
      names.map((repo) => api("/api/admin/settings/repos", "POST", { repo })),
    );
    expect(results.map((r) => r.res.status)).toEqual(Array(6).fill(200));
    const list = (await api<{ repos: string[] }>("/api/admin/settings/repos")).body.repos;
    expect([...list].sort()).toEqual(names);
  });
});
