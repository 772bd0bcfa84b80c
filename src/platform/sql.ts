// SQL helpers every area shares: a LIKE pattern with the caller's wildcards escaped, and one
// classifier for the Postgres errors that code reacts to (whether drizzle wrapped them or not).

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

export type PgErrorKind = "unique_violation" | "raised_exception" | "invalid_text" | "other";

/** What a Postgres error means to the caller (SQLSTATE classes we handle), or undefined if it is not one. */
export function classifyPgError(err: unknown): { kind: PgErrorKind; fields: PgErrorFields } | undefined {
  const fields = pgError(err);
  if (!fields) return undefined;
  const kind: PgErrorKind =
    fields.code === "23505"
      ? "unique_violation"
      : fields.code === "P0001"
        ? "raised_exception"
        : fields.code === "22P05" || fields.code === "22021"
          ? "invalid_text"
          : "other";
  return { kind, fields };
}

/** True for a unique violation, optionally of one named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const c = classifyPgError(err);
  return c?.kind === "unique_violation" && (constraint === undefined || c.fields.constraint === constraint);
}
