/**
 * Errors as they may appear in logs. Database drivers put a failed query's bound parameters into
 * the error (drizzle's "Failed query: … params: …" message and `params`, PGlite's `params`,
 * PostgreSQL's `detail` with the failing row), and those parameters carry password hashes, tokens
 * and personal data. This keeps what helps to diagnose (type, SQL text with placeholders, SQLSTATE,
 * constraint, table) and drops every value.
 */

/** Properties that hold or repeat query values; never logged. */
const valueProperties = new Set([
  "params",
  "parameters",
  "values",
  "queryOptions",
  "detail",
  "where",
  "internalQuery",
  "internalPosition",
  "position",
]);

const maxDepth = 5;

/** The message without what follows drizzle's `\nparams:` line. */
function withoutParams(message: string): string {
  const at = message.indexOf("\nparams:");
  return at === -1 ? message : `${message.slice(0, at)}\nparams: [not logged]`;
}

/** True for a PostgreSQL server error (PGlite's and node-postgres' alike): SQLSTATE + severity. */
function isPostgresError(error: Record<string, unknown>): boolean {
  return (
    typeof error.code === "string" &&
    /^[0-9A-Z]{5}$/.test(error.code) &&
    typeof error.severity === "string"
  );
}

/** PostgreSQL quotes the offending value after a colon (`invalid input syntax for type x: "…"`). */
function withoutQuotedValues(message: string): string {
  return message.replace(/: "(?:[^"]|"")*"/g, ': "[not logged]"');
}

function serialize(error: unknown, depth: number): unknown {
  if (!(error instanceof Error) || depth > maxDepth) {
    if (error instanceof Error || typeof error !== "object" || error === null) return error;
    return "[not logged]";
  }
  const record = error as unknown as Record<string, unknown>;
  const scrub = isPostgresError(record)
    ? (text: string) => withoutQuotedValues(withoutParams(text))
    : withoutParams;
  const out: Record<string, unknown> = {
    type: error.constructor?.name ?? error.name,
    message: scrub(error.message),
  };
  if (typeof error.stack === "string") {
    // The stack starts with the unscrubbed message; keep only the frames after it.
    const head = `${error.name}: ${error.message}`;
    const rest = error.stack.startsWith(head) ? error.stack.slice(head.length) : "";
    const frames = rest.indexOf("\n    at ");
    out.stack = `${error.name}: ${out.message as string}${frames === -1 ? "" : rest.slice(frames)}`;
  }
  for (const [key, value] of Object.entries(record)) {
    if (key in out || key === "cause" || valueProperties.has(key)) continue;
    // `code` is redacted in logs (invitation codes); a SQLSTATE is worth keeping.
    if (key === "code" && isPostgresError(record)) {
      out.sqlState = value;
      continue;
    }
    if (key === "query" && typeof value !== "string") continue;
    out[key] =
      value instanceof Error
        ? serialize(value, depth + 1)
        : typeof value === "string"
          ? scrub(value)
          : value;
  }
  if (error.cause !== undefined) out.cause = serialize(error.cause, depth + 1);
  if (error instanceof AggregateError)
    out.errors = error.errors.map((inner) => serialize(inner, depth + 1));
  return out;
}

/** pino's `err` serializer: the error without any query parameter, at any depth of `cause`. */
export function serializeErrorForLog(error: unknown): unknown {
  return serialize(error, 0);
}

/** The message pino prints for an error logged on its own (`log.error(err)`), scrubbed. */
export function errorMessageForLog(error: Error): string {
  return (serialize(error, 0) as { message: string }).message;
}
