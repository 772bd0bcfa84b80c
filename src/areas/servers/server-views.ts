// What the Client API answers (panel 1.11 client transformers) and the camelCase views we answer
// with. Untrusted input: every field is coerced, so odd panel data never becomes a 500.

export interface PanelClientServer {
  identifier?: string;
  uuid?: string;
  name?: string;
  description?: string | null;
  node?: string;
  is_node_under_maintenance?: boolean;
  limits?: { memory?: number; disk?: number; cpu?: number; swap?: number };
  feature_limits?: { databases?: number; allocations?: number; backups?: number };
  status?: string | null;
  is_suspended?: boolean;
  is_installing?: boolean;
  is_transferring?: boolean;
  docker_image?: string;
}

export interface PanelBackup {
  uuid?: string;
  is_successful?: boolean;
  is_locked?: boolean;
  name?: string;
  ignored_files?: string[];
  checksum?: string | null;
  bytes?: number;
  created_at?: string;
  completed_at?: string | null;
}

export interface PanelFile {
  name?: string;
  mode?: string;
  size?: number;
  is_file?: boolean;
  is_symlink?: boolean;
  mimetype?: string;
  created_at?: string;
  modified_at?: string;
}

export interface PanelStartupVariable {
  name?: string;
  description?: string;
  env_variable?: string;
  default_value?: string | null;
  server_value?: string | null;
  is_editable?: boolean;
  rules?: string;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const str = (v: unknown) => (typeof v === "string" ? v : "");
const strOrNull = (v: unknown) => (typeof v === "string" ? v : null);

export function serverDetailsView(s: PanelClientServer) {
  return {
    uuid: str(s.uuid),
    identifier: str(s.identifier),
    name: str(s.name),
    description: strOrNull(s.description),
    node: str(s.node),
    nodeUnderMaintenance: Boolean(s.is_node_under_maintenance),
    /** The panel's install/restore status: null when ready, else installing, install_failed, restoring_backup, suspended. */
    panelStatus: strOrNull(s.status),
    isSuspended: Boolean(s.is_suspended),
    isInstalling: Boolean(s.is_installing),
    isTransferring: Boolean(s.is_transferring),
    limits: { memory: num(s.limits?.memory), disk: num(s.limits?.disk), cpu: num(s.limits?.cpu) },
    featureLimits: {
      databases: num(s.feature_limits?.databases),
      allocations: num(s.feature_limits?.allocations),
      backups: num(s.feature_limits?.backups),
    },
  };
}

export function backupView(b: PanelBackup) {
  return {
    uuid: str(b.uuid),
    name: str(b.name),
    isSuccessful: Boolean(b.is_successful),
    isLocked: Boolean(b.is_locked),
    ignoredFiles: Array.isArray(b.ignored_files) ? b.ignored_files.filter((f) => typeof f === "string") : [],
    checksum: strOrNull(b.checksum),
    bytes: num(b.bytes),
    createdAt: strOrNull(b.created_at),
    completedAt: strOrNull(b.completed_at),
  };
}

export function fileView(f: PanelFile) {
  return {
    name: str(f.name),
    mode: str(f.mode),
    size: num(f.size),
    isFile: Boolean(f.is_file),
    isSymlink: Boolean(f.is_symlink),
    mimetype: str(f.mimetype),
    createdAt: strOrNull(f.created_at),
    modifiedAt: strOrNull(f.modified_at),
  };
}

export function variableView(v: PanelStartupVariable) {
  return {
    name: str(v.name),
    description: str(v.description),
    envVariable: str(v.env_variable),
    defaultValue: strOrNull(v.default_value),
    serverValue: strOrNull(v.server_value),
    isEditable: Boolean(v.is_editable),
    rules: str(v.rules),
  };
}
