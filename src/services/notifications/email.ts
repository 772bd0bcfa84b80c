// Queuing e-mail: one job per message, with an idempotency key that Resend also receives.
import type { Deps } from "../../platform/deps.ts";

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

export async function queueEmail(deps: Pick<Deps, "enqueue">, email: EmailJob, idempotencyKey?: string) {
  return deps.enqueue("email.send", email, { priority: "critical", id: idempotencyKey });
}
