// The dev outbox: an e-mail queued through the service route shows up there (read from the local
// mail catcher), with the latest signed-event deliveries; in production the route does not exist.
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { callJson, eventually, testEnv, uid } from "../../../test/helpers.ts";
import { createApp } from "../../app.ts";

describe("GET /__dev/outbox", () => {
  it("lists the e-mails the local mail catcher received", async () => {
    const to = `${uid("outbox")}@example.com`;
    const queued = await callJson("/api/v1/email/queue", {
      method: "POST",
      headers: { "x-api-key": String(testEnv.BACKEND_API_KEY), "content-type": "application/json" },
      body: JSON.stringify({ to, template: "generic", subject: "Outbox check", data: { message: "hi" } }),
    });
    expect(queued.res.status, queued.text).toBe(202);
    const box = await eventually(async () => {
      const r = await callJson<{ emails: { to: string[]; subject: string }[]; events: unknown[] }>(
        "/__dev/outbox?limit=200",
      );
      return r.body.emails.some((e) => e.to.includes(to)) ? r : undefined;
    }, 15_000);
    expect(box.res.status).toBe(200);
    expect(box.body.emails.find((e) => e.to.includes(to))?.subject).toBe("Outbox check");
    expect(Array.isArray(box.body.events)).toBe(true);
  });

  it("is absent in production", async () => {
    const env = {
      ...testEnv,
      ENVIRONMENT: "production",
      NEON_FETCH_ENDPOINT: undefined,
      DISCORD_API_URL: undefined,
    };
    const res = await createApp().fetch(
      new Request("http://api.test/__dev/outbox"),
      env,
      createExecutionContext(),
    );
    expect(res.status).toBe(404);
    const doc = await (
      await createApp().fetch(new Request("http://api.test/openapi.json"), env, createExecutionContext())
    ).text();
    expect(doc).not.toContain("__dev");
  });
});
