// Demo panel: the Application API transformers (app/Transformers/Api/Application/*) for the panel's
// infrastructure (locations, nodes, allocations, nests, eggs) and the registry joining all of them.
import type { PanelData } from "./data.ts";
import { atom } from "./fractal.ts";
import { many, nothing, one, type Transformer } from "./includes.ts";
import type {
  Allocation,
  DatabaseHost,
  Egg,
  EggVariable,
  Location,
  Nest,
  PanelNode,
  Server,
  ServerDatabase,
  Subuser,
  User,
} from "./model.ts";
import { eggVariableArray, serverTransformers } from "./server-transformers.ts";

export interface ApplicationTransformers {
  location: Transformer<Location>;
  node: Transformer<PanelNode>;
  allocation: Transformer<Allocation>;
  nest: Transformer<Nest>;
  egg: Transformer<Egg>;
  eggVariable: Transformer<EggVariable>;
  user: Transformer<User>;
  server: Transformer<Server>;
  subuser: Transformer<Subuser>;
  database: Transformer<ServerDatabase>;
  databaseHost: Transformer<DatabaseHost>;
}

export function applicationTransformers(data: PanelData): ApplicationTransformers {
  // Transformers include each other (servers ↔ nodes, …), so each looks the others up in `r`.
  const r = {} as ApplicationTransformers;
  Object.assign(r, infrastructureTransformers(data, r), serverTransformers(data, r));
  return r;
}

function infrastructureTransformers(data: PanelData, r: ApplicationTransformers) {
  const t = data.tables;
  const ix = () => data.indexes;
  const serversWhere = (test: (s: Server) => boolean) => [...t.servers.values()].filter(test);

  const location: Transformer<Location> = {
    attributes: (l) => ({
      id: l.id,
      short: l.short,
      long: l.long,
      updated_at: atom(l.updatedAt),
      created_at: atom(l.createdAt),
    }),
    includes: {
      nodes: (l) =>
        many(
          node,
          [...t.nodes.values()].filter((n) => n.locationId === l.id),
          "node",
        ),
      servers: (l) =>
        many(
          r.server,
          serversWhere((s) => t.nodes.get(s.nodeId)?.locationId === l.id),
          "server",
        ),
    },
  };
  const node: Transformer<PanelNode> = {
    attributes: (n) => {
      const servers = ix().serversByNode.get(n.id) ?? [];
      return {
        id: n.id,
        uuid: n.uuid,
        public: n.public,
        name: n.name,
        description: n.description,
        location_id: n.locationId,
        fqdn: n.fqdn,
        scheme: n.scheme,
        behind_proxy: n.behindProxy,
        maintenance_mode: n.maintenanceMode,
        memory: n.memory,
        memory_overallocate: n.memoryOverallocate,
        disk: n.disk,
        disk_overallocate: n.diskOverallocate,
        upload_size: n.uploadSize,
        daemon_listen: n.daemonListen,
        daemon_sftp: n.daemonSftp,
        daemon_base: n.daemonBase,
        created_at: atom(n.createdAt),
        updated_at: atom(n.updatedAt),
        allocated_resources: {
          memory: servers.reduce((sum, s) => sum + s.memory, 0),
          disk: servers.reduce((sum, s) => sum + s.disk, 0),
        },
      };
    },
    includes: {
      allocations: (n) => many(allocation, ix().allocationsByNode.get(n.id) ?? [], "allocation"),
      location: (n) => one(location, t.locations.get(n.locationId), "location"),
      servers: (n) => many(r.server, ix().serversByNode.get(n.id) ?? [], "server"),
    },
  };
  const allocation: Transformer<Allocation> = {
    attributes: (a) => ({
      id: a.id,
      ip: a.ip,
      alias: a.alias,
      port: a.port,
      notes: a.notes,
      assigned: a.serverId !== null,
    }),
    includes: {
      node: (a) => one(node, t.nodes.get(a.nodeId), "node"),
      server: (a) => (a.serverId === null ? nothing : one(r.server, t.servers.get(a.serverId), "server")),
    },
  };
  const nest: Transformer<Nest> = {
    attributes: (n) => ({
      id: n.id,
      uuid: n.uuid,
      author: n.author,
      name: n.name,
      description: n.description,
      created_at: atom(n.createdAt),
      updated_at: atom(n.updatedAt),
    }),
    includes: {
      eggs: (n) => many(egg, ix().eggsByNest.get(n.id) ?? [], "egg"),
      servers: (n) =>
        many(
          r.server,
          serversWhere((s) => s.nestId === n.id),
          "server",
        ),
    },
  };
  const egg: Transformer<Egg> = {
    attributes: (e) => ({
      id: e.id,
      uuid: e.uuid,
      name: e.name,
      nest: e.nestId,
      author: e.author,
      description: e.description,
      docker_image: Object.values(e.dockerImages)[0] ?? "",
      docker_images: e.dockerImages,
      config: {
        files: {},
        startup: { done: e.configStartupDone },
        stop: e.configStop,
        logs: [],
        file_denylist: [],
        extends: null,
      },
      startup: e.startup,
      script: {
        privileged: true,
        install: e.scriptInstall,
        entry: e.scriptEntry,
        container: e.scriptContainer,
        extends: null,
      },
      created_at: atom(e.createdAt),
      updated_at: atom(e.updatedAt),
    }),
    includes: {
      nest: (e) => one(nest, t.nests.get(e.nestId), "nest"),
      servers: (e) =>
        many(
          r.server,
          serversWhere((s) => s.eggId === e.id),
          "server",
        ),
      config: () => nothing,
      script: () => nothing,
      variables: (e) => many(eggVariable, ix().variablesByEgg.get(e.id) ?? [], "egg_variable"),
    },
  };
  const eggVariable: Transformer<EggVariable> = { attributes: eggVariableArray };
  return { location, node, allocation, nest, egg, eggVariable };
}
