// Demo panel: the Client API routes a customer's server control uses (panel 1.11 + Wings):
// resources, websocket tokens (wings.ts serves the socket), power, console command (502 when offline), backups (2 per 600 s throttle as 429,
// backup_limit as 400), files (list, contents, write) and startup variables (user_viewable /
// user_editable, the egg's rules). 409 ServerStateConflictException for suspended, installing,
// restoring servers and nodes in maintenance, as AuthenticateServerAccess answers it (a
// suspended server's resources are still readable).
import { createHmac, randomUUID } from "node:crypto";
import { clientServer, stateConflict } from "./client-routes.ts";
import { atom, fail, item, list, notFound, type Reply, reply } from "./fractal.ts";
import type { Server } from "./model.ts";
import { type Route, type RouteContext, route } from "./route.ts";
import type { RuntimeBackup } from "./server-runtime.ts";
import { check, laravelClean } from "./startup.ts";

/** config/backups.php throttles: 2 backups per 600 s. */
export const BACKUP_THROTTLE = { limit: 2, periodSeconds: 600 };
const S = "/api/client/servers/{server}";

const noContent = (): Reply => ({ status: 204, body: null });
const iso = (ms: number) => atom(new Date(ms).toISOString());
const validation = (field: string, detail: string): Reply => ({
  status: 422,
  body: {
    errors: [
      { code: "ValidationException", status: "422", detail, meta: { source_field: field, rule: "required" } },
    ],
  },
});

/** The server, after the state check; `allowSuspended` for the routes a suspended server still answers. */
function guarded(c: RouteContext, allowSuspended = false): Server | Reply {
  const s = clientServer(c);
  if (!s) return notFound();
  c.runtime.of(s); // due steps first: a restore that has finished no longer conflicts
  const conflict = stateConflict(c.data, s);
  const suspendedOnly = s.status === "suspended" || conflict?.includes("maintenance");
  if (conflict && !(allowSuspended && suspendedOnly))
    return fail(409, "ServerStateConflictException", conflict);
  return s;
}
const isReply = (v: Server | Reply): v is Reply => "status" in v && "body" in v && !("uuid" in v);

const body = (c: RouteContext) => (c.body ?? {}) as Record<string, unknown>;

function backupAttributes(b: RuntimeBackup) {
  return {
    uuid: b.uuid,
    is_successful: b.isSuccessful,
    is_locked: b.isLocked,
    name: b.name,
    ignored_files: b.ignoredFiles,
    checksum: b.checksum,
    bytes: b.bytes,
    created_at: iso(b.createdAt),
    completed_at: b.completedAt === null ? null : iso(b.completedAt),
  };
}

function findBackup(c: RouteContext, s: Server): RuntimeBackup | undefined {
  return c.runtime.of(s).backups.find((b) => b.uuid === c.params[1]);
}

/** Wings resolves every path inside the server's root; the demo normalises the same way. */
function wingsPath(raw: string | null): string {
  const parts: string[] = [];
  for (const p of (raw ?? "/").split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return `/${parts.join("/")}`;
}

/** NodeJWTService: an HS256 token for Wings, valid 15 minutes, in a URL on the server's node. */
function signedUrl(c: RouteContext, s: Server, path: string, claims: Record<string, unknown>): Reply {
  const node = c.data.tables.nodes.get(s.nodeId);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ ...claims, server_uuid: s.uuid, unique_id: randomUUID(), iat: now, exp: now + 900 })}`;
  const sig = createHmac("sha256", node?.uuid ?? "node")
    .update(body)
    .digest("base64url");
  // Departure: the fake Wings serves the links on the demo panel itself (wings-transfers.ts), as
  // it does the websocket; a real panel points at `scheme://fqdn:daemonListen` of the node.
  const base = c.url.origin;
  return reply({ object: "signed_url", attributes: { url: `${base}${path}?token=${body}.${sig}` } });
}

const withServer =
  (handle: (c: RouteContext, s: Server) => Reply, allowSuspended = false) =>
  (c: RouteContext): Reply => {
    const s = guarded(c, allowSuspended);
    return isReply(s) ? s : handle(c, s);
  };

export const CLIENT_CONTROL_ROUTES: readonly Route[] = [
  route(
    "GET",
    `${S}/resources`,
    withServer((c, s) => {
      const rt = c.runtime.of(s);
      const running = rt.state === "running";
      const disk = [...rt.files.values()].reduce((n, f) => n + Buffer.byteLength(f), 0);
      return reply({
        object: "stats",
        attributes: {
          current_state: rt.state,
          is_suspended: s.status === "suspended",
          resources: {
            memory_bytes: running ? s.memory * 1024 * 512 : 0,
            cpu_absolute: running ? 12.5 : 0,
            disk_bytes: disk,
            network_rx_bytes: running ? 2048 : 0,
            network_tx_bytes: running ? 1024 : 0,
            uptime: c.runtime.uptime(s),
          },
        },
      });
    }, true),
  ),
  // WebsocketController: a 10-minute token for Wings (websocket.connect) and the socket's URL.
  route(
    "GET",
    `${S}/websocket`,
    withServer((c, s) => {
      if (!c.wings.permissionsFor(s).some((p) => p === "*" || p === "websocket.connect")) {
        return fail(
          403,
          "HttpException",
          "You do not have permission to connect to this server's websocket.",
        );
      }
      return reply({ data: c.wings.mint(s, c.url.origin) });
    }),
  ),
  route(
    "POST",
    `${S}/power`,
    withServer((c, s) => {
      const signal = body(c).signal;
      if (typeof signal !== "string" || !["start", "stop", "restart", "kill"].includes(signal)) {
        return validation("signal", "The selected signal is invalid.");
      }
      c.runtime.power(s, signal);
      return noContent();
    }),
  ),
  route(
    "POST",
    `${S}/command`,
    withServer((c, s) => {
      const command = body(c).command;
      if (typeof command !== "string" || command.trim() === "") {
        return validation("command", "The command field is required.");
      }
      if (!c.runtime.command(s, command)) {
        return fail(502, "HttpException", "Server must be online in order to send commands.");
      }
      return noContent();
    }),
  ),
  route(
    "GET",
    `${S}/backups`,
    withServer((c, s) => {
      const backups = c.runtime.of(s).backups;
      return reply({
        ...list("backup", backups.map(backupAttributes)),
        meta: { backup_count: backups.length },
      });
    }),
  ),
  route(
    "POST",
    `${S}/backups`,
    withServer((c, s) => {
      const input = laravelClean(body(c)) as Record<string, unknown>;
      const recent = c.runtime.recentCreations(s, BACKUP_THROTTLE.periodSeconds * 1000);
      if (recent.length >= BACKUP_THROTTLE.limit) {
        const newest = recent[recent.length - 1] ?? Date.now();
        const retryAfter = Math.max(
          1,
          Math.ceil((newest + BACKUP_THROTTLE.periodSeconds * 1000 - Date.now()) / 1000),
        );
        return {
          ...fail(
            429,
            "TooManyRequestsHttpException",
            `Only ${BACKUP_THROTTLE.limit} backups may be generated within a ${BACKUP_THROTTLE.periodSeconds} second span of time.`,
          ),
          headers: { "retry-after": String(retryAfter) },
        };
      }
      const limit = s.backupLimit ?? 0;
      if (!limit || c.runtime.of(s).backups.length >= limit) {
        return fail(
          400,
          "TooManyBackupsException",
          `Cannot create a new backup, this server has reached its limit of ${limit} backups.`,
        );
      }
      const ignored =
        typeof input.ignored === "string" ? input.ignored.split("\n").filter((l) => l.trim()) : [];
      const name = typeof input.name === "string" ? input.name : null;
      const backup = c.runtime.createBackup(s, name, ignored, input.is_locked === true);
      return reply(item("backup", backupAttributes(backup)));
    }),
  ),
  route(
    "GET",
    `${S}/backups/{backup}`,
    withServer((c, s) => {
      const b = findBackup(c, s);
      return b ? reply(item("backup", backupAttributes(b))) : notFound();
    }),
  ),
  route(
    "DELETE",
    `${S}/backups/{backup}`,
    withServer((c, s) => {
      const b = findBackup(c, s);
      if (!b) return notFound();
      if (b.isLocked && b.isSuccessful) {
        return fail(400, "BackupLockedException", "Cannot delete a backup that is marked as locked.");
      }
      c.runtime.deleteBackup(s, b.uuid);
      return noContent();
    }),
  ),
  route(
    "POST",
    `${S}/backups/{backup}/restore`,
    withServer((c, s) => {
      const b = findBackup(c, s);
      if (!b) return notFound();
      if (!b.isSuccessful) {
        return fail(
          400,
          "BadRequestHttpException",
          "This backup cannot be restored at this time: not completed or failed.",
        );
      }
      c.runtime.restore(s, b);
      return noContent();
    }),
  ),
  route(
    "GET",
    `${S}/backups/{backup}/download`,
    withServer((c, s) => {
      const b = findBackup(c, s);
      return b ? signedUrl(c, s, "/download/backup", { backup_uuid: b.uuid }) : notFound();
    }),
  ),
  route(
    "GET",
    `${S}/files/download`,
    withServer((c, s) => {
      const file = c.url.searchParams.get("file");
      if (!file) return validation("file", "The file field is required.");
      if (!c.runtime.of(s).files.has(wingsPath(file))) {
        return fail(
          404,
          "DaemonConnectionException",
          "The requested resource does not exist on this instance.",
        );
      }
      return signedUrl(c, s, "/download/file", { file_path: wingsPath(file) });
    }),
  ),
  route(
    "GET",
    `${S}/files/upload`,
    withServer((c, s) => signedUrl(c, s, "/upload/file", {})),
  ),
  route(
    "GET",
    `${S}/files/list`,
    withServer((c, s) => {
      const entries = c.runtime.list(s, wingsPath(c.url.searchParams.get("directory")));
      if (!entries)
        return fail(
          404,
          "DaemonConnectionException",
          "The requested resource does not exist on this instance.",
        );
      return reply(
        list(
          "file_object",
          entries.map((e) => ({
            name: e.name,
            mode: e.isFile ? "-rw-r--r--" : "drwxr-xr-x",
            mode_bits: e.isFile ? "644" : "755",
            size: e.size,
            is_file: e.isFile,
            is_symlink: false,
            mimetype: e.isFile ? "text/plain; charset=utf-8" : "inode/directory",
            created_at: iso(e.modifiedAt),
            modified_at: iso(e.modifiedAt),
          })),
        ),
      );
    }),
  ),
  route(
    "GET",
    `${S}/files/contents`,
    withServer((c, s) => {
      const file = c.url.searchParams.get("file");
      if (!file) return validation("file", "The file field is required.");
      const content = c.runtime.of(s).files.get(wingsPath(file));
      if (content === undefined) {
        return fail(
          404,
          "DaemonConnectionException",
          "The requested resource does not exist on this instance.",
        );
      }
      return { status: 200, body: null, raw: content };
    }),
  ),
  route(
    "POST",
    `${S}/files/write`,
    withServer((c, s) => {
      const file = c.url.searchParams.get("file");
      if (!file) return validation("file", "The file field is required.");
      c.runtime.write(s, wingsPath(file), c.rawBody);
      return noContent();
    }),
  ),
  route(
    "GET",
    `${S}/startup`,
    withServer((c, s) => {
      const vars = (c.data.indexes.variablesByEgg.get(s.eggId) ?? []).filter((v) => v.userViewable);
      return reply({
        ...list(
          "egg_variable",
          vars.map((v) => render(s, v)),
        ),
        meta: {
          startup_command: s.startup,
          docker_images: c.data.tables.eggs.get(s.eggId)?.dockerImages ?? {},
          raw_startup_command: s.startup,
        },
      });
    }),
  ),
  route(
    "PUT",
    `${S}/startup/variable`,
    withServer((c, s) => {
      const input = laravelClean(body(c)) as Record<string, unknown>;
      const v = (c.data.indexes.variablesByEgg.get(s.eggId) ?? []).find((x) => x.envVariable === input.key);
      if (!v?.userViewable) {
        return fail(
          400,
          "BadRequestHttpException",
          "The environment variable you are trying to edit does not exist.",
        );
      }
      if (!v.userEditable) {
        return fail(
          400,
          "BadRequestHttpException",
          "The environment variable you are trying to edit is read-only.",
        );
      }
      const problems = check(input.value, "value" in input, v.rules, "value");
      if (problems[0]) {
        const [rule, detail] = problems[0];
        return {
          status: 422,
          body: {
            errors: [
              { code: "ValidationException", status: "422", detail, meta: { source_field: "value", rule } },
            ],
          },
        };
      }
      s.variables.set(v.id, input.value === null || input.value === undefined ? "" : String(input.value));
      return reply({
        ...item("egg_variable", render(s, v)),
        meta: { startup_command: s.startup, raw_startup_command: s.startup },
      });
    }),
  ),
];

function render(
  s: Server,
  v: {
    id: number;
    name: string;
    description: string;
    envVariable: string;
    defaultValue: string;
    userEditable: boolean;
    rules: string;
  },
) {
  return {
    name: v.name,
    description: v.description,
    env_variable: v.envVariable,
    default_value: v.defaultValue,
    server_value: s.variables.get(v.id) ?? null,
    is_editable: v.userEditable,
    rules: v.rules,
  };
}
