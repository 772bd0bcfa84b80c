// SQL helpers every area shares: a LIKE pattern with the caller's wildcards escaped, and one
// classifier for the Postgres errors that code reacts to (whether drizzle wrapped them or not),
// including whether an error is deterministic in the data (SQLSTATE classes 22 and 23).

/** `%term%` for ILIKE with `\`, `%` and `_` in the term matched literally. */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}

export interface PgErrorFields {
  code?: string;
  constraint?: string;
  message?: string;
}

/** Postgres error fields, from a drizzle-wrapped error (`cause`) or a batch's bare NeonDbError. */
export function pgError(err: unknown): PgErrorFields | undefined {
  const e = (err as { cause?: unknown })?.cause ?? err;
  if (e && typeof e === "object" && "code" in e && typeof (e as { code: unknown }).code === "string") {
    return e as PgErrorFields;
  }
  return undefined;
}

export type PgErrorKind =
  | "unique_violation"
  | "raised_exception"
  | "invalid_text"
  | "data_exception"
  | "integrity_violation"
  | "other";

/**
 * What a Postgres error means to the caller (SQLSTATE classes we handle), or undefined if it is
 * not one. `deterministic`: class 22 (data exception) or 23 (integrity constraint violation), the
 * same rows fail the same way on every retry.
 */
export function classifyPgError(
  err: unknown,
): { kind: PgErrorKind; fields: PgErrorFields; deterministic: boolean } | undefined {
  const fields = pgError(err);
  if (!fields) return undefined;
  const code = fields.code ?? "";
  const kind: PgErrorKind =
    code === "23505"
      ? "unique_violation"
      : code === "P0001"
        ? "raised_exception"
        : code === "22P05" || code === "22021"
          ? "invalid_text"
          : code.startsWith("22")
            ? "data_exception"
            : code.startsWith("23")
              ? "integrity_violation"
              : "other";
  return { kind, fields, deterministic: code.startsWith("22") || code.startsWith("23") };
}

/** True for a unique violation, optionally of one named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const c = classifyPgError(err);
  return c?.kind === "unique_violation" && (constraint === undefined || c.fields.constraint === constraint);
}
