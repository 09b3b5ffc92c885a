/** A LIKE/ILIKE pattern matching `text` anywhere, with the user's own wildcards escaped. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** True when a database error is a unique violation (SQLSTATE 23505) of the named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    const candidate = e as {
      code?: string;
      constraint?: string;
      message?: string;
      cause?: unknown;
    };
    if (candidate.code === "23505") {
      if (!constraint) return true;
      return candidate.constraint === constraint || (candidate.message ?? "").includes(constraint);
    }
    e = candidate.cause;
  }
  return false;
}

/**
 * How many rows an INSERT, UPDATE or DELETE touched, from `db.execute`'s result (PostgreSQL and
 * PGlite both report `rowCount`): counts without returning the rows themselves.
 */
export function affectedRows(result: unknown): number {
  return (result as { rowCount?: number | null }).rowCount ?? 0;
}

/**
 * A PostgreSQL array literal of any strings, each element quoted and escaped, to bind as one
 * parameter (`= any(${textArray(values)}::text[])`): one parameter however many values, where a
 * list of parameters costs the planner per value.
 */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}
