// The `email.send` job: renders the template and posts it to Resend with the job id as
// `Idempotency-Key`, so a redelivered job never sends twice. Resend errors: 429/5xx retry
// (honouring Retry-After); 409 concurrent_idempotent_requests retries with the same key; 409
// invalid_idempotent_request (same key, other payload) and other 4xx are permanent.
import * as z from "zod";
import { AppError } from "../../platform/errors.ts";
import type { JobTable } from "../../platform/jobs.types.ts";
import { readSettings } from "../settings/settings.ts";
import { TEMPLATE_NAME } from "./email.ts";
import { renderEmail } from "./email-templates.ts";

const EmailPayload = z.object({
  to: z.string().email(),
  template: z.string().regex(TEMPLATE_NAME),
  subject: z.string().max(200).optional(),
  data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
});

export const emailJobs: JobTable = {
  "email.send": async (payload, ctx) => {
    const parsed = EmailPayload.safeParse(payload);
    if (!parsed.success)
      throw new AppError("INVALID_REQUEST", "invalid email job payload", { retryable: false });
    // The key and sender from settings first (changed without a restart), then the environment.
    const settings = await readSettings(ctx, ["resend_api_key", "email_from"]);
    const resendApiKey = settings.text("resend_api_key") ?? ctx.config.email.resendApiKey;
    const from = settings.text("email_from") ?? ctx.config.email.from;
    const { resendUrl } = ctx.config.email;
    if (!resendApiKey) {
      // Kept in dead_jobs (replayable once configured) rather than silently dropped.
      throw new AppError("UNAVAILABLE", "e-mail is not configured (RESEND_API_KEY)", { retryable: false });
    }
    const email = renderEmail(parsed.data.template, parsed.data.data, parsed.data.subject);
    const res = await ctx.fetch(`${resendUrl.replace(/\/+$/, "")}/emails`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${resendApiKey}`,
        "content-type": "application/json",
        "idempotency-key": ctx.message.id.slice(0, 256),
        "user-agent": "NodeByte-Edge-API/1.0",
      },
      body: JSON.stringify({
        from,
        to: [parsed.data.to],
        subject: email.subject,
        html: email.html,
        text: email.text,
      }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.ok) {
      ctx.log("info", "email sent", { template: parsed.data.template, status: res.status });
      return;
    }
    const retryAfter = res.headers.get("retry-after");
    let name = "";
    try {
      name = String((JSON.parse(text) as { name?: unknown }).name ?? "");
    } catch {
      // not JSON: judged by status alone
    }
    if (res.status === 409 && name === "concurrent_idempotent_requests") {
      // Another delivery of this job is being sent right now: retry with the same key.
      throw new AppError("UPSTREAM_ERROR", "Resend is still sending this e-mail (same idempotency key)", {
        retryable: true,
        headers: { "Retry-After": retryAfter ?? "2" },
      });
    }
    if (res.status === 409) {
      // Same key, different payload: a bug on our side, never retried.
      throw new AppError("UPSTREAM_ERROR", `Resend refused the idempotency key (${name || "conflict"})`, {
        retryable: false,
      });
    }
    const retryable = res.status === 429 || res.status >= 500;
    throw new AppError("UPSTREAM_ERROR", `Resend answered ${res.status}${name ? ` (${name})` : ""}`, {
      retryable,
      headers: retryAfter ? { "Retry-After": retryAfter } : {},
      context: { status: res.status },
    });
  },
};
