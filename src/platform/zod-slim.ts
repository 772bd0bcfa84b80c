// The Worker's "zod" (wrangler.toml [alias]): zod 4's classic API without `z.locales`, which
// @hono/zod-openapi's `import { z } from "zod"` would otherwise pull in whole (~260 KiB of
// translations; English messages still come from schemas.js). Relative paths on purpose: the
// alias also rewrites "zod/…" specifiers.
import * as z from "./zod-slim-external.ts";

export * from "./zod-slim-external.ts";
export { z, z as default };
