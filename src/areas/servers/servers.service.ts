// What a customer can do on a server, each operation one or two Client API calls: details with
// live state, resources (cached 20 s per server, as the panel caches them), power, console
// commands, backups, files and startup variables. Access is checked before (server-control.ts).
import { AppError } from "../../platform/errors.ts";
import { publishServerEvent } from "../../services/realtime/publish.ts";
import {
  forgetResources,
  liveResources,
  type PanelStats,
  type ResourcesView,
  resourcesView,
} from "../../services/servers/live-state.ts";
import { attributesOf, auditedAction, callPanel, listOf, type ServerControl } from "./server-control.ts";
import {
  backupView,
  fileView,
  type PanelBackup,
  type PanelClientServer,
  type PanelFile,
  type PanelStartupVariable,
  serverDetailsView,
  variableView,
} from "./server-views.ts";

/** Files read or written through the backend; bigger ones go through a download link. */
export const MAX_FILE_BYTES = 512 * 1024;

export const POWER_SIGNALS = ["start", "stop", "restart", "kill"] as const;
export type PowerSignal = (typeof POWER_SIGNALS)[number];
/** The panel's permission for each signal (SendPowerRequest): kill needs control.stop. */
export const POWER_PERMISSION: Record<PowerSignal, string> = {
  start: "control.start",
  stop: "control.stop",
  restart: "control.restart",
  kill: "control.stop",
};

/**
 * Startup variables a customer never sees or edits through us, whatever the egg says: the Hytale
 * server's session and identity tokens (the backend writes them, SPEC §Hytale).
 */
export function isProtectedVariable(envVariable: string): boolean {
  return /^HYTALE_.*TOKEN$/i.test(envVariable);
}

// --- resources -------------------------------------------------------------------------------

/** Live state and usage, from the shared 20 s cache (services/servers/live-state.ts) or the panel. */
export async function serverResources(
  ctl: ServerControl,
): Promise<ResourcesView & { fetchedAt: string; cached: boolean }> {
  const entry = await liveResources(ctl.access.serverId, ctl.deps.now().getTime(), async () =>
    resourcesView(attributesOf<PanelStats>(await callPanel(ctl, "/resources"))),
  );
  return { ...entry.view, fetchedAt: new Date(entry.fetchedAt).toISOString(), cached: entry.cached };
}

export async function serverDetails(ctl: ServerControl) {
  const details = serverDetailsView(attributesOf<PanelClientServer>(await callPanel(ctl, "")));
  const live = await serverResources(ctl).catch((err: unknown) => {
    // The details stand without live state (e.g. a suspended server answers 409 to /resources).
    if (err instanceof AppError && err.status < 500 && err.code !== "RATE_LIMITED") return null;
    throw err;
  });
  return {
    id: ctl.access.serverId,
    ...details,
    role: ctl.access.role,
    permissions: [...ctl.access.permissions],
    state: live?.state ?? "unknown",
    resources: live,
  };
}

// --- power and console ------------------------------------------------------------------------

/**
 * The cached live state is dropped while the panel call runs (not after it: the customer's wait),
 * and once more after the answer, for a read that re-cached the old state in between.
 */
async function changingState<T>(ctl: ServerControl, action: () => Promise<T>): Promise<T> {
  // A failed invalidation costs staleness (≤ 20 s), never the answer to an action already sent.
  const forget = () =>
    forgetResources(ctl.access.serverId).catch((err: unknown) => {
      ctl.deps.log("warn", "cached server state not dropped", { serverId: ctl.access.serverId, error: err });
    });
  const [result] = await Promise.all([action(), forget()]);
  ctl.deps.waitUntil(forget());
  return result;
}

export async function sendPower(ctl: ServerControl, signal: PowerSignal) {
  // The 202 says the signal was sent, not that its audit row is readable: written after the answer.
  await changingState(ctl, () =>
    auditedAction(
      ctl,
      "server.power",
      { signal },
      () => callPanel(ctl, "/power", { method: "POST", json: { signal } }),
      { afterAnswer: true },
    ),
  );
  // Live viewers learn of it after the answer: two hub calls are not the customer's wait.
  ctl.deps.waitUntil(
    publishServerEvent(ctl.deps, ctl.uuid, "server.power", { signal, by: ctl.deps.actor.id }),
  );
}

export async function sendCommand(ctl: ServerControl, command: string) {
  await auditedAction(ctl, "server.command", { command }, () =>
    callPanel(ctl, "/command", { method: "POST", json: { command } }, { offlineOn502: true }),
  );
}

// --- backups ------------------------------------------------------------------------------------

const backupPath = (backup: string) => `/backups/${encodeURIComponent(backup)}`;
const BACKUP_NOT_FOUND = { notFound: "Backup not found" };

export async function listBackups(ctl: ServerControl) {
  const { items, meta } = listOf<PanelBackup>(await callPanel(ctl, "/backups"));
  return {
    backups: items.map(backupView),
    backupCount: typeof meta.backup_count === "number" ? meta.backup_count : items.length,
  };
}

export async function createBackup(
  ctl: ServerControl,
  input: { name?: string; ignored?: string; isLocked?: boolean },
) {
  const json: Record<string, unknown> = {};
  if (input.name !== undefined) json.name = input.name;
  if (input.ignored !== undefined) json.ignored = input.ignored;
  if (input.isLocked !== undefined) json.is_locked = input.isLocked;
  return auditedAction(ctl, "server.backup.create", { name: input.name ?? null }, async () =>
    backupView(attributesOf<PanelBackup>(await callPanel(ctl, "/backups", { method: "POST", json }))),
  );
}

export async function getBackup(ctl: ServerControl, backup: string) {
  return backupView(
    attributesOf<PanelBackup>(await callPanel(ctl, backupPath(backup), {}, BACKUP_NOT_FOUND)),
  );
}

export async function deleteBackup(ctl: ServerControl, backup: string) {
  await auditedAction(ctl, "server.backup.delete", { backup }, () =>
    callPanel(ctl, backupPath(backup), { method: "DELETE" }, BACKUP_NOT_FOUND),
  );
}

export async function restoreBackup(ctl: ServerControl, backup: string, truncate: boolean) {
  await changingState(ctl, () =>
    auditedAction(ctl, "server.backup.restore", { backup, truncate }, () =>
      callPanel(
        ctl,
        `${backupPath(backup)}/restore`,
        { method: "POST", json: { truncate } },
        BACKUP_NOT_FOUND,
      ),
    ),
  );
}

// --- files ---------------------------------------------------------------------------------------

export async function listFiles(ctl: ServerControl, directory: string) {
  const { items } = listOf<PanelFile>(
    await callPanel(ctl, "/files/list", { query: { directory } }, { notFound: "Directory not found" }),
  );
  return { directory, files: items.map(fileView) };
}

export async function readFile(ctl: ServerControl, file: string) {
  const answer = await callPanel(ctl, "/files/contents", { query: { file } }, { notFound: "File not found" });
  const bytes = new TextEncoder().encode(answer.text).byteLength;
  if (bytes > MAX_FILE_BYTES) {
    throw new AppError(
      "PAYLOAD_TOO_LARGE",
      `The file is larger than ${MAX_FILE_BYTES} bytes; download it instead`,
    );
  }
  return { file, content: answer.text, bytes };
}

export async function writeFile(ctl: ServerControl, file: string, content: string) {
  const bytes = new TextEncoder().encode(content).byteLength;
  if (bytes > MAX_FILE_BYTES)
    throw new AppError("PAYLOAD_TOO_LARGE", `Files are written up to ${MAX_FILE_BYTES} bytes`);
  // The file's name and size are audited, never its contents.
  await auditedAction(ctl, "server.file.write", { file, bytes }, () =>
    callPanel(
      ctl,
      "/files/write",
      { method: "POST", query: { file }, text: content },
      { notFound: "Directory not found" },
    ),
  );
  return { file, bytes };
}

// --- signed links ---------------------------------------------------------------------------------

/** A signed Wings URL (valid 15 minutes, the panel's choice) from a `signed_url` object. */
function signedUrl(answer: { json: unknown }): { url: string } {
  const url = (answer.json as { attributes?: { url?: unknown } } | undefined)?.attributes?.url;
  if (typeof url !== "string" || !/^https?:\/\//.test(url)) {
    throw new AppError("UPSTREAM_ERROR", "The panel answered an unexpected signed link");
  }
  return { url };
}

export async function backupDownload(ctl: ServerControl, backup: string) {
  return auditedAction(ctl, "server.backup.download", { backup }, async () =>
    signedUrl(await callPanel(ctl, `${backupPath(backup)}/download`, {}, BACKUP_NOT_FOUND)),
  );
}

export async function fileDownload(ctl: ServerControl, file: string) {
  return auditedAction(ctl, "server.file.download", { file }, async () =>
    signedUrl(await callPanel(ctl, "/files/download", { query: { file } }, { notFound: "File not found" })),
  );
}

export async function fileUpload(ctl: ServerControl) {
  return auditedAction(ctl, "server.file.upload", {}, async () =>
    signedUrl(await callPanel(ctl, "/files/upload")),
  );
}

// --- startup ------------------------------------------------------------------------------------

export async function getStartup(ctl: ServerControl) {
  const { items, meta } = listOf<PanelStartupVariable>(await callPanel(ctl, "/startup"));
  return {
    startupCommand: typeof meta.startup_command === "string" ? meta.startup_command : "",
    variables: items.map(variableView).filter((v) => !isProtectedVariable(v.envVariable)),
  };
}

/**
 * Sets one variable the customer may edit: it must be viewable (listed by the panel) and
 * editable, and not a protected one; checked here against the panel's own listing first.
 */
export async function updateStartupVariable(ctl: ServerControl, key: string, value: string) {
  if (isProtectedVariable(key)) throw new AppError("FORBIDDEN", "This variable is managed by NodeByte");
  const { variables } = await getStartup(ctl);
  const variable = variables.find((v) => v.envVariable === key);
  if (!variable) throw new AppError("NOT_FOUND", "No such startup variable");
  if (!variable.isEditable) throw new AppError("FORBIDDEN", "This startup variable is read-only");
  // The value is not audited: startup variables often hold passwords or licence keys.
  return auditedAction(ctl, "server.startup.update", { variable: key }, async () =>
    variableView(
      attributesOf<PanelStartupVariable>(
        await callPanel(ctl, "/startup/variable", { method: "PUT", json: { key, value } }),
      ),
    ),
  );
}
