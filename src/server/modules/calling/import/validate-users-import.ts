import { and, eq, sql } from "drizzle-orm";
import type { ConfigureUserBody } from "../../../../shared/contracts/calling.ts";
import type { UsersCsvProblem } from "../../../../shared/contracts/users-csv.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Db } from "../../../db/client.ts";
import { users } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { textArray } from "../../../lib/sql.ts";
import { assertSeatsFree, checkCallingCandidates } from "../calling.rules.ts";
import { columnOfField, type ParsedUserRow } from "./parse-users-csv.ts";

/** A validated row: the user it configures, and whether it replaces a configuration. */
export interface ImportRow {
  line: number;
  userId: string;
  existing: boolean;
  input: ConfigureUserBody;
}

/**
 * The second phase of a bulk upload: every row against the database, read-only, with one lookup
 * per kind for the whole file (the rules of `checkCallingCandidates`): the Teams user is a synced
 * user of the enterprise, once in the file; a configured user is refused unless the upload updates
 * existing users; and the new users fit the user limit. Returns the rows to apply, or every
 * problem by line and column.
 */
export async function validateUsersImport(
  db: Db,
  enterprise: Scoped<{ id: string; userLimit: number | null }>,
  parsed: readonly ParsedUserRow[],
  options: { updateExisting: boolean },
): Promise<{ rows: ImportRow[]; problems: UsersCsvProblem[] }> {
  const problems: UsersCsvProblem[] = [];
  const upns = [...new Set(parsed.map((r) => r.userPrincipalName.toLowerCase()))];
  const found =
    upns.length === 0
      ? []
      : await db
          .select({ id: users.id, upn: users.userPrincipalName, removedAt: users.removedAt })
          .from(users)
          .where(
            and(
              eq(users.enterpriseId, enterprise.id),
              sql`lower(${users.userPrincipalName}) = any(${textArray(upns)}::text[])`,
            ),
          );
  const byUpn = new Map(found.filter((u) => !u.removedAt).map((u) => [u.upn.toLowerCase(), u.id]));
  const seen = new Map<string, number>();
  const resolved: { row: ParsedUserRow; userId: string }[] = [];
  for (const row of parsed) {
    const upn = row.userPrincipalName.toLowerCase();
    const userId = byUpn.get(upn);
    const first = seen.get(upn);
    if (!userId)
      problems.push({
        row: row.line,
        column: "Teams user",
        message: `${row.userPrincipalName} is not a synced user of this enterprise (sync the users first)`,
      });
    else if (first !== undefined)
      problems.push({
        row: row.line,
        column: "Teams user",
        message: `${row.userPrincipalName} is already on line ${first}`,
      });
    else resolved.push({ row, userId });
    if (first === undefined) seen.set(upn, row.line);
  }
  const { problems: byRow, facts } = await checkCallingCandidates(
    db,
    enterprise,
    resolved.map(({ row, userId }) => ({ userId, input: row.input })),
  );
  // Where a SIP user or a number first appears, so a later row can say which line holds it.
  const firstLine = new Map<string, number>();
  for (const { row } of resolved)
    for (const key of [
      row.input.sipUser?.toLowerCase(),
      row.input.phoneNumber,
      ...row.input.forwardedDids,
    ])
      if (key && !firstLine.has(key)) firstLine.set(key, row.line);
  const rows: ImportRow[] = [];
  resolved.forEach(({ row, userId }, i) => {
    const rowProblems = Object.entries(byRow[i] ?? {});
    for (const [field, message] of rowProblems) {
      const repeated = /^(\S+) is given to another user above$/.exec(message)?.[1];
      const line = repeated ? firstLine.get(repeated.toLowerCase()) : undefined;
      problems.push({
        row: row.line,
        column: columnOfField[field] ?? null,
        message: line ? `${repeated} is already on line ${line}` : message,
      });
    }
    const existing = facts.existing.get(userId);
    if (existing?.deletedAt)
      problems.push({
        row: row.line,
        column: "Teams user",
        message: `${row.userPrincipalName} was deleted: restore it before updating it`,
      });
    else if (existing && !options.updateExisting)
      problems.push({
        row: row.line,
        column: "Teams user",
        message: `${row.userPrincipalName} is already configured: choose "Update existing users" to replace it`,
      });
    if (rowProblems.length === 0)
      rows.push({ line: row.line, userId, existing: existing !== undefined, input: row.input });
  });
  const adding = rows.filter((r) => !r.existing).length;
  try {
    await assertSeatsFree(db, enterprise, adding);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    problems.push({ row: 1, column: null, message: error.message });
  }
  problems.sort((a, b) => a.row - b.row);
  return { rows, problems };
}
