// The one Hono environment type shared by every router: bindings plus per-request variables.
import type { Database } from "./db/client.ts";
import type { Deps } from "./deps.ts";
import type { Bindings, Config } from "./env.ts";
import type { Logger } from "./log.ts";
import type { Principal } from "./principal.ts";

export interface AppVariables {
  requestId: string;
  config: Config;
  db: Database;
  /** The request logger (stamped with requestId): the one handlers use. */
  log: Logger;
  /** The dependency seam of this request; its actor is the principal once access has run. */
  deps: Deps;
  principal?: Principal;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: AppVariables;
}
