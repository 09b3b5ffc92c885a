import { eq, sql } from "drizzle-orm";
import type {
  UsersCsvProblem,
  UsersImportQuery,
  UsersImportView,
} from "../../../../shared/contracts/users-csv.ts";
import { newId } from "../../../../shared/ids.ts";
import { actorIdOf, type Who } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import { type Ctx, inTransaction } from "../../../context.ts";
import { enterprises, userImports } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { seal } from "../../../lib/secrets.ts";
import type { Services } from "../../../services.ts";
import type { EnterpriseRow } from "../../enterprises/index.ts";
import { lockEnterpriseSeats } from "../calling.queries.ts";
import { assertSeatsFree, checkCallingCandidates } from "../calling.rules.ts";
import { usersImportJob } from "../jobs/users-import.job.ts";
import { applyImportRows } from "./apply-users-import.ts";
import { parseUsersCsv } from "./parse-users-csv.ts";
import { type ImportRow, validateUsersImport } from "./validate-users-import.ts";

type ImportRecord = typeof userImports.$inferSelect;

/** How many rows one transaction of the apply phase writes. */
export const importChunkSize = 1000;

const system: Who = { actor: null, label: "system", clientAddress: null };

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

/**
 * The third phase, resumable: applies the stored rows from `applied` on, one chunk a
 * transaction, each chunk checked again under the enterprise's lock (something may have changed
 * since the file was validated: then the import stops there, with the reason). The progress is
 * the `applied` counter; the stored rows are cleared when the import ends.
 */
export async function applyUsersImport(services: Services, importId: string): Promise<void> {
  for (;;) {
    const done = await inTransaction(services, system, async (ctx) => {
      const [record] = await ctx.tx
        .select()
        .from(userImports)
        .where(eq(userImports.id, importId))
        .for("update");
      if (!record || record.status !== "running") return true;
      const all = (record.rows ?? []) as ImportRow[];
      const chunk = all.slice(record.applied, record.applied + importChunkSize);
      const finish = (set: Partial<ImportRecord>) =>
        ctx.tx
          .update(userImports)
          .set({ ...set, rows: null, finishedAt: ctx.now })
          .where(eq(userImports.id, importId));
      if (chunk.length === 0) {
        await finish({ status: "succeeded" });
        return true;
      }
      const [enterprise] = await ctx.tx
        .select()
        .from(enterprises)
        .where(eq(enterprises.id, record.enterpriseId))
        .for("update");
      const scoped = enterprise as Scoped<EnterpriseRow>;
      const { problems } = await checkCallingCandidates(
        ctx.tx,
        scoped,
        chunk.map((r) => ({
          userId: r.userId,
          input: { ...r.input, sipPassword: r.input.sipPassword ?? undefined },
        })),
      );
      const bad = problems.findIndex((p) => Object.keys(p).length > 0);
      const adding = chunk.filter((r) => !r.existing).length;
      let error: string | null = null;
      if (bad !== -1)
        error = `Line ${chunk[bad]!.line} changed since the file was checked: ${Object.values(problems[bad]!).join("; ")}`;
      else
        await assertSeatsFree(ctx.tx, enterprise!, adding).catch((e: unknown) => {
          error = e instanceof Error ? e.message : String(e);
        });
      if (error) {
        await finish({ status: "failed", error });
        return true;
      }
      const counts = await applyImportRows(
        ctx,
        {
          enterprise: enterprise!,
          push: record.push,
          actor: {
            accountId: record.actorAccountId,
            label: record.actorLabel,
            clientAddress: record.clientAddress,
          },
        },
        chunk,
      );
      await ctx.tx
        .update(userImports)
        .set({
          applied: sql`${userImports.applied} + ${chunk.length}`,
          created: sql`${userImports.created} + ${counts.created}`,
          updated: sql`${userImports.updated} + ${counts.updated}`,
        })
        .where(eq(userImports.id, importId));
      return false;
    });
    if (done) return;
  }
}
