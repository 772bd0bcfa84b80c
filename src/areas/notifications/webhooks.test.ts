// The Discord webhooks page against the real routes and the local fake Discord (which refuses a
// missing User-Agent, unknown webhooks and bad tokens like the real one): CRUD with every
// validation, the token encrypted at rest and masked, the test posting a real embed, a dead
// webhook disabled, 404 for unknown ids and every DELETE form.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { callJson, testDb } from "../../../test/helpers.ts";
import { bearer, createAdmin, type TestUser } from "../../../test/users.ts";
import { discordWebhooks } from "../../platform/db/schema/index.ts";

const MASK = "••••••••••••••••••••";
const fake = inject("discordUrl");
let admin: TestUser;
beforeAll(async () => {
  admin = await createAdmin();
});

type Hook = {
  id: string;
  name: string;
  webhookUrl: string;
  type: string;
  scope: string;
  enabled: boolean;
  testSuccessAt: string | null;
};
const api = <T = Record<string, unknown>>(path: string, method = "GET", body?: unknown) =>
  callJson<T>(path, {
    method,
    headers: {
      ...bearer(admin.token),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

function newWebhook() {
  const id = String(100000000000000000n + BigInt(Math.floor(Math.random() * 1e15)));
  const token = `tok_${crypto.randomUUID().replaceAll("-", "")}`;
  return { id, token, url: `https://discord.com/api/webhooks/${id}/${token}` };
}
async function registerAtFake(w: { id: string; token: string }) {
  await fetch(`${fake}/__webhooks`, { method: "POST", body: JSON.stringify({ id: w.id, token: w.token }) });
}
const messagesOf = async (id: string) =>
  (await (await fetch(`${fake}/__messages?webhook=${id}`)).json()) as {
    userAgent: string;
    body: { embeds: { title: string }[] };
  }[];

describe("Discord webhooks", () => {
  it("creates, lists (masked), tests with a real embed, updates and deletes", async () => {
    const w = newWebhook();
    await registerAtFake(w);
    const created = await api<{ webhook: Hook }>("/api/admin/settings/webhooks", "POST", {
      name: "Ops",
      webhookUrl: w.url,
      description: "",
    });
    expect(created.res.status, created.text).toBe(200);
    expect(created.body.webhook).toMatchObject({
      name: "Ops",
      type: "SYSTEM",
      scope: "ADMIN",
      enabled: true,
    });
    expect(created.body.webhook.webhookUrl).toBe(`https://discord.com/api/webhooks/${w.id}/${MASK}`);
    expect(created.text).not.toContain(w.token);
    const [row] = await testDb()
      .select()
      .from(discordWebhooks)
      .where(eq(discordWebhooks.id, created.body.webhook.id));
    expect(row?.webhookUrl).not.toContain(w.token);
    expect(row?.webhookUrl).toContain("enc:v2:");

    const list = await api<{ webhooks: Hook[] }>("/api/admin/settings/webhooks");
    expect(list.text).not.toContain(w.token);
    const listed = list.body.webhooks.find((h) => h.id === created.body.webhook.id);
    expect(typeof listed?.webhookUrl).toBe("string");

    const test = await api<{ success: boolean; message: string }>("/api/admin/settings/webhooks", "PATCH", {
      id: created.body.webhook.id,
    });
    expect(test.body, test.text).toMatchObject({ success: true, message: "Webhook test successful" });
    // Only the test embeds: finished syncs of other files may reach SYSTEM webhooks meanwhile.
    const posted = (await messagesOf(w.id)).filter((m) => m.body.embeds[0]?.title === "🧪 Webhook Test");
    expect(posted).toHaveLength(1);
    expect(posted[0]?.body.embeds[0]?.title).toBe("🧪 Webhook Test");
    expect(posted[0]?.userAgent).toContain("DiscordBot");
    const tested = await api<{ webhooks: Hook[] }>("/api/admin/settings/webhooks");
    expect(tested.body.webhooks.find((h) => h.id === created.body.webhook.id)?.testSuccessAt).not.toBeNull();

    // The page saves the masked URL back: the stored token stays.
    const update = await api<{ webhook: Hook }>("/api/admin/settings/webhooks", "PUT", {
      id: created.body.webhook.id,
      name: "Ops room",
      webhookUrl: created.body.webhook.webhookUrl,
      type: "SECURITY",
      description: "alerts",
      enabled: true,
    });
    expect(update.res.status, update.text).toBe(200);
    expect(update.body.webhook).toMatchObject({ name: "Ops room", type: "SECURITY" });
    expect(
      (
        await api<{ success: boolean }>("/api/admin/settings/webhooks", "PATCH", {
          id: created.body.webhook.id,
        })
      ).body.success,
    ).toBe(true);

    const del = await api(`/api/admin/settings/webhooks?id=${created.body.webhook.id}`, "DELETE");
    expect(del.res.status, del.text).toBe(200);
    expect(
      (await api("/api/admin/settings/webhooks", "PATCH", { id: created.body.webhook.id })).res.status,
    ).toBe(404);
  });

  it("accepts only Discord's webhook addresses", async () => {
    const w = newWebhook();
    for (const bad of [
      "http://discord.com/api/webhooks/123456789012/abcdefghijklmnopqrstuvwxyz",
      "https://evil.example/api/webhooks/123456789012/abcdefghijklmnopqrstuvwxyz",
      "https://discord.com.evil.example/api/webhooks/123456789012/abcdefghijklmnopqrstuvwxyz",
      "https://user:pass@discord.com/api/webhooks/123456789012/abcdefghijklmnopqrstuvwxyz",
      "https://discord.com:8443/api/webhooks/123456789012/abcdefghijklmnopqrstuvwxyz",
      "https://discord.com/api/webhooks/123456789012/abcdefghijklmnopqrstuvwxyz?x=1",
      "https://127.0.0.1/api/webhooks/123456789012/abcdefghijklmnopqrstuvwxyz",
      "https://discord.com/api/users/123456789012",
    ]) {
      const r = await api("/api/admin/settings/webhooks", "POST", { name: "x", webhookUrl: bad });
      expect(r.res.status, bad).toBe(400);
    }
    expect(
      (await api("/api/admin/settings/webhooks", "POST", { name: "", webhookUrl: w.url })).res.status,
    ).toBe(400);
    expect(
      (await api("/api/admin/settings/webhooks", "POST", { name: "x", webhookUrl: w.url, type: "NOPE" })).res
        .status,
    ).toBe(400);
    expect(
      (
        await api("/api/admin/settings/webhooks", "POST", {
          name: "x",
          webhookUrl: w.url.replace("discord.com", "discordapp.com"),
          scope: "PUBLIC",
        })
      ).res.status,
    ).toBe(200);
  });

  it("answers 404 for unknown ids and 400 for a missing id, on every form", async () => {
    expect((await api("/api/admin/settings/webhooks", "PUT", { id: "nope", name: "x" })).res.status).toBe(
      404,
    );
    expect((await api("/api/admin/settings/webhooks", "PATCH", { id: "nope" })).res.status).toBe(404);
    expect((await api("/api/admin/settings/webhooks/nope", "DELETE")).res.status).toBe(404);
    // The website's bodiless DELETE.
    expect((await api("/api/admin/settings/webhooks", "DELETE")).res.status).toBe(400);
  });

  it("disables a webhook Discord says is gone, and reports the failure in the body", async () => {
    const w = newWebhook(); // never registered at the fake: Unknown Webhook (10015)
    const created = await api<{ webhook: Hook }>("/api/admin/settings/webhooks", "POST", {
      name: "Dead",
      webhookUrl: w.url,
    });
    const test = await api<{ success: boolean; error: string }>("/api/admin/settings/webhooks", "PATCH", {
      id: created.body.webhook.id,
    });
    expect(test.res.status).toBe(200);
    expect(test.body.success).toBe(false);
    expect(test.body.error).toContain("10015");
    const [row] = await testDb()
      .select()
      .from(discordWebhooks)
      .where(eq(discordWebhooks.id, created.body.webhook.id));
    expect(row?.enabled).toBe(false);
    await api(`/api/admin/settings/webhooks/${created.body.webhook.id}`, "DELETE");
  });
});
