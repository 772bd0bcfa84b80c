// /api/v1/servers/{server}: details with live state, resources, power, console commands and
// startup variables, for the owner, a subuser with the panel's permission, or an admin.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { principalOf } from "../../access/authenticate.ts";
import { jsonBody, jsonRequestBody } from "../../platform/openapi.ts";
import { createRouter } from "../../platform/router.ts";
import type { AppEnv } from "../../platform/types.ts";
import { openServer, type Requirement, serverMember } from "./server-control.ts";
import {
  Accepted,
  base,
  errors,
  ok,
  Resources,
  ServerDetails,
  ServerParam,
  StartupVariable,
  tags,
} from "./servers.schemas.ts";
import {
  getStartup,
  POWER_PERMISSION,
  POWER_SIGNALS,
  sendCommand,
  sendPower,
  serverDetails,
  serverResources,
  updateStartupVariable,
} from "./servers.service.ts";

/** The server named in the path, opened for the caller with `requirement` checked. */
export const open = (c: Context<AppEnv>, server: string, requirement?: Requirement) =>
  openServer(c.var.deps, principalOf(c), server, requirement);

const routes = {
  details: createRoute({
    method: "get",
    path: base,
    tags,
    summary: "A server: details, the caller's role and permissions, live state",
    ...serverMember(),
    request: { params: ServerParam },
    responses: { 200: jsonBody(ok(ServerDetails)), ...errors },
  }),
  resources: createRoute({
    method: "get",
    path: `${base}/resources`,
    tags,
    summary: "Live state and usage (cached 20 s, like the panel)",
    ...serverMember(),
    request: { params: ServerParam },
    responses: { 200: jsonBody(ok(Resources)), ...errors },
  }),
  power: createRoute({
    method: "post",
    path: `${base}/power`,
    tags,
    summary: "Start, stop, restart or kill (control.start / control.stop / control.restart)",
    ...serverMember(["servers.power"]),
    request: {
      params: ServerParam,
      body: jsonRequestBody(z.object({ signal: z.enum(POWER_SIGNALS) })),
    },
    responses: { 202: jsonBody(Accepted, "Sent to the server"), ...errors },
  }),
  command: createRoute({
    method: "post",
    path: `${base}/command`,
    tags,
    summary: "Send a console command (control.console); 503 when the server is offline",
    ...serverMember(["servers.command"]),
    request: {
      params: ServerParam,
      body: jsonRequestBody(
        z.object({
          command: z
            .string()
            .min(1)
            .max(1000)
            .refine((v) => !/[\r\n\0]/.test(v), "one line, no NUL"),
        }),
      ),
    },
    responses: { 202: jsonBody(Accepted, "Sent to the console"), ...errors },
  }),
  startup: createRoute({
    method: "get",
    path: `${base}/startup`,
    tags,
    summary: "Startup command and the variables the customer may see (startup.read)",
    ...serverMember(),
    request: { params: ServerParam },
    responses: {
      200: jsonBody(ok(z.object({ startupCommand: z.string(), variables: z.array(StartupVariable) }))),
      ...errors,
    },
  }),
  updateVariable: createRoute({
    method: "put",
    path: `${base}/startup/variable`,
    tags,
    summary: "Set one customer-editable startup variable (startup.update)",
    ...serverMember(),
    request: {
      params: ServerParam,
      body: jsonRequestBody(
        z.object({
          key: z
            .string()
            .min(1)
            .max(191)
            .regex(/^[A-Za-z0-9_]+$/),
          value: z.string().max(4096),
        }),
      ),
    },
    responses: { 200: jsonBody(ok(StartupVariable)), ...errors },
  }),
};

export const serverRoutes = createRouter()
  .openapi(routes.details, async (c) => {
    const ctl = await open(c, c.req.valid("param").server);
    return c.json({ success: true as const, data: await serverDetails(ctl) }, 200);
  })
  .openapi(routes.resources, async (c) => {
    const ctl = await open(c, c.req.valid("param").server);
    return c.json({ success: true as const, data: await serverResources(ctl) }, 200);
  })
  .openapi(routes.power, async (c) => {
    const { signal } = c.req.valid("json");
    const ctl = await open(c, c.req.valid("param").server, POWER_PERMISSION[signal]);
    await sendPower(ctl, signal);
    return c.json({ success: true as const, message: `Power signal ${signal} sent` }, 202);
  })
  .openapi(routes.command, async (c) => {
    const { command } = c.req.valid("json");
    const ctl = await open(c, c.req.valid("param").server, "control.console");
    await sendCommand(ctl, command);
    return c.json({ success: true as const, message: "Command sent" }, 202);
  })
  .openapi(routes.startup, async (c) => {
    const ctl = await open(c, c.req.valid("param").server, "startup.read");
    return c.json({ success: true as const, data: await getStartup(ctl) }, 200);
  })
  .openapi(routes.updateVariable, async (c) => {
    const { key, value } = c.req.valid("json");
    const ctl = await open(c, c.req.valid("param").server, "startup.update");
    return c.json({ success: true as const, data: await updateStartupVariable(ctl, key, value) }, 200);
  });
