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

/** Template names callers may send: ours, or any name of theirs (rendered by the generic layout). */
export const TEMPLATE_NAME = /^[A-Za-z0-9][\w.-]{0,99}$/;

export interface EmailJob {
  to: string;
  /** One of EMAIL_TEMPLATES, or a caller's own name (rendered by the generic layout). */
  template: string;
  subject?: string;
  data: Record<string, string | number | boolean | null>;
}

export async function queueEmail(deps: Pick<Deps, "enqueue">, email: EmailJob, idempotencyKey?: string) {
  return deps.enqueue("email.send", email, { priority: "critical", id: idempotencyKey });
}
