// The one Hono environment type shared by every router: bindings plus per-request variables.
import type { Principal } from "./auth/access.ts";
import type { Database } from "./db/client.ts";
import type { Bindings, Config } from "./env.ts";
import type { Logger } from "./lib/log.ts";

export interface AppVariables {
  requestId: string;
  config: Config;
  db: Database;
  log: Logger;
  principal?: Principal;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: AppVariables;
}
