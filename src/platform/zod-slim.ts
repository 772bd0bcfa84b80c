// The Worker's "zod" (wrangler.toml [alias]): zod 4's classic API without `z.locales`, which
// @hono/zod-openapi's `import { z } from "zod"` would otherwise pull in whole (~260 KiB of
// translations; English messages still come from schemas.js). Relative paths on purpose: the
// alias also rewrites "zod/…" specifiers.
//
// `z` is an object of the members this Worker uses, not the module's namespace: a namespace
// handed to @hono/zod-openapi (which patches `z.ZodType`) keeps every export alive, while this
// object lets the bundler drop the schema kinds nothing builds. A member missing here is
// `undefined` at run time: add it (typecheck sees the real zod, and every test imports the
// routes that build their schemas at load time).
import {
  array,
  boolean,
  coerce,
  custom,
  email,
  enum as enumOf,
  iso,
  literal,
  null as nullOf,
  number,
  object,
  record,
  string,
  union,
  unknown,
  url,
  uuid,
  ZodError,
  ZodType,
} from "./zod-slim-external.ts";

export * from "./zod-slim-external.ts";

export const z = {
  array,
  boolean,
  coerce,
  custom,
  email,
  enum: enumOf,
  iso,
  literal,
  null: nullOf,
  number,
  object,
  record,
  string,
  union,
  unknown,
  url,
  uuid,
  ZodError,
  ZodType,
};
export default z;
