// Demo panel: the deterministic generator (seeded) of a consistent Pterodactyl dataset of any size,
// and the public face of the model (types and PanelData with its mutation helpers).
import { DOMAINS, FIRST_NAMES, LAST_NAMES, LOCATIONS, NESTS, type VariableSpec } from "./catalog.ts";
import { generateServers } from "./generate-servers.ts";
import { emptyTables } from "./model.ts";
import { createRng } from "./prng.ts";
import { MutablePanelData } from "./recreate.ts";

export type * from "./model.ts";
export { type NewServer, type NewUser, PanelData } from "./panel-data.ts";
export { MutablePanelData } from "./recreate.ts";

export interface Sizes {
  locations: number;
  nodes: number;
  allocations: number;
  nests: number;
  eggsPerNest: number;
  variablesPerEgg: number;
  users: number;
  servers: number;
  /** Each server gets 0..this many subusers. */
  subusersPerServer: number;
  /** Each server gets 0..this many databases. */
  databasesPerServer: number;
}

export const DEFAULT_SIZES: Sizes = {
  locations: 2,
  nodes: 3,
  allocations: 60,
  nests: 2,
  eggsPerNest: 3,
  variablesPerEgg: 2,
  users: 12,
  servers: 20,
  subusersPerServer: 2,
  databasesPerServer: 1,
};

const BASE_TIME = Date.UTC(2023, 0, 1);
const HOUR = 3_600_000;

/** Builds the dataset; the same sizes and seed always give the same panel. */
export function generatePanelData(partial: Partial<Sizes> = {}, seed = 1): MutablePanelData {
  const sizes: Sizes = { ...DEFAULT_SIZES, ...partial };
  const atLeastOne = ["locations", "nodes", "nests", "eggsPerNest", "users"] as const;
  for (const key of atLeastOne) if (sizes[key] < 1) throw new Error(`demo panel: ${key} must be ≥ 1`);
  if (sizes.allocations < sizes.servers) {
    throw new Error(`demo panel: ${sizes.servers} servers need at least as many allocations`);
  }
  const rng = createRng(seed);
  const t = emptyTables();
  const stamp = (index: number, count: number) => {
    const created = BASE_TIME + Math.floor((index / Math.max(count, 1)) * 8000 * HOUR) + rng.int(0, HOUR);
    const updated = created + (rng.chance(0.5) ? 0 : rng.int(0, 2000) * HOUR);
    return { createdAt: new Date(created).toISOString(), updatedAt: new Date(updated).toISOString() };
  };

  for (let id = 1; id <= sizes.locations; id++) {
    const [short, long] = LOCATIONS[(id - 1) % LOCATIONS.length] ?? ["loc", null];
    const suffix = id > LOCATIONS.length ? `-${id}` : "";
    t.locations.set(id, { id, short: `${short}${suffix}`, long, ...stamp(id, sizes.locations) });
  }

  for (let id = 1; id <= sizes.nodes; id++) {
    t.nodes.set(id, {
      id,
      uuid: rng.uuid(),
      public: id % 5 !== 0,
      name: `node-${String(id).padStart(2, "0")}`,
      description: id % 2 === 0 ? null : `Demo node ${id}`,
      locationId: ((id - 1) % sizes.locations) + 1,
      fqdn: `node${id}.demo-panel.test`,
      scheme: id % 4 === 0 ? "http" : "https",
      behindProxy: false,
      maintenanceMode: sizes.nodes >= 4 && id === sizes.nodes,
      memory: rng.pick([32768, 65536, 131072]),
      memoryOverallocate: 0,
      disk: rng.pick([512000, 1024000]),
      diskOverallocate: 0,
      uploadSize: 100,
      daemonListen: 8080,
      daemonSftp: 2022,
      daemonBase: "/var/lib/pterodactyl/volumes",
      ...stamp(id, sizes.nodes),
    });
  }

  // Allocations, node by node. Nodes 1 and 2 sit behind NAT on the same private IP, so the same
  // ip:port exists on two nodes (the panel only enforces uniqueness per node).
  const freeByNode = new Map<number, number[]>();
  let allocationId = 0;
  for (let n = 1; n <= sizes.nodes; n++) {
    const count =
      Math.floor(sizes.allocations / sizes.nodes) + (n <= sizes.allocations % sizes.nodes ? 1 : 0);
    const free: number[] = [];
    for (let j = 0; j < count; j++) {
      const id = ++allocationId;
      const block = Math.floor(j / 5000);
      const ip = n <= 2 ? `192.168.1.${10 + block}` : `10.${Math.floor(n / 250)}.${n % 250}.${10 + block}`;
      t.allocations.set(id, {
        id,
        nodeId: n,
        ip,
        alias: rng.chance(0.1) ? `play${j}.node${n}.demo-panel.test` : null,
        port: 25565 + (j % 5000),
        notes: rng.chance(0.05) ? "reserved for events" : null,
        serverId: null,
        ...stamp(id, sizes.allocations),
      });
      free.push(id);
    }
    freeByNode.set(n, free.reverse());
  }

  const variableSpecs = (specs: readonly VariableSpec[]) =>
    Array.from({ length: sizes.variablesPerEgg }, (_, k): VariableSpec => {
      const spec = specs[k];
      if (spec) return spec;
      return {
        name: `Setting ${k + 1}`,
        env: `SETTING_${k + 1}`,
        defaultValue: `value-${k + 1}`,
        rules: "nullable|string|max:64",
      };
    });
  let eggId = 0;
  let variableId = 0;
  for (let id = 1; id <= sizes.nests; id++) {
    const spec = NESTS[(id - 1) % NESTS.length] ?? { name: "Generic", description: "", eggs: [] };
    const suffix = id > NESTS.length ? ` ${id}` : "";
    t.nests.set(id, {
      id,
      uuid: rng.uuid(),
      author: "support@pterodactyl.io",
      name: `${spec.name}${suffix}`,
      description: spec.description,
      ...stamp(id, sizes.nests),
    });
    for (let k = 0; k < sizes.eggsPerNest; k++) {
      const egg = spec.eggs[k % Math.max(spec.eggs.length, 1)];
      const eid = ++eggId;
      const round = spec.eggs.length > 0 ? Math.floor(k / spec.eggs.length) : k;
      t.eggs.set(eid, {
        id: eid,
        uuid: rng.uuid(),
        nestId: id,
        author: "support@pterodactyl.io",
        name: `${egg?.name ?? `Egg ${k + 1}`}${round > 0 ? ` ${round + 1}` : ""}`,
        description: `${egg?.name ?? "Generic"} server egg.`,
        dockerImages: egg?.images ?? { Debian: "ghcr.io/pterodactyl/yolks:debian" },
        startup: egg?.startup ?? "./start.sh",
        configStartupDone: ")! For help, type ",
        configStop: "stop",
        scriptInstall: "#!/bin/bash\necho 'installing'\n",
        scriptContainer: "ghcr.io/pterodactyl/installers:debian",
        scriptEntry: "bash",
        ...stamp(eid, sizes.nests * sizes.eggsPerNest),
      });
      variableSpecs(egg?.variables ?? []).forEach((v, index) => {
        const vid = ++variableId;
        const hidden = index === sizes.variablesPerEgg - 1 && eid % 3 === 0;
        t.eggVariables.set(vid, {
          id: vid,
          eggId: eid,
          name: v.name,
          description: `${v.name} for this server.`,
          envVariable: v.env,
          defaultValue: v.defaultValue,
          userViewable: !hidden,
          userEditable: !hidden && index % 2 === 0,
          rules: v.rules,
          ...stamp(vid, 1000),
        });
      });
    }
  }

  // Users: unique e-mails (case-insensitively), some mixed case, and every 10th is a substring trap
  // ("the.user9@…" contains "user9@…"), which is why filter[email] can't be trusted for identity.
  const baseEmail = (id: number) => {
    const domain = DOMAINS[id % DOMAINS.length] ?? "example.test";
    return id % 3 === 0 ? `User${id}@${domain.toUpperCase()}` : `user${id}@${domain}`;
  };
  for (let id = 1; id <= sizes.users; id++) {
    const email =
      id === 1 ? "admin@demo-panel.test" : id % 10 === 0 ? `the.${baseEmail(id - 1)}` : baseEmail(id);
    t.users.set(id, {
      id,
      externalId: rng.chance(0.1) ? `whmcs-${id}` : null,
      uuid: rng.uuid(),
      username: id === 1 ? "admin" : `user${id}`,
      email,
      firstName: rng.pick(FIRST_NAMES),
      lastName: rng.pick(LAST_NAMES),
      language: "en",
      rootAdmin: id === 1 || id % 40 === 5,
      useTotp: rng.chance(0.1),
      ...stamp(id, sizes.users),
    });
  }

  generateServers(t, sizes, rng, freeByNode, stamp);
  return new MutablePanelData(t, seed);
}
