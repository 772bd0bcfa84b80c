// Demo panel: the Client API transformers (app/Transformers/Api/Client/*) for the endpoints the
// sync reads: the server listing (with its default includes) and a server's subusers.
import { createHash } from "node:crypto";
import type { PanelData } from "./data.ts";
import { atom } from "./fractal.ts";
import { many, one, type Transformer } from "./includes.ts";
import type { Allocation, EggVariable, Server, Subuser, User } from "./model.ts";

export interface ClientTransformers {
  server: Transformer<Server>;
  subuser: Transformer<Subuser>;
}

/** Client UserTransformer; the subuser transformer is this plus `permissions`. */
export const clientUser = (u: User) => ({
  uuid: u.uuid,
  username: u.username,
  email: u.email,
  image: `https://gravatar.com/avatar/${createHash("md5").update(u.email.toLowerCase()).digest("hex")}`,
  "2fa_enabled": u.useTotp,
  created_at: atom(u.createdAt),
});

/** StartupCommandService: placeholders filled, values of hidden variables shown as [hidden]. */
function invocation(data: PanelData, s: Server): string {
  const primary = data.tables.allocations.get(s.allocationId);
  let out = s.startup
    .replaceAll("{{SERVER_MEMORY}}", String(s.memory))
    .replaceAll("{{SERVER_IP}}", primary?.ip ?? "")
    .replaceAll("{{SERVER_PORT}}", String(primary?.port ?? ""));
  for (const v of data.indexes.variablesByEgg.get(s.eggId) ?? []) {
    const value = v.userViewable ? (s.variables.get(v.id) ?? v.defaultValue) : "[hidden]";
    out = out.replaceAll(`{{${v.envVariable}}}`, value);
  }
  return out;
}

/** `viewer` is the user the client key belongs to (for `server_owner`). */
export function clientTransformers(data: PanelData, viewer: () => number): ClientTransformers {
  const t = data.tables;
  const allocation = (s: Server): Transformer<Allocation> => ({
    attributes: (a) => ({
      id: a.id,
      ip: a.ip,
      ip_alias: a.alias,
      port: a.port,
      notes: a.notes,
      is_default: s.allocationId === a.id,
    }),
  });
  const variable = (s: Server): Transformer<EggVariable> => ({
    attributes: (v) => ({
      name: v.name,
      description: v.description,
      env_variable: v.envVariable,
      default_value: v.defaultValue,
      server_value: s.variables.get(v.id) ?? null,
      is_editable: v.userEditable,
      rules: v.rules,
    }),
  });
  const subuser: Transformer<Subuser> = {
    attributes: (s) => {
      const u = t.users.get(s.userId);
      return { ...(u ? clientUser(u) : {}), permissions: s.permissions };
    },
  };
  const server: Transformer<Server> = {
    attributes: (s) => {
      const node = t.nodes.get(s.nodeId);
      return {
        server_owner: s.ownerId === viewer(),
        identifier: s.identifier,
        internal_id: s.id,
        uuid: s.uuid,
        name: s.name,
        node: node?.name ?? "",
        is_node_under_maintenance: node?.maintenanceMode ?? false,
        sftp_details: { ip: node?.fqdn ?? "", port: node?.daemonSftp ?? 2022 },
        description: s.description,
        limits: {
          memory: s.memory,
          swap: s.swap,
          disk: s.disk,
          io: s.io,
          cpu: s.cpu,
          threads: s.threads,
          oom_disabled: s.oomDisabled,
        },
        invocation: invocation(data, s),
        docker_image: s.image,
        egg_features: null,
        feature_limits: {
          databases: s.databaseLimit,
          allocations: s.allocationLimit,
          backups: s.backupLimit,
        },
        status: s.status,
        is_suspended: s.status === "suspended",
        is_installing: s.status === "installing" || s.status === "install_failed",
        is_transferring: false,
      };
    },
    defaults: {
      allocations: (s) => many(allocation(s), data.indexes.allocationsByServer.get(s.id) ?? [], "allocation"),
      variables: (s) =>
        many(
          variable(s),
          (data.indexes.variablesByEgg.get(s.eggId) ?? []).filter((v) => v.userViewable),
          "egg_variable",
        ),
    },
    includes: {
      egg: (s) => one({ attributes: (e) => ({ uuid: e.uuid, name: e.name }) }, t.eggs.get(s.eggId), "egg"),
      subusers: (s) => many(subuser, data.indexes.subusersByServer.get(s.id) ?? [], "server_subuser"),
    },
  };
  return { server, subuser };
}
