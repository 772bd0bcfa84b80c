// The configured limits (SPEC §7), each overridable at run time from the `config` table under
// `rate_limit.<name>` = {"capacity": n, "periodSeconds": s, "enabled": bool}.
import * as z from "zod";
import type { Deps } from "../../platform/deps.ts";
import { RATE_LIMIT_PREFIX } from "../settings/keys.ts";
import { readSettings } from "../settings/settings.ts";
import type { BucketLimit } from "./bucket.ts";

/**
 * What the bucket is keyed by: the client network (CF-Connecting-IP; IPv6 by /64), the e-mail in
 * the body together with the client network, the caller, the Hytale account.
 */
export type LimitKey = "ip" | "email" | "user" | "account";

export interface LimitDefinition {
  /** Per key; for "email" limits: per (e-mail, client network). */
  capacity: number;
  periodSeconds: number;
  key: LimitKey;
  description: string;
  /** Several routes may share one bucket (e.g. the Hytale session routes). */
  bucket?: string;
  /**
   * "email" limits: what the e-mail may take across all networks per period. Once spent, every
   * network gets UNDER_ATTACK_CAPACITY per period instead of `capacity` — strangers can slow
   * themselves down, never lock the owner out (a fresh network always has its one attempt).
   */
  accountCapacity?: number;
  /** A successful answer (< 400) gives the tokens back: only failures count (logins). */
  refundOnSuccess?: boolean;
  /** When the limiter cannot be reached the request is refused (503), not let through. */
  failClosed?: boolean;
}

/** Attempts per (e-mail, network) and period while the e-mail's own allowance is spent. */
export const UNDER_ATTACK_CAPACITY = 1;

const MIN = 60;
const HOUR = 3600;

export const LIMITS = {
  "auth.login.ip": {
    capacity: 20,
    periodSeconds: 15 * MIN,
    key: "ip",
    description: "login attempts per client network",
    failClosed: true,
  },
  "auth.login.email": {
    capacity: 10,
    periodSeconds: 15 * MIN,
    key: "email",
    description: "failed logins per e-mail and client network (30 per e-mail, then 1 per network)",
    accountCapacity: 30,
    refundOnSuccess: true,
    failClosed: true,
  },
  "auth.register.ip": {
    capacity: 5,
    periodSeconds: HOUR,
    key: "ip",
    description: "registrations per client network",
    failClosed: true,
  },
  "auth.forgot.ip": {
    capacity: 10,
    periodSeconds: 15 * MIN,
    key: "ip",
    description: "reset e-mails per client network",
    failClosed: true,
  },
  "auth.forgot.email": {
    capacity: 3,
    periodSeconds: HOUR,
    key: "email",
    description: "reset e-mails per address and client network (10 per address, then 1 per network)",
    accountCapacity: 10,
    failClosed: true,
  },
  "auth.magic.ip": {
    capacity: 10,
    periodSeconds: 15 * MIN,
    key: "ip",
    description: "magic links per client network",
    failClosed: true,
  },
  "auth.magic.email": {
    capacity: 3,
    periodSeconds: HOUR,
    key: "email",
    description: "magic links per address and client network (10 per address, then 1 per network)",
    accountCapacity: 10,
    failClosed: true,
  },
  "auth.check-email": {
    capacity: 60,
    periodSeconds: MIN,
    key: "user",
    description: "e-mail existence checks per caller",
  },
  "account.password.user": {
    capacity: 5,
    periodSeconds: 15 * MIN,
    key: "user",
    description: "password change attempts per user",
  },
  "account.email.user": {
    capacity: 5,
    periodSeconds: HOUR,
    key: "user",
    description: "e-mail change requests per user",
  },
  "public.stats": { capacity: 120, periodSeconds: MIN, key: "ip", description: "public stats per client IP" },
  "hytale.device-code": {
    capacity: 5,
    periodSeconds: 15 * MIN,
    key: "ip",
    description: "device codes per client IP",
  },
  "hytale.refresh": {
    capacity: 6,
    periodSeconds: HOUR,
    key: "account",
    description: "token refreshes per account",
  },
  "hytale.session": {
    capacity: 20,
    periodSeconds: HOUR,
    key: "account",
    description: "profiles, profile selection and game-session calls per account (shared)",
  },
  "servers.power": {
    capacity: 20,
    periodSeconds: MIN,
    key: "user",
    description: "power actions per user (all servers)",
  },
  "servers.command": {
    capacity: 60,
    periodSeconds: MIN,
    key: "user",
    description: "console commands per user (all servers)",
  },
  "servers.files.write": {
    capacity: 30,
    periodSeconds: MIN,
    key: "user",
    description: "file writes per user (all servers)",
  },
} as const satisfies Record<string, LimitDefinition>;

export type LimitName = keyof typeof LIMITS;

const Override = z.object({
  capacity: z.number().int().min(1).max(1_000_000_000).optional(),
  periodSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * HOUR)
    .optional(),
  enabled: z.boolean().optional(),
});
export type LimitOverride = z.infer<typeof Override>;

export interface EffectiveLimit extends BucketLimit {
  name: LimitName;
  key: LimitKey;
  accountCapacity?: number;
  refundOnSuccess: boolean;
  failClosed: boolean;
  enabled: boolean;
  periodSeconds: number;
  overridden: boolean;
  description: string;
}

export const overrideKey = (name: LimitName) => `${RATE_LIMIT_PREFIX}${name}` as const;

export function parseOverride(raw: string | undefined): LimitOverride | undefined {
  if (!raw) return undefined;
  try {
    const parsed = Override.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function effective(name: LimitName, override: LimitOverride | undefined): EffectiveLimit {
  const def: LimitDefinition = LIMITS[name];
  const capacity = override?.capacity ?? def.capacity;
  const periodSeconds = override?.periodSeconds ?? def.periodSeconds;
  return {
    name,
    key: def.key,
    capacity,
    periodSeconds,
    periodMs: periodSeconds * 1000,
    enabled: override?.enabled ?? true,
    overridden: override !== undefined,
    description: def.description,
    accountCapacity: def.accountCapacity,
    refundOnSuccess: def.refundOnSuccess ?? false,
    failClosed: def.failClosed ?? false,
  };
}

const CACHE_MS = 30_000;
let cache: { at: number; overrides: Map<string, string> } | undefined;

/** Overrides from the settings store, cached per isolate for 30 s (one query for all limits). */
export async function loadOverrides(deps: Pick<Deps, "db" | "config" | "now">): Promise<Map<string, string>> {
  const now = deps.now().getTime();
  if (cache && now - cache.at < CACHE_MS) return cache.overrides;
  const keys = (Object.keys(LIMITS) as LimitName[]).map(overrideKey);
  const settings = await readSettings(deps, keys);
  const overrides = new Map<string, string>();
  for (const k of keys) {
    const text = settings.text(k);
    if (text !== undefined) overrides.set(k, text);
  }
  cache = { at: now, overrides };
  return overrides;
}

export function forgetOverrides(): void {
  cache = undefined;
}

export async function effectiveLimits(deps: Pick<Deps, "db" | "config" | "now">): Promise<EffectiveLimit[]> {
  const overrides = await loadOverrides(deps);
  return (Object.keys(LIMITS) as LimitName[]).map((n) =>
    effective(n, parseOverride(overrides.get(overrideKey(n)))),
  );
}
