// Demo panel: the Application API transformers for servers and accounts (users, servers, subusers,
// databases, database hosts), including the server's container environment.
import type { ApplicationTransformers } from "./application-transformers.ts";
import type { PanelData } from "./data.ts";
import { atom, modelDate } from "./fractal.ts";
import { many, one, type Transformer } from "./includes.ts";
import type { DatabaseHost, EggVariable, Server, ServerDatabase, Subuser, User } from "./model.ts";

/** EggVariable::toArray(): raw columns with Laravel's default date serialisation. */
export const eggVariableArray = (v: EggVariable) => ({
  id: v.id,
  egg_id: v.eggId,
  name: v.name,
  description: v.description,
  env_variable: v.envVariable,
  default_value: v.defaultValue,
  user_viewable: v.userViewable,
  user_editable: v.userEditable,
  rules: v.rules,
  created_at: modelDate(v.createdAt),
  updated_at: modelDate(v.updatedAt),
});

/** EnvironmentService::handle(): egg variables (server value ?? default), then the built-ins. */
export function serverEnvironment(data: PanelData, s: Server): Record<string, unknown> {
  const env: Record<string, unknown> = {};
  for (const v of data.indexes.variablesByEgg.get(s.eggId) ?? []) {
    env[v.envVariable] = s.variables.get(v.id) ?? v.defaultValue;
  }
  const node = data.tables.nodes.get(s.nodeId);
  env.STARTUP = s.startup;
  env.P_SERVER_LOCATION = node ? (data.tables.locations.get(node.locationId)?.short ?? null) : null;
  env.P_SERVER_UUID = s.uuid;
  env.P_SERVER_ALLOCATION_LIMIT = s.allocationLimit;
  return env;
}

export function serverTransformers(data: PanelData, r: ApplicationTransformers) {
  const t = data.tables;
  const ix = () => data.indexes;
  const serversWhere = (test: (s: Server) => boolean) => [...t.servers.values()].filter(test);

  const serverVariable = (s: Server): Transformer<EggVariable> => ({
    attributes: (v) => ({ ...eggVariableArray(v), server_value: s.variables.get(v.id) ?? null }),
  });
  const user: Transformer<User> = {
    attributes: (u) => ({
      id: u.id,
      external_id: u.externalId,
      uuid: u.uuid,
      username: u.username,
      email: u.email,
      first_name: u.firstName,
      last_name: u.lastName,
      language: u.language,
      root_admin: u.rootAdmin,
      "2fa": u.useTotp,
      created_at: atom(u.createdAt),
      updated_at: atom(u.updatedAt),
    }),
    includes: {
      servers: (u) =>
        many(
          server,
          serversWhere((s) => s.ownerId === u.id),
          "server",
        ),
    },
  };
  const server: Transformer<Server> = {
    attributes: (s) => ({
      id: s.id,
      external_id: s.externalId,
      uuid: s.uuid,
      identifier: s.identifier,
      name: s.name,
      description: s.description,
      status: s.status,
      suspended: s.status === "suspended",
      limits: {
        memory: s.memory,
        swap: s.swap,
        disk: s.disk,
        io: s.io,
        cpu: s.cpu,
        threads: s.threads,
        oom_disabled: s.oomDisabled,
      },
      feature_limits: { databases: s.databaseLimit, allocations: s.allocationLimit, backups: s.backupLimit },
      user: s.ownerId,
      node: s.nodeId,
      allocation: s.allocationId,
      nest: s.nestId,
      egg: s.eggId,
      container: {
        startup_command: s.startup,
        image: s.image,
        installed: s.status === "installing" || s.status === "install_failed" ? 0 : 1,
        environment: serverEnvironment(data, s),
      },
      updated_at: atom(s.updatedAt),
      created_at: atom(s.createdAt),
    }),
    includes: {
      allocations: (s) => many(r.allocation, ix().allocationsByServer.get(s.id) ?? [], "allocation"),
      user: (s) => one(user, t.users.get(s.ownerId), "user"),
      subusers: (s) => many(subuser, ix().subusersByServer.get(s.id) ?? [], "subuser"),
      nest: (s) => one(r.nest, t.nests.get(s.nestId), "nest"),
      egg: (s) => one(r.egg, t.eggs.get(s.eggId), "egg"),
      variables: (s) => many(serverVariable(s), ix().variablesByEgg.get(s.eggId) ?? [], "server_variable"),
      location: (s) => one(r.location, t.locations.get(t.nodes.get(s.nodeId)?.locationId ?? 0), "location"),
      node: (s) => one(r.node, t.nodes.get(s.nodeId), "node"),
      // The panel really uses "databases" (plural) as this relation's object name.
      databases: (s) => many(database, ix().databasesByServer.get(s.id) ?? [], "databases"),
    },
  };
  const subuser: Transformer<Subuser> = {
    attributes: (s) => ({
      id: s.id,
      user_id: s.userId,
      server_id: s.serverId,
      permissions: s.permissions,
      created_at: atom(s.createdAt),
      updated_at: atom(s.updatedAt),
    }),
    includes: {
      user: (s) => one(user, t.users.get(s.userId), "user"),
      server: (s) => one(server, t.servers.get(s.serverId), "server"),
    },
  };
  const databaseHost: Transformer<DatabaseHost> = {
    attributes: (h) => ({
      id: h.id,
      name: h.name,
      host: h.host,
      port: h.port,
      username: h.username,
      node: h.nodeId,
      created_at: atom(h.createdAt),
      updated_at: atom(h.updatedAt),
    }),
    includes: {
      databases: (h) =>
        many(
          database,
          [...t.databases.values()].filter((d) => d.hostId === h.id),
          "server_database",
        ),
    },
  };
  const database: Transformer<ServerDatabase> = {
    attributes: (d) => ({
      id: d.id,
      server: d.serverId,
      host: d.hostId,
      database: d.database,
      username: d.username,
      remote: d.remote,
      max_connections: d.maxConnections,
      created_at: atom(d.createdAt),
      updated_at: atom(d.updatedAt),
    }),
    includes: {
      password: (d) => () => ({
        object: "database_password",
        attributes: { password: `demo-${d.username}-pw` },
      }),
      host: (d) => one(databaseHost, t.databaseHosts.get(d.hostId), "database_host"),
    },
  };
  return { user, server, subuser, database, databaseHost };
}
