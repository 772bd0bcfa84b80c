// Test helpers for the game-session suites: the sessions fake's controls, the Hytale demo panel
// (global-setup's third panel) with its token variables made hidden, seeded servers on both sides,
// a linked account with a selected profile, and requests through the app against that panel.
import { sql } from "drizzle-orm";
import { inject } from "vitest";
import { createApp } from "../src/app.ts";
import { servers } from "../src/platform/db/schema/index.ts";
import { createDeps, type Deps } from "../src/platform/deps.ts";
import { type Bindings, getConfig } from "../src/platform/env.ts";
import type { JobDeps } from "../src/platform/jobs.types.ts";
import { jobMessage, testDb, testEnv, uid } from "./helpers.ts";
import { freshIp, seedMirroredGrant } from "./hytale.ts";
import type { TestUser } from "./users.ts";

export const SESSION_VAR = "HYTALE_SERVER_SESSION_TOKEN";
export const IDENTITY_VAR = "HYTALE_SERVER_IDENTITY_TOKEN";

const sessionsUrl = () => inject("hytaleSessionsUrl");
const panelUrl = () => inject("hytalePanelUrl");

export async function sessionsFake<T = Record<string, unknown>>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sessionsUrl()}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as T;
}

let env: Bindings | undefined;
/** The Worker's bindings with the Hytale demo panel as the configured panel. */
export function hytaleEnv(): Bindings {
  env ??= {
    ...testEnv,
    PTERODACTYL_URL: inject("hytalePanelUrl"),
    PTERODACTYL_API_KEY: inject("hytalePanelApplicationKey"),
    PTERODACTYL_CLIENT_API_KEY: inject("hytalePanelClientKey"),
  } as Bindings;
  return env;
}

/** A queue job's seam on those bindings (to call a job handler directly). */
export function hytaleJobDeps(type: string, init: Partial<Deps> = {}): JobDeps {
  const deps = createDeps(getConfig(hytaleEnv()), { log: () => {}, ...init });
  return { ...deps, message: jobMessage(type) };
}

const app = createApp();

export async function api<T = Record<string, unknown>>(
  path: string,
  init: { method?: string; token?: string; apiKey?: string; body?: unknown } = {},
): Promise<{ res: Response; body: T; text: string }> {
  const headers: Record<string, string> = {
    "cf-connecting-ip": freshIp(),
    "user-agent": "sessions-test/1.0",
  };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.apiKey) headers["x-api-key"] = init.apiKey;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await app.request(
    path,
    {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    },
    hytaleEnv(),
  );
  const text = await res.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = undefined as T;
  }
  return { res, body, text };
}

async function panel<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${panelUrl()}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${inject("hytalePanelApplicationKey")}`,
      accept: "application/json",
      "content-type": "application/json",
      "user-agent": "sessions-test/1.0",
      ...(init.headers as Record<string, string>),
    },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`hytale panel ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export const mutatePanel = <T = unknown>(op: string, ...args: unknown[]) =>
  panel<{ result: T }>("/__mutate", { method: "POST", body: JSON.stringify({ op, args }) }).then(
    (r) => r.result,
  );

/** The server's container environment on the panel (application API). */
export async function panelEnvironment(panelId: number): Promise<Record<string, unknown>> {
  const r = await panel<{ attributes: { container: { environment: Record<string, unknown> } } }>(
    `/api/application/servers/${panelId}`,
  );
  return r.attributes.container.environment;
}

interface EggVar {
  id: number;
  env_variable: string;
}

export interface HytaleEggs {
  /** Its two token variables hidden from the customer. */
  hidden: number;
  /** The same variables, customer-visible. */
  visible: number;
  /** An egg with no token variables at all. */
  other: number;
}

let eggs: Promise<HytaleEggs> | undefined;
/** Finds the panel's Hytale eggs and names their token variables (hidden in one, visible in another). */
export function hytaleEggs(): Promise<HytaleEggs> {
  eggs ??= (async () => {
    const nests = await panel<{ data: { attributes: { id: number; name: string } }[] }>(
      "/api/application/nests",
    );
    const nest = nests.data.find((n) => n.attributes.name === "Hytale");
    if (!nest) throw new Error("the demo panel has no Hytale nest");
    const list = await panel<{
      data: {
        attributes: { id: number; relationships: { variables: { data: { attributes: EggVar }[] } } };
      }[];
    }>(`/api/application/nests/${nest.attributes.id}/eggs?include=variables`);
    const [hidden, visible] = list.data.map((e) => e.attributes);
    if (!hidden || !visible) throw new Error("the Hytale nest needs two eggs");
    for (const [egg, shown] of [
      [hidden, false],
      [visible, true],
    ] as const) {
      const vars = egg.relationships.variables.data.map((d) => d.attributes);
      const session = vars.find((v) => v.env_variable.includes("SESSION"));
      const identity = vars.find((v) => v.env_variable.includes("IDENTITY"));
      if (!session || !identity) throw new Error(`egg ${egg.id} lacks token variables`);
      for (const [v, name] of [
        [session, SESSION_VAR],
        [identity, IDENTITY_VAR],
      ] as const) {
        await mutatePanel("setFields", "eggVariables", v.id, {
          envVariable: name,
          userViewable: shown,
          userEditable: shown,
        });
      }
    }
    const others = await panel<{ data: { attributes: { id: number } }[] }>(
      `/api/application/nests/${nest.attributes.id === 1 ? 2 : 1}/eggs`,
    );
    return { hidden: hidden.id, visible: visible.id, other: others.data[0]?.attributes.id ?? 1 };
  })();
  return eggs;
}

export interface SeededServer {
  id: string;
  uuid: string;
  panelId: number;
}

/** A server on the Hytale panel and its mirror row owned by `owner` (no panel id: found by uuid). */
export async function seedHytaleServer(owner: TestUser, eggId: number): Promise<SeededServer> {
  const s = await mutatePanel<{ id: number; uuid: string; identifier: string }>("addServer", {
    ownerId: 1,
    eggId,
  });
  const id = uid("srv");
  await testDb()
    .insert(servers)
    .values({
      id,
      uuid: s.uuid,
      uuidShort: s.identifier,
      name: `Hytale ${id.slice(-6)}`,
      status: "offline",
      ownerId: owner.user.id,
    });
  return { id, uuid: s.uuid, panelId: s.id };
}

/** Links `owner`'s account (grant seeded at the OAuth fake and in the mirror) and selects a profile. */
export async function linkedAccount(owner: TestUser): Promise<{ sub: string; profile: string }> {
  const sub = uid("sub");
  await seedMirroredGrant(owner.user.id, { sub });
  const profiles = await api<{ profiles: { uuid: string }[] }>("/api/v1/hytale/oauth/profiles", {
    token: owner.token,
    body: {},
  });
  const profile = profiles.body.profiles?.[0]?.uuid;
  if (!profile) throw new Error(`profiles: ${profiles.text}`);
  await testDb().execute(
    sql`update hytale_oauth_tokens set profile_uuid = ${profile} where account_id = ${owner.user.id}`,
  );
  return { sub, profile };
}

/** The claims of a JWT (no verification: the test reads what the peer signed). */
export function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1] ?? "";
  return JSON.parse(atob(part.replaceAll("-", "+").replaceAll("_", "/"))) as Record<string, unknown>;
}
