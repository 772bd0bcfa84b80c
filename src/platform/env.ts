// Configuration: every var and binding parsed once (per env object) with zod. A bad config is an
// AppError BAD_ENVIRONMENT that names the key, never its value.
import * as z from "zod";
import { AppError } from "./errors.ts";

/** Secrets and dev-only vars that wrangler.toml does not declare (set with `wrangler secret put`). */
export interface SecretBindings {
  DATABASE_URL?: string;
  JWT_SECRET?: string;
  NEXTAUTH_SECRET?: string;
  ENCRYPTION_KEY?: string;
  ENCRYPTION_KEYS?: string;
  BACKEND_API_KEY?: string;
  PTERODACTYL_URL?: string;
  PTERODACTYL_API_KEY?: string;
  PTERODACTYL_CLIENT_API_KEY?: string;
  CF_ACCESS_CLIENT_ID?: string;
  CF_ACCESS_CLIENT_SECRET?: string;
  HYTALE_USE_STAGING?: string;
  HYTALE_OAUTH_URL?: string;
  HYTALE_ACCOUNT_DATA_URL?: string;
  HYTALE_SESSIONS_URL?: string;
  RESEND_API_KEY?: string;
  RESEND_URL?: string;
  SITE_URL?: string;
  SENTRY_DSN?: string;
  SENTRY_TRACES_SAMPLE_RATE?: string;
  NEON_FETCH_ENDPOINT?: string;
  DISCORD_API_URL?: string;
  LEGACY_TOKENS_UNTIL?: string;
}

export type Bindings = Env & SecretBindings;

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));
const optionalUrl = optionalString.pipe(z.url().optional());
const flag = optionalString.transform((v) => v === "true" || v === "1" || v === "yes");
const base64Key32 = z.string().refine((v) => {
  try {
    return atob(v).length === 32;
  } catch {
    return false;
  }
}, "must be base64 of 32 bytes");
/** `id:base64,id:base64`: ids of letters, digits, `_` or `-`, unique, each key base64 of 32 bytes. */
const keyList = z.string().superRefine((v, ctx) => {
  const seen = new Set<string>();
  for (const part of v.split(",").map((p) => p.trim())) {
    const i = part.indexOf(":");
    const id = i > 0 ? part.slice(0, i) : "";
    const key = i > 0 ? part.slice(i + 1) : "";
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id) || !base64Key32.safeParse(key).success) {
      ctx.addIssue({ code: "custom", message: "must be id:base64-of-32-bytes entries separated by commas" });
      return;
    }
    if (seen.has(id)) {
      ctx.addIssue({ code: "custom", message: "key ids must be unique" });
      return;
    }
    seen.add(id);
  }
});
const queueBinding = z.custom<Queue>(
  (v) => typeof v === "object" && v !== null && typeof (v as Queue).send === "function",
  "queue binding missing",
);
const rateLimiterBinding = z.custom<Env["RATE_LIMITER"]>(
  (v) =>
    typeof v === "object" && v !== null && typeof (v as DurableObjectNamespace).idFromName === "function",
  "durable object binding missing",
);
const hytaleGrantBinding = z.custom<Env["HYTALE_GRANT"]>(
  (v) =>
    typeof v === "object" && v !== null && typeof (v as DurableObjectNamespace).idFromName === "function",
  "durable object binding missing",
);

const realtimeHubBinding = z.custom<Env["REALTIME_HUB"]>(
  (v) =>
    typeof v === "object" && v !== null && typeof (v as DurableObjectNamespace).idFromName === "function",
  "durable object binding missing",
);

const consoleRelayBinding = z.custom<Env["CONSOLE_RELAY"]>(
  (v) =>
    typeof v === "object" && v !== null && typeof (v as DurableObjectNamespace).idFromName === "function",
  "durable object binding missing",
);

const configSchema = z
  .object({
    ENVIRONMENT: z.enum(["production", "development", "test"]).default("production"),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/[^/]+@[^/]+\/[^?]+/, "must be a postgres:// URL"),
    JWT_SECRET: optionalString,
    NEXTAUTH_SECRET: optionalString,
    ENCRYPTION_KEY: optionalString.pipe(base64Key32.optional()),
    ENCRYPTION_KEYS: optionalString.pipe(keyList.optional()),
    BACKEND_API_KEY: optionalString,
    CORS_ORIGINS: optionalString,
    PTERODACTYL_URL: optionalUrl,
    PTERODACTYL_API_KEY: optionalString,
    PTERODACTYL_CLIENT_API_KEY: optionalString,
    CF_ACCESS_CLIENT_ID: optionalString,
    CF_ACCESS_CLIENT_SECRET: optionalString,
    HYTALE_USE_STAGING: flag,
    HYTALE_OAUTH_URL: optionalUrl,
    HYTALE_ACCOUNT_DATA_URL: optionalUrl,
    HYTALE_SESSIONS_URL: optionalUrl,
    RESEND_API_KEY: optionalString,
    EMAIL_FROM: optionalString,
    RESEND_URL: optionalUrl,
    SITE_URL: optionalUrl,
    SENTRY_DSN: optionalUrl,
    SENTRY_TRACES_SAMPLE_RATE: optionalString.pipe(
      z
        .string()
        .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, "a number from 0 to 1")
        .transform(Number)
        .optional(),
    ),
    NEON_FETCH_ENDPOINT: optionalUrl,
    DISCORD_API_URL: optionalUrl,
    LEGACY_TOKENS_UNTIL: optionalString.pipe(
      z
        .string()
        .refine((v) => !Number.isNaN(Date.parse(v)), "must be an ISO date-time, e.g. 2026-01-31T00:00:00Z")
        .transform((v) => new Date(v))
        .optional(),
    ),
    JOBS_CRITICAL: queueBinding,
    JOBS_DEFAULT: queueBinding,
    JOBS_LOW: queueBinding,
    RATE_LIMITER: rateLimiterBinding,
    REALTIME_HUB: realtimeHubBinding,
    HYTALE_GRANT: hytaleGrantBinding,
    CONSOLE_RELAY: consoleRelayBinding,
  })
  .superRefine((c, ctx) => {
    if (!c.JWT_SECRET && !c.NEXTAUTH_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SECRET"],
        message: "JWT_SECRET or NEXTAUTH_SECRET is required",
      });
    }
    if (c.ENVIRONMENT === "production" && !c.ENCRYPTION_KEY && !c.ENCRYPTION_KEYS) {
      ctx.addIssue({ code: "custom", path: ["ENCRYPTION_KEY"], message: "required in production" });
    }
    if (c.ENVIRONMENT === "production" && c.NEON_FETCH_ENDPOINT) {
      ctx.addIssue({ code: "custom", path: ["NEON_FETCH_ENDPOINT"], message: "not allowed in production" });
    }
    // Hytale tokens travel to these hosts: in production never over plain http to a real host
    // (loopback peers, unreachable from a deployed Worker, stay allowed for local runs).
    for (const key of ["HYTALE_OAUTH_URL", "HYTALE_ACCOUNT_DATA_URL", "HYTALE_SESSIONS_URL"] as const) {
      const url = c[key];
      if (
        c.ENVIRONMENT === "production" &&
        url &&
        !url.startsWith("https://") &&
        !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$)/.test(url)
      ) {
        ctx.addIssue({ code: "custom", path: [key], message: "must be https:// in production" });
      }
    }
    if (c.ENVIRONMENT === "production" && c.DISCORD_API_URL) {
      ctx.addIssue({ code: "custom", path: ["DISCORD_API_URL"], message: "not allowed in production" });
    }
  });

type ParsedConfig = z.infer<typeof configSchema>;

export interface Config {
  environment: ParsedConfig["ENVIRONMENT"];
  databaseUrl: string;
  neonFetchEndpoint?: string;
  jwtSecret: string;
  encryptionKey?: string;
  encryptionKeys?: string;
  backendApiKey?: string;
  corsOrigins: string[];
  panel: {
    url?: string;
    apiKey?: string;
    clientApiKey?: string;
    cfAccessClientId?: string;
    cfAccessClientSecret?: string;
  };
  hytale: { oauthUrl: string; accountDataUrl: string; sessionsUrl: string; jwksUrl: string };
  email: { resendApiKey?: string; from: string; resendUrl: string };
  siteUrl?: string;
  sentryDsn?: string;
  /** Share of requests and jobs traced (SENTRY_TRACES_SAMPLE_RATE, 0..1). */
  sentryTracesSampleRate: number;
  /** Dev/test only (refused in production): where posts to Discord's webhook addresses go. */
  discordApiUrl?: string;
  /** Until when access tokens the Go backend issued (no iss/aud) are accepted; unset = refused. */
  legacyTokensUntil?: Date;
  queues: { critical: Queue; default: Queue; low: Queue };
  /** Typed by `wrangler types` from the exported class: stubs have take()/clamp()/peek(). */
  rateLimiter: Env["RATE_LIMITER"];
  /** One RealtimeHub object per topic (src/areas/realtime/hub.do.ts). */
  realtimeHub: Env["REALTIME_HUB"];
  /** One HytaleGrant object per linked Hytale account (the single writer of its tokens). */
  hytaleGrant: Env["HYTALE_GRANT"];
  /** One ConsoleRelay object per server (src/areas/servers/console-relay.do.ts). */
  consoleRelay: Env["CONSOLE_RELAY"];
}

export const DEFAULT_CORS_ORIGINS = ["http://localhost:3000", "https://nodebyte.host"];

export function parseOrigins(value: string | undefined): string[] {
  const list = (value ?? "")
    .split(",")
    .map((o) => o.trim().replace(/\/$/, ""))
    .filter(Boolean);
  return list.length > 0 ? list : DEFAULT_CORS_ORIGINS;
}

function hytaleHosts(staging: boolean) {
  const domain = staging ? "arcanitegames.ca" : "hytale.com";
  return {
    oauth: `https://oauth.accounts.${domain}`,
    accountData: `https://account-data.${domain}`,
    sessions: `https://sessions.${domain}`,
  };
}

function toConfig(p: ParsedConfig): Config {
  const hosts = hytaleHosts(p.HYTALE_USE_STAGING);
  return {
    environment: p.ENVIRONMENT,
    databaseUrl: p.DATABASE_URL,
    neonFetchEndpoint: p.NEON_FETCH_ENDPOINT,
    jwtSecret: p.JWT_SECRET ?? p.NEXTAUTH_SECRET ?? "",
    encryptionKey: p.ENCRYPTION_KEY,
    encryptionKeys: p.ENCRYPTION_KEYS,
    backendApiKey: p.BACKEND_API_KEY,
    corsOrigins: parseOrigins(p.CORS_ORIGINS),
    panel: {
      url: p.PTERODACTYL_URL?.replace(/\/+$/, ""),
      apiKey: p.PTERODACTYL_API_KEY,
      clientApiKey: p.PTERODACTYL_CLIENT_API_KEY,
      cfAccessClientId: p.CF_ACCESS_CLIENT_ID,
      cfAccessClientSecret: p.CF_ACCESS_CLIENT_SECRET,
    },
    hytale: {
      oauthUrl: (p.HYTALE_OAUTH_URL ?? hosts.oauth).replace(/\/+$/, ""),
      accountDataUrl: (p.HYTALE_ACCOUNT_DATA_URL ?? hosts.accountData).replace(/\/+$/, ""),
      sessionsUrl: (p.HYTALE_SESSIONS_URL ?? hosts.sessions).replace(/\/+$/, ""),
      // Hytale's signing keys are published by the sessions host (upstream §4.1).
      jwksUrl: `${(p.HYTALE_SESSIONS_URL ?? hosts.sessions).replace(/\/+$/, "")}/.well-known/jwks.json`,
    },
    email: {
      resendApiKey: p.RESEND_API_KEY,
      from: p.EMAIL_FROM ?? "NodeByte <noreply@nodebyte.host>",
      resendUrl: p.RESEND_URL ?? "https://api.resend.com",
    },
    siteUrl: p.SITE_URL,
    sentryDsn: p.SENTRY_DSN,
    sentryTracesSampleRate: p.SENTRY_TRACES_SAMPLE_RATE ?? 0.1,
    discordApiUrl: p.DISCORD_API_URL?.replace(/\/+$/, ""),
    legacyTokensUntil: p.LEGACY_TOKENS_UNTIL,
    queues: { critical: p.JOBS_CRITICAL, default: p.JOBS_DEFAULT, low: p.JOBS_LOW },
    rateLimiter: p.RATE_LIMITER,
    realtimeHub: p.REALTIME_HUB,
    hytaleGrant: p.HYTALE_GRANT,
    consoleRelay: p.CONSOLE_RELAY,
  };
}

const cache = new WeakMap<object, Config>();

/**
 * Parses the Worker's env once per env object. Throws AppError BAD_ENVIRONMENT naming the bad
 * keys (values are never included, as they may be secrets).
 */
export function getConfig(env: Bindings): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const keys = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? "env")))];
    throw new AppError("BAD_ENVIRONMENT", `Invalid configuration: ${keys.join(", ")}`, {
      context: {
        keys,
        problems: parsed.error.issues.map((i) => `${String(i.path[0] ?? "env")}: ${i.message}`),
      },
    });
  }
  const config = toConfig(parsed.data);
  cache.set(env, config);
  return config;
}
