// /api/v1/servers/{server}/backups and /files: backups (list, create, show, delete, restore) and
// files (list a directory, read and write a text file), paths checked before the panel sees them.
import { createRoute, z } from "@hono/zod-openapi";
import { jsonBody, jsonRequestBody } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import { serverMember } from "./server-control.ts";
import { directoryPath, filePath, MAX_PATH_LENGTH } from "./server-paths.ts";
import { open } from "./servers.routes.ts";
import {
  Accepted,
  Backup,
  BackupParam,
  base,
  errors,
  FileEntry,
  ok,
  ServerParam,
  tags,
} from "./servers.schemas.ts";
import {
  backupDownload,
  createBackup,
  deleteBackup,
  fileDownload,
  fileUpload,
  getBackup,
  listBackups,
  listFiles,
  MAX_FILE_BYTES,
  readFile,
  restoreBackup,
  writeFile,
} from "./servers.service.ts";

const FileQuery = z.object({ file: z.string().min(1).max(MAX_PATH_LENGTH) });
const SignedLink = ok(z.object({ url: z.string() }));

const routes = {
  backups: createRoute({
    method: "get",
    path: `${base}/backups`,
    tags,
    summary: "The server's backups (backup.read)",
    ...serverMember(),
    request: { params: ServerParam },
    responses: {
      200: jsonBody(ok(z.object({ backups: z.array(Backup), backupCount: z.number() }))),
      ...errors,
    },
  }),
  createBackup: createRoute({
    method: "post",
    path: `${base}/backups`,
    tags,
    summary: "Start a backup (backup.create); 429 under the panel's throttle (2 per 10 minutes)",
    ...serverMember(),
    request: {
      params: ServerParam,
      body: jsonRequestBody(
        z.object({
          name: z.string().max(191).optional(),
          ignored: z.string().max(10_000).optional(),
          isLocked: z.boolean().optional(),
        }),
        false,
      ),
    },
    responses: { 202: jsonBody(ok(Backup), "Started"), ...errors },
  }),
  backup: createRoute({
    method: "get",
    path: `${base}/backups/{backup}`,
    tags,
    summary: "One backup (backup.read): poll it while it runs",
    ...serverMember(),
    request: { params: BackupParam },
    responses: { 200: jsonBody(ok(Backup)), ...errors },
  }),
  deleteBackup: createRoute({
    method: "delete",
    path: `${base}/backups/{backup}`,
    tags,
    summary: "Delete a backup (backup.delete)",
    ...serverMember(),
    request: { params: BackupParam },
    responses: { 200: jsonBody(Accepted), ...errors },
  }),
  restore: createRoute({
    method: "post",
    path: `${base}/backups/{backup}/restore`,
    tags,
    summary: "Restore a backup (backup.restore): accepted at once, the server reads as restoring",
    ...serverMember(),
    request: {
      params: BackupParam,
      body: jsonRequestBody(z.object({ truncate: z.boolean().default(false) }), false),
    },
    responses: { 202: jsonBody(Accepted, "Restore started"), ...errors },
  }),
  backupDownload: createRoute({
    method: "get",
    path: `${base}/backups/{backup}/download`,
    tags,
    summary: "A signed link to download a backup, valid 15 minutes (backup.download)",
    ...serverMember(),
    request: { params: BackupParam },
    responses: { 200: jsonBody(SignedLink), ...errors },
  }),
  fileDownload: createRoute({
    method: "get",
    path: `${base}/files/download`,
    tags,
    summary: "A signed link to download a file, valid 15 minutes (file.read-content)",
    ...serverMember(),
    request: { params: ServerParam, query: FileQuery },
    responses: { 200: jsonBody(SignedLink), ...errors },
  }),
  fileUpload: createRoute({
    method: "get",
    path: `${base}/files/upload`,
    tags,
    summary:
      "A signed link to upload files (POST multipart to it, up to the node's limit), valid 15 minutes (file.create)",
    ...serverMember(),
    request: { params: ServerParam },
    responses: { 200: jsonBody(SignedLink), ...errors },
  }),
  files: createRoute({
    method: "get",
    path: `${base}/files`,
    tags,
    summary: "List a directory (file.read)",
    ...serverMember(),
    request: {
      params: ServerParam,
      query: z.object({ directory: z.string().max(MAX_PATH_LENGTH).optional() }),
    },
    responses: {
      200: jsonBody(ok(z.object({ directory: z.string(), files: z.array(FileEntry) }))),
      ...errors,
    },
  }),
  readFile: createRoute({
    method: "get",
    path: `${base}/files/contents`,
    tags,
    summary: `Read a text file up to ${MAX_FILE_BYTES} bytes (file.read-content)`,
    ...serverMember(),
    request: { params: ServerParam, query: FileQuery },
    responses: {
      200: jsonBody(ok(z.object({ file: z.string(), content: z.string(), bytes: z.number() }))),
      ...errors,
    },
  }),
  writeFile: createRoute({
    method: "put",
    path: `${base}/files/contents`,
    tags,
    summary: `Write a text file up to ${MAX_FILE_BYTES} bytes (file.create or file.update)`,
    ...serverMember(["servers.files.write"]),
    request: {
      params: ServerParam,
      query: FileQuery,
      body: jsonRequestBody(z.object({ content: z.string() })),
    },
    responses: { 200: jsonBody(ok(z.object({ file: z.string(), bytes: z.number() }))), ...errors },
  }),
};

export const serverDataRoutes = createRouter()
  .openapi(routes.backups, async (c) => {
    const ctl = await open(c, c.req.valid("param").server, "backup.read");
    return c.json({ success: true as const, data: await listBackups(ctl) }, 200);
  })
  .openapi(routes.createBackup, async (c) => {
    const input = c.req.valid("json");
    const ctl = await open(c, c.req.valid("param").server, "backup.create");
    return c.json({ success: true as const, data: await createBackup(ctl, input) }, 202);
  })
  .openapi(routes.backup, async (c) => {
    const { server, backup } = c.req.valid("param");
    const ctl = await open(c, server, "backup.read");
    return c.json({ success: true as const, data: await getBackup(ctl, backup) }, 200);
  })
  .openapi(routes.deleteBackup, async (c) => {
    const { server, backup } = c.req.valid("param");
    const ctl = await open(c, server, "backup.delete");
    await deleteBackup(ctl, backup);
    return c.json({ success: true as const, message: "Backup deleted" }, 200);
  })
  .openapi(routes.restore, async (c) => {
    const { server, backup } = c.req.valid("param");
    const { truncate } = c.req.valid("json");
    const ctl = await open(c, server, "backup.restore");
    await restoreBackup(ctl, backup, truncate);
    return c.json({ success: true as const, message: "Restore started" }, 202);
  })
  .openapi(routes.backupDownload, async (c) => {
    const { server, backup } = c.req.valid("param");
    const ctl = await open(c, server, "backup.download");
    return c.json({ success: true as const, data: await backupDownload(ctl, backup) }, 200);
  })
  .openapi(routes.fileDownload, async (c) => {
    const file = filePath(c.req.valid("query").file);
    const ctl = await open(c, c.req.valid("param").server, "file.read-content");
    return c.json({ success: true as const, data: await fileDownload(ctl, file) }, 200);
  })
  .openapi(routes.fileUpload, async (c) => {
    const ctl = await open(c, c.req.valid("param").server, "file.create");
    return c.json({ success: true as const, data: await fileUpload(ctl) }, 200);
  })
  .openapi(routes.files, async (c) => {
    const directory = directoryPath(c.req.valid("query").directory);
    const ctl = await open(c, c.req.valid("param").server, "file.read");
    return c.json({ success: true as const, data: await listFiles(ctl, directory) }, 200);
  })
  .openapi(routes.readFile, async (c) => {
    const file = filePath(c.req.valid("query").file);
    const ctl = await open(c, c.req.valid("param").server, "file.read-content");
    return c.json({ success: true as const, data: await readFile(ctl, file) }, 200);
  })
  .openapi(routes.writeFile, async (c) => {
    const file = filePath(c.req.valid("query").file);
    const { content } = c.req.valid("json");
    const ctl = await open(c, c.req.valid("param").server, { anyOf: ["file.create", "file.update"] });
    return c.json({ success: true as const, data: await writeFile(ctl, file, content) }, 200);
  });
