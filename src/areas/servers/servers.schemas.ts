// OpenAPI schemas of the /api/v1/servers/{server} routes.
import { z } from "@hono/zod-openapi";
import {
  authErrors,
  commonErrors,
  conflictError,
  ErrorBodySchema,
  notFoundError,
} from "../../platform/openapi.ts";

export const base = "/api/v1/servers/{server}";
export const tags = ["servers"];

const errorContent = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorBodySchema } },
});

export const errors = {
  ...commonErrors,
  ...authErrors,
  ...notFoundError,
  ...conflictError,
  413: errorContent("File too large"),
  502: errorContent("The panel failed"),
  503: errorContent("Server offline (commands) or the panel is not configured"),
} as const;

export const ServerParam = z.object({
  server: z
    .string()
    .min(1)
    .max(64)
    .openapi({
      param: { name: "server", in: "path" },
      description: "Our id, the panel uuid or its 8-character short id",
    }),
});
export const BackupParam = ServerParam.extend({
  backup: z
    .string()
    .uuid()
    .openapi({ param: { name: "backup", in: "path" }, description: "The backup's uuid" }),
});

export const Resources = z
  .object({
    state: z.string(),
    isSuspended: z.boolean(),
    memoryBytes: z.number(),
    cpuAbsolute: z.number(),
    diskBytes: z.number(),
    networkRxBytes: z.number(),
    networkTxBytes: z.number(),
    uptimeMs: z.number(),
    fetchedAt: z.string(),
    cached: z.boolean(),
  })
  .openapi("ServerResources");

export const ServerDetails = z
  .object({
    id: z.string(),
    uuid: z.string(),
    identifier: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    node: z.string(),
    nodeUnderMaintenance: z.boolean(),
    panelStatus: z.string().nullable(),
    isSuspended: z.boolean(),
    isInstalling: z.boolean(),
    isTransferring: z.boolean(),
    limits: z.object({ memory: z.number(), disk: z.number(), cpu: z.number() }),
    featureLimits: z.object({ databases: z.number(), allocations: z.number(), backups: z.number() }),
    role: z.enum(["owner", "subuser", "admin"]),
    permissions: z.array(z.string()),
    state: z.string(),
    resources: Resources.nullable(),
  })
  .openapi("ServerDetails");

export const Backup = z
  .object({
    uuid: z.string(),
    name: z.string(),
    isSuccessful: z.boolean(),
    isLocked: z.boolean(),
    ignoredFiles: z.array(z.string()),
    checksum: z.string().nullable(),
    bytes: z.number(),
    createdAt: z.string().nullable(),
    completedAt: z.string().nullable(),
  })
  .openapi("ServerBackup");

export const FileEntry = z
  .object({
    name: z.string(),
    mode: z.string(),
    size: z.number(),
    isFile: z.boolean(),
    isSymlink: z.boolean(),
    mimetype: z.string(),
    createdAt: z.string().nullable(),
    modifiedAt: z.string().nullable(),
  })
  .openapi("ServerFile");

export const StartupVariable = z
  .object({
    name: z.string(),
    description: z.string(),
    envVariable: z.string(),
    defaultValue: z.string().nullable(),
    serverValue: z.string().nullable(),
    isEditable: z.boolean(),
    rules: z.string(),
  })
  .openapi("ServerStartupVariable");

export const Accepted = z.object({ success: z.literal(true), message: z.string() });
export const ok = <T extends z.ZodTypeAny>(data: T) => z.object({ success: z.literal(true), data });
