// Test helpers for the Hytale suites: driving the fake OAuth server, unique client IPs (the
// device-code limit is per IP), and linking an account through the real device flow.
import { eq } from "drizzle-orm";
import { inject } from "vitest";
import { type HytaleOauthToken, hytaleOauthTokens } from "../src/platform/db/schema/index.ts";
import { mirrorWrite, nextVersion, refreshTokenHash, seal } from "../src/services/hytale/grant-record.ts";
import { callJson, testDb, testDeps } from "./helpers.ts";
import { bearer } from "./users.ts";

export const oauthUrl = () => inject("hytaleOauthUrl");
export const accountDataUrl = () => inject("hytaleAccountDataUrl");

export async function fake<T = Record<string, unknown>>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${oauthUrl()}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as T;
}

let ipCounter = Math.floor(Math.random() * 200);
/** A fresh client address (the device-code limit is 5 per 15 min per IP). */
export function freshIp(): string {
  ipCounter++;
  return `198.51.${Math.floor(Math.random() * 250)}.${ipCounter % 250}`;
}

export function post(path: string, token: string, body: unknown, ip = freshIp()) {
  return callJson(path, {
    method: "POST",
    headers: {
      ...bearer(token),
      "content-type": "application/json",
      "cf-connecting-ip": ip,
      "user-agent": "hytale-test/1.0",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export function get(path: string, token: string) {
  return callJson(path, { headers: { ...bearer(token), "cf-connecting-ip": freshIp() } });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Links `token`'s own account through the device flow, approving as Hytale user `sub`. */
export async function linkThroughDeviceFlow(token: string, sub: string) {
  const start = await post("/api/v1/hytale/oauth/device-code", token, undefined);
  if (start.res.status !== 200) throw new Error(`device-code: ${start.text}`);
  const code = start.body as { device_code: string; user_code: string; interval: number };
  await fake("/__approve", { user_code: code.user_code, sub });
  for (let i = 0; i < 20; i++) {
    const poll = await post("/api/v1/hytale/oauth/token", token, { device_code: code.device_code });
    if (poll.res.status === 200)
      return { code, tokens: poll.body as { access_token: string; expires_in: number } };
    if (poll.res.status !== 202) throw new Error(`token: ${poll.text}`);
    await sleep(code.interval * 1000);
  }
  throw new Error("device flow did not complete");
}

/** A grant that exists at the fake and in our mirror only (its object never held it). */
export async function seedMirroredGrant(
  accountId: string,
  opts: { expiresInMs?: number; sub?: string } = {},
): Promise<{ sub: string; refreshToken: string }> {
  const seeded = await fake<{ sub: string; refresh_token: string }>("/__seed-grant", {
    sub: opts.sub ?? `sub-${accountId}`,
  });
  const deps = testDeps();
  const now = Date.now();
  const sealed = await seal(deps.config, accountId, {
    access: "expired-access",
    refresh: seeded.refresh_token,
  });
  await mirrorWrite(
    testDb(),
    {
      accountId,
      version: nextVersion(0, now),
      ...sealed,
      refreshTokenHash: await refreshTokenHash(seeded.refresh_token),
      accessTokenExpiresAt: now + (opts.expiresInMs ?? 60_000),
      tokenType: "bearer",
      scope: "openid offline auth:server",
      grantCreatedAt: now,
      lastRefreshedAt: now,
      needsRelink: false,
      relinkReason: null,
      mirrored: true,
    },
    new Date(now),
    true,
  );
  return { sub: seeded.sub, refreshToken: seeded.refresh_token };
}

export async function tokenRow(accountId: string): Promise<HytaleOauthToken | undefined> {
  const [row] = await testDb()
    .select()
    .from(hytaleOauthTokens)
    .where(eq(hytaleOauthTokens.accountId, accountId));
  return row;
}
