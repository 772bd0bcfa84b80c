// Discord webhooks: the one accepted URL shape (no SSRF: discord.com / discordapp.com, the
// execute path, nothing else), the token part encrypted at rest and masked in every answer, and
// the one function that posts, reading Discord's answers as Discord means them: 204 sent; 429 wait
// `retry_after` (seconds, fractional); 10015 unknown webhook / 50027 invalid token → the webhook
// is dead and gets disabled (Cloudflare bans IPs that keep posting to dead webhooks); 5xx retry.
import { eq } from "drizzle-orm";
import { discordWebhooks } from "../../platform/db/schema/index.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { decryptSecret, encryptSecret, keyRing } from "../../platform/secrets.ts";
import { SECRET_MASK } from "../settings/keys.ts";

const URL_SHAPE =
  /^https:\/\/(?:(?:ptb|canary)\.)?(discord\.com|discordapp\.com)\/api(?:\/v\d{1,2})?\/webhooks\/(\d{5,25})\/([\w-]{20,200})$/;

export interface WebhookAddress {
  id: string;
  token: string;
}

/** The webhook id and token of an acceptable URL, or undefined. */
export function parseWebhookUrl(url: string): WebhookAddress | undefined {
  const m = URL_SHAPE.exec(url.trim());
  return m ? { id: m[2] as string, token: m[3] as string } : undefined;
}

const BASE = "https://discord.com/api/webhooks/";
const boundTo = (rowId: string) => `discord_webhooks.webhookUrl:${rowId}`;

/** What the column holds: the public part in clear, the token encrypted and bound to the row. */
export async function storedWebhookUrl(deps: Pick<Deps, "config">, rowId: string, a: WebhookAddress) {
  return `${BASE}${a.id}/${await encryptSecret(await keyRing(deps.config), a.token, boundTo(rowId))}`;
}

/** The address of a stored webhook (ours encrypted, upstream's in clear), or undefined if unreadable. */
export async function webhookAddress(
  deps: Pick<Deps, "config">,
  row: { id: string; webhookUrl: string },
): Promise<WebhookAddress | undefined> {
  const m = /\/webhooks\/(\d+)\/(.+)$/.exec(row.webhookUrl);
  if (!m) return undefined;
  const [, id, rest] = m as unknown as [string, string, string];
  if (!rest.startsWith("enc:")) return parseWebhookUrl(row.webhookUrl);
  try {
    return { id, token: await decryptSecret(await keyRing(deps.config), rest, boundTo(row.id)) };
  } catch {
    return undefined;
  }
}

/** A stored webhook URL as answers show it: the token part masked. */
export function maskedWebhookUrl(url: string): string {
  return url.replace(/(\/api(?:\/v\d+)?\/webhooks\/[^/]+\/).+$/, `$1${SECRET_MASK}`);
}

export const DISCORD_USER_AGENT = "DiscordBot (https://nodebyte.host, 1.0) NodeByte-Edge-API";

export interface Embed {
  title: string;
  description?: string;
  color: number;
  fields?: { name: string; value: string; inline?: boolean }[];
  footer?: { text: string };
  timestamp?: string;
}

/** Discord's limits: 256-char titles, 4,096 descriptions, 25 fields of 256/1,024, 6,000 in all. */
export function fitEmbed(e: Embed): Embed {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const fitted: Embed = {
    ...e,
    title: cut(e.title, 256),
    ...(e.description === undefined ? {} : { description: cut(e.description, 4096) }),
    fields: (e.fields ?? [])
      .slice(0, 25)
      .map((f) => ({ ...f, name: cut(f.name, 256), value: cut(f.value || "-", 1024) })),
  };
  while (JSON.stringify(fitted).length > 5800 && fitted.fields && fitted.fields.length > 0)
    fitted.fields.pop();
  return fitted;
}

/** The characters Discord counts toward a message's 6,000: titles, descriptions, fields, footers. */
export function embedChars(e: Embed): number {
  return (
    e.title.length +
    (e.description?.length ?? 0) +
    (e.footer?.text.length ?? 0) +
    (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0)
  );
}

export const MAX_EMBEDS_PER_MESSAGE = 10;
export const MAX_MESSAGE_CHARS = 6000;

/** Fits each embed, then packs them in order into messages Discord accepts (≤ 10 embeds, ≤ 6,000 characters). */
export function packEmbeds(embeds: readonly Embed[]): Embed[][] {
  const messages: Embed[][] = [];
  let current: Embed[] = [];
  let chars = 0;
  for (const e of embeds.map(fitEmbed)) {
    const n = embedChars(e);
    if (current.length === MAX_EMBEDS_PER_MESSAGE || (current.length > 0 && chars + n > MAX_MESSAGE_CHARS)) {
      messages.push(current);
      current = [];
      chars = 0;
    }
    current.push(e);
    chars += n;
  }
  if (current.length) messages.push(current);
  return messages;
}

export type PostOutcome = { ok: true } | { ok: false; status: number; error: string; dead: boolean };

/**
 * Posts one message. Returns the outcome for callers that report (the test button); throws a
 * retryable AppError (with Retry-After) on 429 and 5xx so a queue job retries; disables a dead
 * webhook in the database.
 */
export async function postToDiscord(
  deps: Pick<Deps, "db" | "config" | "fetch" | "now">,
  row: { id: string; webhookUrl: string },
  embeds: Embed[],
  opts: { throwOnRetryable?: boolean } = {},
): Promise<PostOutcome> {
  const address = await webhookAddress(deps, row);
  if (!address) return { ok: false, status: 0, error: "The stored webhook URL cannot be read", dead: false };
  const base = deps.config.discordApiUrl ?? "https://discord.com";
  let res: Response;
  try {
    res = await deps.fetch(`${base}/api/webhooks/${address.id}/${address.token}`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": DISCORD_USER_AGENT },
      // Callers pack (packEmbeds); one message never carries more than Discord accepts.
      body: JSON.stringify({
        username: "NodeByte",
        embeds: embeds.slice(0, MAX_EMBEDS_PER_MESSAGE).map(fitEmbed),
      }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    if (opts.throwOnRetryable)
      throw new AppError("UPSTREAM_ERROR", "Discord unreachable", { retryable: true });
    return { ok: false, status: 0, error: `Failed to reach Discord (${(err as Error).name})`, dead: false };
  }
  if (res.status === 204 || res.ok) {
    await res.body?.cancel();
    return { ok: true };
  }
  const body = (await res.json().catch(() => ({}))) as {
    code?: number;
    message?: string;
    retry_after?: number;
  };
  if (res.status === 429) {
    const wait = Math.max(1, Math.ceil(Number(body.retry_after ?? res.headers.get("retry-after") ?? 1)));
    if (opts.throwOnRetryable)
      throw new AppError("UPSTREAM_ERROR", "Discord rate limit", {
        retryable: true,
        headers: { "Retry-After": String(wait) },
      });
    return {
      ok: false,
      status: 429,
      error: `Discord rate limited the webhook; retry in ${wait} s`,
      dead: false,
    };
  }
  const dead = body.code === 10015 || body.code === 50027;
  if (dead) {
    await deps.db
      .update(discordWebhooks)
      .set({ enabled: false, updatedAt: deps.now() })
      .where(eq(discordWebhooks.id, row.id));
  }
  if (res.status >= 500 && opts.throwOnRetryable)
    throw new AppError("UPSTREAM_ERROR", `Discord answered ${res.status}`, { retryable: true });
  return {
    ok: false,
    status: res.status,
    error: dead
      ? `Discord says the webhook is gone (${body.code}); it has been disabled`
      : `Webhook test failed with status: ${res.status}`,
    dead,
  };
}

/** A webhook as every answer shows it (website-client §5.2): token masked, strings never null. */
export function webhookView(w: {
  id: string;
  name: string;
  webhookUrl: string | null;
  type: string;
  scope: string;
  description: string | null;
  enabled: boolean;
  testSuccessAt: Date | null;
  createdAt: Date;
}) {
  return {
    id: w.id,
    name: w.name,
    webhookUrl: maskedWebhookUrl(w.webhookUrl ?? ""),
    type: w.type,
    scope: w.scope,
    description: w.description ?? "",
    enabled: w.enabled,
    testSuccessAt: w.testSuccessAt?.toISOString() ?? null,
    createdAt: w.createdAt.toISOString(),
  };
}
