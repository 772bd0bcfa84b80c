// Demo panel: the server half of the generator: servers placed on nodes with free allocations
// (plus extras), owners, statuses, variables, subusers (never the owner) and databases.
import { ODD_SERVER_NAMES, PERMISSIONS, SERVER_WORDS } from "./catalog.ts";
import type { PanelTables, Server, ServerStatus } from "./model.ts";
import type { Rng } from "./prng.ts";

export interface ServerSizes {
  locations: number;
  allocations: number;
  servers: number;
  subusersPerServer: number;
  databasesPerServer: number;
}

export type Stamp = (index: number, count: number) => { createdAt: string; updatedAt: string };

function pickStatus(id: number, next: number): ServerStatus {
  if (id === 2) return "suspended";
  if (id === 3) return "install_failed";
  if (next < 0.8) return null;
  if (next < 0.87) return "suspended";
  if (next < 0.91) return "installing";
  if (next < 0.94) return "install_failed";
  if (next < 0.97) return "restoring_backup";
  return null;
}

export function generateServers(
  t: PanelTables,
  sizes: ServerSizes,
  rng: Rng,
  freeByNode: Map<number, number[]>,
  stamp: Stamp,
): void {
  let freeTotal = sizes.allocations;
  const nodesWithFree = [...freeByNode.keys()];
  const identifiers = new Set<string>();
  const eggs = [...t.eggs.values()];
  const userIds = [...t.users.keys()];
  const hostIds: number[] = [];
  for (let id = 1; id <= sizes.locations; id++) {
    const node = [...t.nodes.values()].find((n) => n.locationId === id);
    hostIds.push(id);
    t.databaseHosts.set(id, {
      id,
      name: `mysql-${id}`,
      host: `10.20.${id}.5`,
      port: 3306,
      username: "pterodactyl",
      nodeId: node?.id ?? null,
      ...stamp(id, sizes.locations),
    });
  }
  let subuserId = 0;
  let databaseId = 0;
  for (let id = 1; id <= sizes.servers; id++) {
    const index = rng.int(0, nodesWithFree.length - 1);
    const nodeId = nodesWithFree[index] ?? 1;
    const free = freeByNode.get(nodeId) ?? [];
    const take = () => {
      const a = free.pop();
      if (a === undefined) throw new Error("demo panel: allocation bookkeeping");
      freeTotal--;
      const row = t.allocations.get(a);
      if (row) row.serverId = id;
      return a;
    };
    const allocationId = take();
    const extras = rng.chance(0.15) ? rng.int(1, 2) : 0;
    for (let e = 0; e < extras && free.length > 0 && freeTotal > sizes.servers - id; e++) take();
    if (free.length === 0) nodesWithFree.splice(index, 1);

    let uuid = rng.uuid();
    while (identifiers.has(uuid.slice(0, 8))) uuid = rng.uuid();
    identifiers.add(uuid.slice(0, 8));
    const egg = rng.pick(eggs);
    const variables = new Map<number, string>();
    for (const v of t.eggVariables.values()) {
      if (v.eggId === egg.id && rng.chance(0.6))
        variables.set(v.id, v.defaultValue === "latest" ? "1.21.4" : v.defaultValue);
    }
    const status = pickStatus(id, rng.next());
    const server: Server = {
      id,
      externalId: rng.chance(0.2) ? `order-${1000 + id}` : null,
      uuid,
      identifier: uuid.slice(0, 8),
      name: rng.chance(0.03) ? rng.pick(ODD_SERVER_NAMES) : `${rng.pick(SERVER_WORDS)} #${id}`,
      description: rng.chance(0.5) ? "" : `Demo server ${id}`,
      status,
      skipScripts: false,
      ownerId: rng.pick(userIds),
      nodeId,
      allocationId,
      nestId: egg.nestId,
      eggId: egg.id,
      memory: rng.pick([1024, 2048, 4096, 8192]),
      swap: 0,
      disk: rng.pick([5120, 10240, 20480]),
      io: 500,
      cpu: rng.pick([0, 100, 200, 400]),
      threads: null,
      oomDisabled: true,
      databaseLimit: rng.int(0, 2),
      allocationLimit: rng.int(0, 3),
      backupLimit: rng.int(0, 5),
      startup: egg.startup,
      image: rng.pick(Object.values(egg.dockerImages)),
      variables,
      ...stamp(id, sizes.servers),
    };
    t.servers.set(id, server);

    const wanted = Math.min(rng.int(0, sizes.subusersPerServer), userIds.length - 1);
    const chosen = new Set<number>([server.ownerId]);
    while (chosen.size < wanted + 1) chosen.add(rng.pick(userIds));
    chosen.delete(server.ownerId);
    for (const userId of chosen) {
      const sid = ++subuserId;
      const permissions = PERMISSIONS.filter(() => rng.chance(0.4));
      t.subusers.set(sid, {
        id: sid,
        userId,
        serverId: id,
        permissions: [...permissions, "websocket.connect"],
        ...stamp(id, sizes.servers),
      });
    }
    const databases = rng.int(0, sizes.databasesPerServer);
    for (let d = 0; d < databases; d++) {
      const did = ++databaseId;
      t.databases.set(did, {
        id: did,
        serverId: id,
        hostId: rng.pick(hostIds),
        database: `s${id}_${rng.pick(["main", "data", "luckperms", "logs"])}${d > 0 ? d : ""}`,
        username: `u${id}_${rng.alnum(10)}`,
        remote: "%",
        maxConnections: rng.chance(0.3) ? rng.int(5, 50) : 0,
        ...stamp(id, sizes.servers),
      });
    }
  }
}
