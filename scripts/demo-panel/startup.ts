// Demo panel: PATCH /api/application/servers/{id}/startup as the panel runs it: request validation,
// then VariableValidatorService over *every* egg variable (absent ones are stored as ""), then save.
import type { PanelData } from "./data.ts";
import type { ErrorEntry, Reply } from "./fractal.ts";
import type { Server } from "./model.ts";

type Json = unknown;

/** Laravel's TrimStrings + ConvertEmptyStringsToNull, applied to JSON input recursively. */
export function laravelClean(value: Json): Json {
  if (typeof value === "string") {
    const trimmed = value.trim();
    return trimmed === "" ? null : trimmed;
  }
  if (Array.isArray(value)) return value.map(laravelClean);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, laravelClean(v)]));
  }
  return value;
}

const isArrayish = (v: Json) => typeof v === "object" && v !== null;
const isNumeric = (v: Json) =>
  typeof v === "number" || (typeof v === "string" && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v));

/** Validates one value against a Laravel rule string; returns [rule, message] failures. */
export function check(value: Json, present: boolean, rules: string, label: string): [string, string][] {
  const list = rules.split("|").filter((r) => r !== "");
  const names = list.map((r) => r.split(":")[0]);
  const empty = value === null || value === undefined;
  if (names.includes("required") && empty) return [["required", `The ${label} field is required.`]];
  if (names.includes("present") && !present) return [["present", `The ${label} field must be present.`]];
  if (empty && (!present || names.includes("nullable"))) return [];
  const numeric = names.includes("numeric") || names.includes("integer");
  const size = (v: Json) =>
    numeric && isNumeric(v) ? Number(v) : Array.isArray(v) ? v.length : String(v).length;
  const out: [string, string][] = [];
  for (const rule of list) {
    const idx = rule.indexOf(":");
    const name = idx < 0 ? rule : rule.slice(0, idx);
    const arg = idx < 0 ? "" : rule.slice(idx + 1);
    let message: string | null = null;
    if (name === "string" && typeof value !== "string") message = `The ${label} must be a string.`;
    if (name === "array" && !isArrayish(value)) message = `The ${label} must be an array.`;
    if (name === "boolean" && ![true, false, 0, 1, "0", "1"].includes(value as never)) {
      message = `The ${label} field must be true or false.`;
    }
    if (name === "numeric" && !isNumeric(value)) message = `The ${label} must be a number.`;
    if (name === "integer" && !(isNumeric(value) && Number.isInteger(Number(value))))
      message = `The ${label} must be an integer.`;
    if (name === "max" && size(value) > Number(arg)) {
      message = numeric
        ? `The ${label} may not be greater than ${arg}.`
        : `The ${label} may not be greater than ${arg} characters.`;
    }
    if (name === "in" && !arg.split(",").includes(String(value)))
      message = `The selected ${label} is invalid.`;
    if (name === "alpha_dash" && !/^[\p{L}\p{M}\p{N}_-]+$/u.test(String(value))) {
      message = `The ${label} may only contain letters, numbers, dashes and underscores.`;
    }
    if (name === "regex") {
      const m = /^\/(.*)\/([a-z]*)$/s.exec(arg);
      const ok =
        typeof value === "string" &&
        m?.[1] !== undefined &&
        new RegExp(m[1], m[2]?.replace(/[^imsu]/g, "")).test(value);
      if (!ok) message = `The ${label} format is invalid.`;
    }
    if (message) out.push([name, message]);
  }
  return out;
}

const invalid = (errors: ErrorEntry[]): Reply => ({ status: 422, body: { errors } });
const entry = (field: string, [rule, detail]: [string, string]): ErrorEntry => ({
  code: "ValidationException",
  status: "422",
  detail,
  meta: { source_field: field, rule },
});

/** Applies the request to `server`; returns a 422 Reply on validation failure, or null when saved. */
export function updateStartup(data: PanelData, server: Server, raw: Json): Reply | null {
  const body = (isArrayish(raw) && !Array.isArray(raw) ? laravelClean(raw) : {}) as Record<string, Json>;
  const has = (k: string) => Object.hasOwn(body, k);
  const errors: ErrorEntry[] = [];
  const field = (key: string, rules: string, label: string) => {
    for (const f of check(body[key] ?? null, has(key), rules, label)) errors.push(entry(key, f));
  };
  field("startup", "required|string", "startup");
  field("environment", "present|array", "environment");
  field("egg", "required", "egg");
  if (body.egg !== null && body.egg !== undefined && !data.tables.eggs.has(Number(body.egg))) {
    errors.push(entry("egg", ["exists", "The selected egg is invalid."]));
  }
  field("image", "required|string|max:191|regex:/^~?[\\w\\.\\/\\-:@ ]*$/", "image");
  field("skip_scripts", "present|boolean", "skip scripts");
  if (errors.length > 0) return invalid(errors);

  const eggId = Number(body.egg);
  const environment = body.environment as Record<string, Json> | Json[];
  const envEntries = Array.isArray(environment) ? {} : environment;
  const values = new Map<number, string>();
  if (Object.keys(environment).length > 0) {
    for (const v of data.indexes.variablesByEgg.get(eggId) ?? []) {
      const value = envEntries[v.envVariable] ?? null;
      for (const f of check(value, true, v.rules, `${v.name} variable`))
        errors.push(entry(`environment.${v.envVariable}`, f));
      values.set(v.id, value === null ? "" : String(value));
    }
    if (errors.length > 0) return invalid(errors);
  }
  for (const [id, value] of values) server.variables.set(id, value);
  const egg = data.tables.eggs.get(eggId);
  data.updateServer(server.id, {
    ...(egg && egg.id !== server.eggId ? { eggId: egg.id, nestId: egg.nestId } : {}),
    startup: String(body.startup),
    skipScripts: body.skip_scripts === true || body.skip_scripts === 1 || body.skip_scripts === "1",
    image: String(body.image),
  });
  return null;
}
