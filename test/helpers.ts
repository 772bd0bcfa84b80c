// Shared test helpers: calling the real Worker entry, the test database, polling for effects.
import { env, exports } from "cloudflare:workers";
import { type Database, getDb } from "../src/platform/db/client.ts";
import { createDeps, type Deps, type DepsInit } from "../src/platform/deps.ts";
import { type Bindings, getConfig } from "../src/platform/env.ts";
import type { JobDeps, JobMessage } from "../src/platform/jobs.types.ts";

export const testEnv = env as unknown as Bindings;

export function testDb(): Database {
  return getDb(getConfig(testEnv));
}

/**
 * The dependency seam as routes and jobs get it, on the test bindings; pass a part to swap it
 * (a fixed clock, a recording fetch, an actor). With `message`, the seam of a queue job.
 */
export function testDeps(init?: DepsInit): Deps;
export function testDeps(init: DepsInit & { message: JobMessage }): JobDeps;
export function testDeps(init: DepsInit & { message?: JobMessage } = {}): Deps | JobDeps {
  const { message, ...rest } = init;
  const deps = createDeps(getConfig(testEnv), { log: () => {}, ...rest });
  return message ? { ...deps, message } : deps;
}

/** A queue message of `type` (for calling a job handler directly). */
export function jobMessage(
  type: string,
  payload: unknown = {},
  id = `${type}:${crypto.randomUUID()}`,
): JobMessage {
  return { id, type, payload, priority: "default", enqueuedAt: new Date().toISOString() };
}

/** Sends a request through the Worker's real fetch handler (all middleware, real bindings). */
export async function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`http://api.test${path}`, init));
}

export async function callJson<T = Record<string, unknown>>(
  path: string,
  init: RequestInit = {},
): Promise<{ res: Response; body: T; text: string }> {
  const res = await call(path, init);
  const text = await res.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = undefined as T;
  }
  return { res, body, text };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
}

/**
 * An env whose DATABASE_URL carries a unique tag, and a function returning how many SQL HTTP
 * requests the shim has served for it: counts exactly the queries made through that env.
 */
export function countingEnv(): { env: Bindings; sqlRequests(): Promise<number> } {
  const tag = crypto.randomUUID().replaceAll("-", "");
  const url = new URL(String(testEnv.DATABASE_URL));
  url.searchParams.set("tag", tag);
  const endpoint = new URL(String(testEnv.NEON_FETCH_ENDPOINT));
  return {
    env: { ...testEnv, DATABASE_URL: url.toString() },
    async sqlRequests() {
      const res = await fetch(`${endpoint.origin}/requests?tag=${tag}`);
      return ((await res.json()) as { requests: number }).requests;
    },
  };
}

export const uid = (prefix = "t") => `${prefix}-${crypto.randomUUID()}`;

/** A small positive integer unique enough for panel ids in one run. */
export function uniqueInt(): number {
  return 100_000 + Math.floor(Math.random() * 2_000_000_000);
}

/**
 * The most requests inside any 60 s window [t, t + 60 s) of `times` (sorted): the panel counts
 * one-minute windows wherever they fall, so a per-minute budget must hold in every one of them.
 */
export function busiestMinute(times: number[]): number {
  let most = 0;
  let j = 0;
  for (let i = 0; i < times.length; i++) {
    while ((times[j] as number) <= (times[i] as number) - 60_000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}
