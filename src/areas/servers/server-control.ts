// The door of every /api/v1/servers/{server} route: who is asking (owner, subuser with the
// panel's permission strings, admin; anyone else is told the server does not exist, before any
// panel call), the panel call in the interactive budget, the mapping of the panel's refusals to
// our errors, and the audit row naming the real customer (the panel itself logs our admin key).
import type { Alongside } from "../../access/authenticate.ts";
import { access } from "../../access/route-access.ts";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { isAdminUser, type Principal } from "../../platform/principal.ts";
import { audit } from "../../services/audit/audit.ts";
import {
  type ClientAnswer,
  type ClientCall,
  panelClientCall,
  panelErrorDetail,
} from "../../services/panel/client-api.ts";
import { type PanelDeps, panelDeps } from "../../services/panel/panel-client.ts";
import type { LimitName } from "../../services/rate-limit/limits.ts";
import { doorPrefetch, may, type ServerAccess, serverDoor } from "../../services/servers/servers.ts";

export type ControlDeps = Pick<
  Deps,
  "db" | "config" | "fetch" | "stubs" | "actor" | "now" | "log" | "waitUntil"
>;

export interface ServerControl {
  access: ServerAccess;
  /** The panel's uuid: what the Client API's `{server}` binding takes. */
  uuid: string;
  deps: ControlDeps;
  panel: PanelDeps;
}

/** The door's reads travel with the user row: one database round trip before the panel call. */
const withDoor: Alongside = {
  queries: (c, userId) => doorPrefetch.queries(c.var.deps, userId, c.req.param("server")),
  accept: (c, user, results) =>
    doorPrefetch.accept(
      c.var.deps,
      { kind: "user", user, isAdmin: isAdminUser(user) },
      c.req.param("server"),
      results,
    ),
};

/** The access declaration of every `/api/v1/servers/{server}` route: a member, door prefetched. */
export const serverMember = (limits: LimitName[] = []) => access.member(limits, { alongside: withDoor });

/** A permission, or a rule over the access (e.g. a file write accepts file.create or file.update). */
export type Requirement = string | { anyOf: string[] };

const notFound = () => new AppError("NOT_FOUND", "Server not found");

/**
 * The caller's access to `server` with `requirement` checked. No relation → 404 (no existence
 * oracle); a subuser lacking the permission → 403 naming it. Reads the database only.
 */
export async function openServer(
  deps: ControlDeps,
  principal: Principal,
  server: string,
  requirement?: Requirement,
  opts: { fresh?: boolean } = {},
): Promise<ServerControl> {
  if (server.length > 64) throw notFound();
  // The access and the connection in one round trip, reused for a few seconds by this isolate.
  const { access, conn } = await serverDoor(deps, principal, server, opts);
  if (!access) throw notFound();
  if (requirement) {
    const needed = typeof requirement === "string" ? [requirement] : requirement.anyOf;
    if (!needed.some((p) => may(access, p))) {
      throw new AppError("FORBIDDEN", `Missing server permission: ${needed.join(" or ")}`, {
        details: needed.map((p) => ({ path: "permission", message: p })),
      });
    }
  }
  if (!access.uuid) throw new AppError("CONFLICT", "This server is not on the panel");
  if (!conn) throw new AppError("UNAVAILABLE", "The panel is not configured");
  return { access, uuid: access.uuid, deps, panel: panelDeps(deps, conn) };
}

/** Why the panel refused with 409 (ServerStateConflictException / ConflictHttpException). */
export function conflictReason(detail: string | undefined): string {
  const d = (detail ?? "").toLowerCase();
  if (d.includes("suspended")) return "suspended";
  if (d.includes("installation") || d.includes("installing")) return "installing";
  if (d.includes("restoring")) return "restoring";
  if (d.includes("transfer")) return "transferring";
  if (d.includes("maintenance")) return "maintenance";
  return "conflict";
}

const REASON_TEXT: Record<string, string> = {
  suspended: "The server is suspended",
  installing: "The server is still installing",
  restoring: "The server is restoring a backup",
  transferring: "The server is being transferred to another node",
  maintenance: "The server's node is under maintenance",
  conflict: "The server cannot do that in its current state",
};

export interface MapOptions {
  /** What a 404 from the panel means here (a backup, a file, the server). */
  notFound?: string;
  /** A 502 from the panel means the server is offline (console commands). */
  offlineOn502?: boolean;
}

/** Our error for a panel refusal (any status ≥ 400). */
export function panelRefusal(answer: ClientAnswer, opts: MapOptions = {}): AppError {
  const detail = panelErrorDetail(answer);
  const status = answer.status;
  if (status === 409) {
    const reason = conflictReason(detail);
    return new AppError("CONFLICT", REASON_TEXT[reason] ?? "Conflict", {
      details: [{ path: "reason", message: reason }],
    });
  }
  if (status === 502 && opts.offlineOn502) return new AppError("UNAVAILABLE", "The server is offline");
  if (status === 404) return new AppError("NOT_FOUND", opts.notFound ?? "Not found on the panel");
  if (
    status === 400 &&
    detail &&
    /limit of \d+ backups|backup limit|backups cannot be created/i.test(detail)
  ) {
    return new AppError("CONFLICT", detail, { details: [{ path: "reason", message: "backup_limit" }] });
  }
  if (status === 400 || status === 422)
    return new AppError("INVALID_REQUEST", detail ?? "The panel refused the request");
  if (status === 413) return new AppError("PAYLOAD_TOO_LARGE", detail ?? "Too large for the panel");
  if (status === 401 || status === 403) {
    return new AppError("UNAVAILABLE", "The panel refused the backend's client key", { context: { status } });
  }
  return new AppError("UPSTREAM_ERROR", `The panel answered ${status}`, { context: { status } });
}

/** A Client API call for this server (`/servers/{uuid}` + sub); a refusal is thrown mapped. */
export async function callPanel(
  ctl: ServerControl,
  sub: string,
  call: ClientCall = {},
  opts: MapOptions = {},
): Promise<ClientAnswer> {
  const answer = await panelClientCall(ctl.panel, `/servers/${encodeURIComponent(ctl.uuid)}${sub}`, call);
  if (answer.status >= 400) throw panelRefusal(answer, opts);
  return answer;
}

/**
 * An action on the server, audited with the real customer as actor whether the panel accepted it
 * or not (`details.outcome`: "ok" or our error code). Nothing is audited when the panel was never
 * reached (the budget refused first). `afterAnswer`: the row is written after the answer
 * (waitUntil) — only for an answer that does not promise it is readable yet (power's 202).
 */
export async function auditedAction<T>(
  ctl: ServerControl,
  action: string,
  details: Record<string, unknown>,
  run: () => Promise<T>,
  opts: { afterAnswer?: boolean } = {},
): Promise<T> {
  const write = (outcome: string) =>
    audit(ctl.deps.db, {
      action,
      actor: ctl.deps.actor,
      targetType: "server",
      targetId: ctl.access.serverId,
      details: { ...details, role: ctl.access.role, outcome },
    });
  const record = async (outcome: string) => {
    if (!opts.afterAnswer) return write(outcome);
    ctl.deps.waitUntil(
      write(outcome).catch((err: unknown) => {
        ctl.deps.log("error", "server audit row not written", {
          action,
          serverId: ctl.access.serverId,
          error: err,
        });
      }),
    );
  };
  try {
    const result = await run();
    await record("ok");
    return result;
  } catch (err) {
    const code = err instanceof AppError ? err.code : "INTERNAL";
    if (!(err instanceof AppError && err.context.source === "budget")) await record(code);
    throw err;
  }
}

/** The Fractal item's attributes (`{object, attributes}`), or UPSTREAM_ERROR for anything else. */
export function attributesOf<T>(answer: ClientAnswer): T {
  const attributes = (answer.json as { attributes?: unknown } | undefined)?.attributes;
  if (!attributes || typeof attributes !== "object") {
    throw new AppError("UPSTREAM_ERROR", "The panel answered an unexpected shape");
  }
  return attributes as T;
}

/** The attributes of each item of a Fractal list, and its meta. */
export function listOf<T>(answer: ClientAnswer): { items: T[]; meta: Record<string, unknown> } {
  const body = answer.json as { data?: { attributes?: T }[]; meta?: Record<string, unknown> } | undefined;
  if (!body || !Array.isArray(body.data))
    throw new AppError("UPSTREAM_ERROR", "The panel answered an unexpected listing");
  return { items: body.data.map((d) => d.attributes as T), meta: body.meta ?? {} };
}
