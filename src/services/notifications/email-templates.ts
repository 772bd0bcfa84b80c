// E-mail templates: subject, HTML (every value escaped) and a text part. Pure functions of data.
import { EMAIL_TEMPLATES, type EmailTemplate } from "./email.ts";

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

type Data = Record<string, string | number | boolean | null>;
const s = (v: unknown) => (v === null || v === undefined ? "" : String(v));

function layout(title: string, paragraphs: string[], action?: { label: string; url: string }): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("");
  const button = action
    ? `<p><a href="${escapeHtml(action.url)}" style="background:#2563eb;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(action.label)}</a></p><p style="font-size:12px;color:#666">${escapeHtml(action.url)}</p>`
    : "";
  return `<!doctype html><html><body style="font-family:sans-serif"><h2>${escapeHtml(title)}</h2>${body}${button}<p style="font-size:12px;color:#666">NodeByte Hosting</p></body></html>`;
}

function linkEmail(subject: string, intro: string[], label: string, data: Data): RenderedEmail {
  const link = s(data.link);
  const greeting = `Hi ${s(data.name) || "there"},`;
  return {
    subject,
    html: layout(subject, [greeting, ...intro], { label, url: link }),
    text: [greeting, ...intro, `${label}: ${link}`, "", "NodeByte Hosting"].join("\n"),
  };
}

/** A caller's own template: the subject, then every data field as "key: value", all escaped. */
function fieldsEmail(data: Data, subject?: string): RenderedEmail {
  const title = (subject || s(data.subject) || "NodeByte").replace(/[\r\n]+/g, " ");
  const lines = Object.entries(data)
    .filter(([k]) => k !== "subject")
    .map(([k, v]) => (k === "message" ? s(v) : `${k}: ${s(v)}`));
  return { subject: title, html: layout(title, lines), text: [title, "", ...lines].join("\n") };
}

export function renderEmail(name: string, data: Data, subject?: string): RenderedEmail {
  if (!(EMAIL_TEMPLATES as readonly string[]).includes(name)) return fieldsEmail(data, subject);
  const template = name as EmailTemplate;
  switch (template) {
    case "verify-email":
    case "email-verification":
      return linkEmail(
        subject ?? "Verify your email address",
        ["Confirm your address to finish setting up your account. The link is valid for 24 hours."],
        "Verify email",
        data,
      );
    case "change-email":
      return linkEmail(
        subject ?? "Confirm your new email address",
        [
          "Confirm this address to make it your account's email. The link is valid for 24 hours; until then your old address stays in use.",
        ],
        "Confirm email",
        data,
      );
    case "reset-password":
    case "password-reset":
      return linkEmail(
        subject ?? "Reset your password",
        [
          "Someone asked to reset your password. The link is valid for 1 hour. If it wasn't you, ignore this email.",
        ],
        "Reset password",
        data,
      );
    case "magic-link":
      return linkEmail(
        subject ?? "Your sign-in link",
        ["Use this link to sign in. It is valid for 15 minutes and works once."],
        "Sign in",
        data,
      );
    case "sync-complete": {
      const title = subject ?? "Panel sync finished";
      const lines = [
        `Status: ${s(data.status)}`,
        `Items synced: ${s(data.itemsSynced)}`,
        `Duration: ${s(data.durationSeconds)} s`,
      ];
      return { subject: title, html: layout(title, lines), text: lines.join("\n") };
    }
    default: {
      const title = subject ?? s(data.subject) ?? "NodeByte";
      const message = s(data.message);
      return { subject: title || "NodeByte", html: layout(title || "NodeByte", [message]), text: message };
    }
  }
}
