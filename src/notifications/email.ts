// Queuing e-mail: one job per message, with an idempotency key that Resend also receives.
import type { Config } from "../env.ts";
import { enqueue } from "../jobs/enqueue.ts";

export const EMAIL_TEMPLATES = [
  "verify-email",
  "email-verification",
  "reset-password",
  "password-reset",
  "magic-link",
  "change-email",
  "sync-complete",
  "generic",
] as const;
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

export interface EmailJob {
  to: string;
  template: EmailTemplate;
  subject?: string;
  data: Record<string, string | number | boolean | null>;
}

export async function queueEmail(config: Pick<Config, "queues">, email: EmailJob, idempotencyKey?: string) {
  return enqueue(config, "email.send", email, { priority: "critical", id: idempotencyKey });
}
