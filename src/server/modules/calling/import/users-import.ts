import type {
  UsersCsvProblem,
  UsersImportQuery,
  UsersImportView,
} from "../../../../shared/contracts/users-csv.ts";
import { newId } from "../../../../shared/ids.ts";
import { actorIdOf } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { userImports } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { seal } from "../../../lib/secrets.ts";
import type { EnterpriseRow } from "../../enterprises/index.ts";
import { lockEnterpriseSeats } from "../calling.queries.ts";
import { usersImportJob } from "../jobs/users-import.job.ts";
import { parseUsersCsv } from "./parse-users-csv.ts";
import { type ImportRow, validateUsersImport } from "./validate-users-import.ts";

type ImportRecord = typeof userImports.$inferSelect;

export function presentImport(row: ImportRecord): UsersImportView {
  return {
    id: row.id,
    service: row.service,
    status: row.status,
    total: row.total,
    applied: row.applied,
    created: row.created,
    updated: row.updated,
    error: row.error,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/** A refused file: every problem, by line and column; nothing was applied. */
export function importRefused(problems: UsersCsvProblem[]): AppError {
  const shown = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return new AppError("validation_failed", `The file has ${shown}; nothing was applied`, {
    rows: problems,
  });
}

/**
 * Phases one and two of a bulk upload, then the start of the third: the file is parsed and every
 * row validated (nothing written while any row fails: 400 with the per-row report); the rows are
 * then stored, passwords sealed, and a job applies them in chunks. Returns the import to follow.
 */
export async function startUsersImport(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
  file: string,
  options: UsersImportQuery,
  push: boolean,
): Promise<ImportRecord> {
  const parsed = await parseUsersCsv(file, options);
  await lockEnterpriseSeats(ctx.tx, enterprise);
  // The rows that passed the row schema are checked against the database too, so the report
  // names every problem of the file at once.
  const { rows, problems } = await validateUsersImport(ctx.tx, enterprise, parsed.rows, options);
  const all = [...parsed.problems, ...problems].sort((a, b) => a.row - b.row);
  if (all.length > 0) throw importRefused(all);
  const sealed: ImportRow[] = rows.map((r) => ({
    ...r,
    input: {
      ...r.input,
      ...(r.input.sipPassword
        ? { sipPassword: seal(ctx.services.secret, r.input.sipPassword) }
        : {}),
    },
  }));
  const [row] = await ctx.tx
    .insert(userImports)
    .values({
      id: newId("userImport"),
      enterpriseId: enterprise.id,
      service: options.service,
      push,
      total: rows.length,
      rows: sealed,
      actorAccountId: ctx.who.actor ? actorIdOf(ctx.who.actor) : null,
      actorLabel: ctx.who.label,
      clientAddress: ctx.who.clientAddress,
      startedAt: ctx.now,
    })
    .returning();
  await ctx.enqueue(usersImportJob, { importId: row!.id });
  return row!;
}
