// Account jobs: `account.token-email` sends a forgot-password or magic-link e-mail when the
// address has an active account (the route queued it without looking, see email-flows.ts).
import * as z from "zod";
import { AppError } from "../../platform/errors.ts";
import type { JobTable } from "../../platform/jobs.types.ts";
import { sendTokenEmail, TOKEN_EMAIL_JOB } from "./email-flows.ts";

const Payload = z.object({
  kind: z.enum(["password_reset", "magic_link"]),
  email: z.string().min(3).max(320),
});

export const accountJobs: JobTable = {
  [TOKEN_EMAIL_JOB]: async (payload, deps) => {
    const parsed = Payload.safeParse(payload);
    if (!parsed.success)
      throw new AppError("INVALID_REQUEST", "bad token e-mail payload", { retryable: false });
    const sent = await sendTokenEmail(deps, parsed.data.kind, parsed.data.email);
    deps.log("info", "token e-mail request handled", { kind: parsed.data.kind, sent });
  },
};
