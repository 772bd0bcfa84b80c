// Demo panel: the in-memory panel model (rows shaped like Pterodactyl's tables, timestamps as ISO
// strings) and its lookup indexes; mutations live in mutations.ts.

export interface Location {
  id: number;
  short: string;
  long: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PanelNode {
  id: number;
  uuid: string;
  public: boolean;
  name: string;
  description: string | null;
  locationId: number;
  fqdn: string;
  scheme: "http" | "https";
  behindProxy: boolean;
  maintenanceMode: boolean;
  memory: number;
  memoryOverallocate: number;
  disk: number;
  diskOverallocate: number;
  uploadSize: number;
  daemonListen: number;
  daemonSftp: number;
  daemonBase: string;
  createdAt: string;
  updatedAt: string;
}

export interface Allocation {
  id: number;
  nodeId: number;
  ip: string;
  alias: string | null;
  port: number;
  notes: string | null;
  /** The server using it; `assigned` in the API is `serverId !== null`. */
  serverId: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface Nest {
  id: number;
  uuid: string;
  author: string;
  name: string;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Egg {
  id: number;
  uuid: string;
  nestId: number;
  author: string;
  name: string;
  description: string | null;
  /** Display name → image, as Pterodactyl stores `docker_images`. */
  dockerImages: Record<string, string>;
  startup: string;
  configStartupDone: string;
  configStop: string;
  scriptInstall: string;
  scriptContainer: string;
  scriptEntry: string;
  createdAt: string;
  updatedAt: string;
}

export interface EggVariable {
  id: number;
  eggId: number;
  name: string;
  description: string;
  envVariable: string;
  defaultValue: string;
  userViewable: boolean;
  userEditable: boolean;
  /** Laravel validation rules, e.g. `required|string|max:20`. */
  rules: string;
  createdAt: string;
  updatedAt: string;
}

export interface User {
  id: number;
  externalId: string | null;
  uuid: string;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  language: string;
  rootAdmin: boolean;
  useTotp: boolean;
  createdAt: string;
  updatedAt: string;
}

export type ServerStatus = null | "installing" | "install_failed" | "restoring_backup" | "suspended";

export interface Server {
  id: number;
  externalId: string | null;
  uuid: string;
  /** `uuidShort` in the panel's table: the first 8 characters of the uuid, unique. */
  identifier: string;
  name: string;
  description: string;
  status: ServerStatus;
  skipScripts: boolean;
  ownerId: number;
  nodeId: number;
  /** The default (primary) allocation. */
  allocationId: number;
  nestId: number;
  eggId: number;
  memory: number;
  swap: number;
  disk: number;
  io: number;
  cpu: number;
  threads: string | null;
  oomDisabled: boolean;
  databaseLimit: number | null;
  allocationLimit: number | null;
  backupLimit: number | null;
  startup: string;
  image: string;
  /** server_variables: egg variable id → stored value (absent means "use the default"). */
  variables: Map<number, string>;
  createdAt: string;
  updatedAt: string;
}

export interface Subuser {
  id: number;
  userId: number;
  serverId: number;
  permissions: string[];
  createdAt: string;
  updatedAt: string;
}

export interface DatabaseHost {
  id: number;
  name: string;
  host: string;
  port: number;
  username: string;
  nodeId: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface ServerDatabase {
  id: number;
  serverId: number;
  hostId: number;
  database: string;
  username: string;
  remote: string;
  maxConnections: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface PanelIndexes {
  allocationsByNode: Map<number, Allocation[]>;
  allocationsByServer: Map<number, Allocation[]>;
  serversByNode: Map<number, Server[]>;
  subusersByServer: Map<number, Subuser[]>;
  databasesByServer: Map<number, ServerDatabase[]>;
  eggsByNest: Map<number, Egg[]>;
  variablesByEgg: Map<number, EggVariable[]>;
  serverByIdentifier: Map<string, Server>;
  serverByUuid: Map<string, Server>;
}

/** Every table, keyed by id; Maps keep insertion order, and ids only grow, so values are id-sorted. */
export interface PanelTables {
  locations: Map<number, Location>;
  nodes: Map<number, PanelNode>;
  allocations: Map<number, Allocation>;
  nests: Map<number, Nest>;
  eggs: Map<number, Egg>;
  eggVariables: Map<number, EggVariable>;
  users: Map<number, User>;
  servers: Map<number, Server>;
  subusers: Map<number, Subuser>;
  databaseHosts: Map<number, DatabaseHost>;
  databases: Map<number, ServerDatabase>;
}

export function emptyTables(): PanelTables {
  return {
    locations: new Map(),
    nodes: new Map(),
    allocations: new Map(),
    nests: new Map(),
    eggs: new Map(),
    eggVariables: new Map(),
    users: new Map(),
    servers: new Map(),
    subusers: new Map(),
    databaseHosts: new Map(),
    databases: new Map(),
  };
}

function group<T>(rows: Iterable<T>, key: (row: T) => number | null): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const row of rows) {
    const k = key(row);
    if (k === null) continue;
    const list = out.get(k);
    if (list) list.push(row);
    else out.set(k, [row]);
  }
  return out;
}

export function buildIndexes(t: PanelTables): PanelIndexes {
  const serverByIdentifier = new Map<string, Server>();
  const serverByUuid = new Map<string, Server>();
  for (const s of t.servers.values()) {
    serverByIdentifier.set(s.identifier, s);
    serverByUuid.set(s.uuid, s);
  }
  return {
    allocationsByNode: group(t.allocations.values(), (a) => a.nodeId),
    allocationsByServer: group(t.allocations.values(), (a) => a.serverId),
    serversByNode: group(t.servers.values(), (s) => s.nodeId),
    subusersByServer: group(t.subusers.values(), (s) => s.serverId),
    databasesByServer: group(t.databases.values(), (d) => d.serverId),
    eggsByNest: group(t.eggs.values(), (e) => e.nestId),
    variablesByEgg: group(t.eggVariables.values(), (v) => v.eggId),
    serverByIdentifier,
    serverByUuid,
  };
}
