// The email.send job against the local fake Resend, as unfriendly as the real one: 429 and 409
// concurrent retry (same key), same key with another payload is permanent, a redelivered job
// sends once, and every value is escaped in the HTML.
import { describe, expect, inject, it } from "vitest";
import { callJson, jobMessage, testDeps, testEnv, uid } from "../../../test/helpers.ts";
import { AppError } from "../../platform/errors.ts";
import { emailJobs } from "./email.jobs.ts";
import { renderEmail } from "./email-templates.ts";

const resend = inject("resendUrl");
const send = emailJobs["email.send"] as NonNullable<(typeof emailJobs)["email.send"]>;
const inbox = async (to: string) =>
  (await (await fetch(`${resend}/__emails?to=${encodeURIComponent(to)}`)).json()) as unknown[];
const fault = (to: string, kind: string, times = 1) =>
  fetch(`${resend}/__faults`, { method: "POST", body: JSON.stringify({ to, kind, times }) });
const mail = (to: string, message = "hello") => ({
  to,
  template: "generic",
  subject: "Hi",
  data: { message },
});

describe("email.send", () => {
  it("retries 429 and an in-flight duplicate with the same key, then sends exactly once", async () => {
    const to = `${uid("mail")}@example.com`;
    const message = jobMessage("email.send", mail(to));
    await fault(to, "429");
    await expect(send(message.payload, testDeps({ message }))).rejects.toMatchObject({
      retryable: true,
      headers: { "Retry-After": "1" },
    });
    await fault(to, "409-concurrent");
    await expect(send(message.payload, testDeps({ message }))).rejects.toMatchObject({ retryable: true });
    await send(message.payload, testDeps({ message }));
    await send(message.payload, testDeps({ message })); // redelivered
    expect(await inbox(to)).toHaveLength(1);
  });

  it("treats the same key with another payload as a bug, not a retry", async () => {
    const to = `${uid("mail")}@example.com`;
    const id = uid("email-key");
    const first = jobMessage("email.send", mail(to, "one"), id);
    await send(first.payload, testDeps({ message: first }));
    const other = jobMessage("email.send", mail(to, "two"), id);
    const err = await send(other.payload, testDeps({ message: other })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ retryable: false });
    expect((err as Error).message).toContain("invalid_idempotent_request");
    expect(await inbox(to)).toHaveLength(1);
  });

  it("retries 5xx and never retries other 4xx", async () => {
    const to = `${uid("mail")}@example.com`;
    const message = jobMessage("email.send", mail(to));
    await fault(to, "500");
    await expect(send(message.payload, testDeps({ message }))).rejects.toMatchObject({ retryable: true });
    const bad = jobMessage("email.send", { to: "not-an-address", template: "generic", data: {} });
    await expect(send(bad.payload, testDeps({ message: bad }))).rejects.toMatchObject({ retryable: false });
  });

  it("escapes every interpolated value and always has a text part", () => {
    const r = renderEmail("magic-link", {
      name: '<img src=x onerror="alert(1)">',
      link: 'https://site.test/"><script>',
    });
    expect(r.html).not.toContain("<img");
    expect(r.html).not.toContain("<script>");
    expect(r.html).toContain("&lt;img");
    expect(r.text).toContain("https://site.test/");
  });

  it("renders a caller's own template name through the generic layout, every field escaped", async () => {
    const r = renderEmail(
      "order-shipped",
      { order: "<b>#42</b>", carrier: "DHL", message: "On its way" },
      "Shipped\r\nBcc: x",
    );
    expect(r.subject).toBe("Shipped Bcc: x");
    expect(r.html).toContain("order: &lt;b&gt;#42&lt;/b&gt;");
    expect(r.html).toContain("carrier: DHL");
    expect(r.html).not.toContain("<b>");
    expect(r.text).toContain("order: <b>#42</b>");
    expect(r.text).toContain("On its way");
  });

  it("queues any well-formed template name and refuses malformed ones with 400", async () => {
    const to = `${uid("mail")}@example.com`;
    const queue = (template: string) =>
      callJson<{ data: { task_id: string } }>("/api/v1/email/queue", {
        method: "POST",
        headers: { "x-api-key": String(testEnv.BACKEND_API_KEY), "content-type": "application/json" },
        body: JSON.stringify({ to, template, subject: "Your order", data: { order: "42" } }),
      });
    const ok = await queue("order-shipped");
    expect(ok.res.status, ok.text).toBe(202);
    for (const bad of ["<script>", "has space", "", "x".repeat(101)]) {
      const r = await queue(bad);
      expect(r.res.status, bad).toBe(400);
    }
    const job = jobMessage("email.send", {
      to,
      template: "order-shipped",
      subject: "Your order",
      data: { order: "42" },
    });
    await send(job.payload, testDeps({ message: job }));
    const [got] = (await inbox(to)) as { subject: string; text: string }[];
    expect(got?.subject).toBe("Your order");
    expect(got?.text).toContain("order: 42");
  });
});
