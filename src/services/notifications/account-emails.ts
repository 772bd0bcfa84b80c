// The e-mails of the account flows: which template each single-use token travels in and the
// website page its link opens (under the `site_url` setting, else SITE_URL).
import { sha256Hex } from "../../platform/crypto.ts";
import type { Deps } from "../../platform/deps.ts";
import type { Config } from "../../platform/env.ts";
import { readSettings, type Settings } from "../settings/settings.ts";
import { type EmailTemplate, queueEmail } from "./email.ts";

export type AccountEmailKind = "email_verification" | "password_reset" | "magic_link" | "email_change";

const TEMPLATE_OF: Record<AccountEmailKind, EmailTemplate> = {
  email_verification: "verify-email",
  password_reset: "reset-password",
  magic_link: "magic-link",
  email_change: "change-email",
};
const PATH_OF: Record<AccountEmailKind, string> = {
  email_verification: "/auth/verify-email",
  password_reset: "/auth/reset-password",
  magic_link: "/auth/magic-link",
  email_change: "/auth/verify-email",
};

/** The base of account links, from settings already read (they must include `site_url`). */
export function siteBase(settings: Settings, config: Pick<Config, "siteUrl">): string {
  return (settings.text("site_url") ?? config.siteUrl ?? "http://localhost:3000").replace(/\/+$/, "");
}

export async function siteUrl(deps: Pick<Deps, "db" | "config">): Promise<string> {
  return siteBase(await readSettings(deps, ["site_url"]), deps.config);
}

/** The link an e-mail of this kind carries for a token. */
export function accountLink(base: string, kind: AccountEmailKind, token: string, userId: string): string {
  return `${base}${PATH_OF[kind]}?token=${token}&id=${encodeURIComponent(userId)}`;
}

/**
 * Queues the e-mail carrying a single-use token; the job id is derived from the token's hash, so
 * a retried flow never sends twice.
 */
export async function sendAccountEmail(
  deps: Pick<Deps, "db" | "config" | "enqueue">,
  input: {
    user: { id: string; email: string; username: string | null };
    kind: AccountEmailKind;
    token: string;
    to?: string;
    /** Already read by the caller (saves a query). */
    base?: string;
  },
): Promise<void> {
  const to = input.to ?? input.user.email;
  const link = accountLink(input.base ?? (await siteUrl(deps)), input.kind, input.token, input.user.id);
  await queueEmail(
    deps,
    {
      to,
      template: TEMPLATE_OF[input.kind],
      data: { name: input.user.username ?? to.split("@")[0] ?? "", email: to, link },
    },
    `email:${input.kind}:${await sha256Hex(input.token)}`,
  );
}
