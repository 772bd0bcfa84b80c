// The server-control suites' own demo panel (global-setup's second panel): an env pointing the
// Worker at it, servers seeded on both sides (panel + our mirror), and what reached the panel.
import { sql } from "drizzle-orm";
import { inject } from "vitest";
import { createApp } from "../src/app.ts";
import { serverSubusers, servers } from "../src/platform/db/schema/index.ts";
import type { Bindings } from "../src/platform/env.ts";
import { testDb, testEnv, uid } from "./helpers.ts";
import type { TestUser } from "./users.ts";

const base = () => inject("controlPanelUrl");

/**
 * The control panel allows far more than a real panel's 720 client requests a minute, and the
 * server suites run in parallel on one client key: tell the interactive budget so (a setting, as an
 * operator of such a panel would). The budget test uses a connection of its own with 720.
 */
export async function allowManyClientRequests(): Promise<void> {
  await testDb().execute(sql`insert into config (key, value) values ('panel_client_requests_per_minute', '100000')
    on conflict (key) do update set value = excluded.value`);
}

/** The Worker's bindings with the control panel as the configured panel (one object: config is cached per env). */
let env: Bindings | undefined;
export function controlEnv(): Bindings {
  env ??= {
    ...testEnv,
    PTERODACTYL_URL: inject("controlPanelUrl"),
    PTERODACTYL_API_KEY: inject("controlPanelApplicationKey"),
    PTERODACTYL_CLIENT_API_KEY: inject("controlPanelClientKey"),
  } as Bindings;
  return env;
}

const app = createApp();

/** A request through the whole app against the control panel; JSON parsed when it is JSON. */
export async function api<T = Record<string, unknown>>(
  path: string,
  init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
  bindings: Bindings = controlEnv(),
): Promise<{ res: Response; body: T; text: string }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await app.request(
    path,
    {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    },
    bindings,
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

async function control<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${base()}${path}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`control panel ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function mutateControlPanel<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
  const r = await control<{ result: T }>("/__mutate", { method: "POST", body: JSON.stringify({ op, args }) });
  return r.result;
}

export async function controlFault(rule: Record<string, unknown>): Promise<void> {
  await control("/__faults", { method: "POST", body: JSON.stringify(rule) });
}

/** Requests the control panel received whose path or query mentions `needle` (a server's uuid). */
export async function panelRequestsFor(
  needle: string,
): Promise<{ method: string; path: string; query: string }[]> {
  const all = await control<{ method: string; path: string; query: string }[]>("/__requests");
  return all.filter((r) => r.path.includes(needle) || r.query.includes(needle));
}

export async function consoleOf(panelId: number): Promise<string[]> {
  return control<string[]>("/__console", { method: "POST", body: JSON.stringify({ id: panelId }) });
}

/** A Client API call straight to the control panel with its client key. */
export async function panelClient(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base()}/api/client${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${inject("controlPanelClientKey")}`,
      accept: "application/json",
      ...(init.headers as Record<string, string>),
    },
  });
}

export interface SeededServer {
  /** Our id. */
  id: string;
  uuid: string;
  identifier: string;
  panelId: number;
  eggId: number;
}

/**
 * A new server on the control panel and its mirror row owned by `owner`, with `subusers`
 * (user → permission strings). `panel` sets panel fields (backupLimit, eggId, status…).
 */
export async function seedServer(
  owner: TestUser,
  subusers: [TestUser, string[]][] = [],
  panel: Record<string, unknown> = {},
): Promise<SeededServer> {
  const s = await mutateControlPanel<{ id: number; uuid: string; identifier: string; eggId: number }>(
    "addServer",
    {
      ownerId: 1,
      backupLimit: 5,
      ...panel,
    },
  );
  const id = uid("srv");
  const db = testDb();
  await db.insert(servers).values({
    id,
    uuid: s.uuid,
    uuidShort: s.identifier,
    name: `Control ${id.slice(-6)}`,
    status: "offline",
    ownerId: owner.user.id,
  });
  if (subusers.length) {
    await db
      .insert(serverSubusers)
      .values(
        subusers.map(([u, permissions]) => ({ id: uid("su"), serverId: id, userId: u.user.id, permissions })),
      );
  }
  return { id, uuid: s.uuid, identifier: s.identifier, panelId: s.id, eggId: s.eggId };
}
