// GET /__dev/outbox (development and tests only; 404 in production, and absent from
// /openapi.json): what this backend has sent, in one place — the e-mails the local mail catcher
// received, the embeds the local Discord fake received, and the latest signed event deliveries.
// Only local fakes are read (a loopback RESEND_URL / DISCORD_API_URL); real services are not.
import { desc, eq } from "drizzle-orm";
import { eventDeliveries, eventEndpoints } from "../../platform/db/schema/index.ts";
import { AppError } from "../../platform/errors.ts";
import { createRouter } from "../../platform/router.ts";

const loopback = (url: string | undefined) => {
  if (!url) return false;
  const host = new URL(url).hostname;
  return host === "127.0.0.1" || host === "localhost";
};

async function readFake(fetcher: typeof fetch, url: string): Promise<unknown[] | { error: string }> {
  try {
    const res = await fetcher(url, { signal: AbortSignal.timeout(3000) });
    return res.ok ? ((await res.json()) as unknown[]) : { error: `answered ${res.status}` };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export const devOutboxRoutes = createRouter().get("/__dev/outbox", async (c) => {
  const { config } = c.var;
  if (config.environment === "production") throw new AppError("NOT_FOUND", "Not found");
  const limit = Math.min(Math.max(Number(c.req.query("limit")) || 20, 1), 200);
  const { resendUrl } = config.email;
  const [emails, discord, events] = await Promise.all([
    loopback(resendUrl) ? readFake(c.var.deps.fetch, `${resendUrl.replace(/\/+$/, "")}/__emails`) : null,
    loopback(config.discordApiUrl) ? readFake(c.var.deps.fetch, `${config.discordApiUrl}/__messages`) : null,
    c.var.db
      .select({
        id: eventDeliveries.id,
        eventType: eventDeliveries.eventType,
        status: eventDeliveries.status,
        attempts: eventDeliveries.attempt,
        lastStatus: eventDeliveries.lastStatus,
        endpoint: eventEndpoints.url,
        createdAt: eventDeliveries.createdAt,
      })
      .from(eventDeliveries)
      .innerJoin(eventEndpoints, eq(eventEndpoints.id, eventDeliveries.endpointId))
      .orderBy(desc(eventDeliveries.createdAt))
      .limit(limit),
  ]);
  const latest = (v: unknown[] | { error: string } | null) =>
    v === null
      ? { note: "not a local fake: nothing to show" }
      : Array.isArray(v)
        ? v.slice(-limit).reverse()
        : v;
  return c.json({ emails: latest(emails), discord: latest(discord), events }, 200);
});
