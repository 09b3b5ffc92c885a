import { eq, getTableColumns, sql } from "drizzle-orm";
import { system } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import { inTransaction } from "../../../context.ts";
import { enterprises, userImports } from "../../../db/schema/index.ts";
import type { Services } from "../../../services.ts";
import type { EnterpriseRow } from "../../enterprises/index.ts";
import { assertSeatsFree, checkCallingCandidates } from "../calling.rules.ts";
import { applyImportRows } from "./apply-users-import.ts";
import type { ImportRow } from "./validate-users-import.ts";

type ImportRecord = typeof userImports.$inferSelect;

/** How many rows one transaction of the apply phase writes. */
export const importChunkSize = 2500;

/**
 * The third phase, resumable: applies the stored rows from `applied` on, one chunk a
 * transaction, each chunk checked again under the enterprise's lock (something may have changed
 * since the file was validated: then the import stops there, with the reason). The progress is
 * the `applied` counter; the stored rows are cleared when the import ends.
 */
export async function applyUsersImport(services: Services, importId: string): Promise<void> {
  // The rows are read once; each chunk's transaction locks the import and reads its counters.
  const [stored] = await services.db
    .select({ rows: userImports.rows })
    .from(userImports)
    .where(eq(userImports.id, importId));
  const all = (stored?.rows ?? []) as ImportRow[];
  const { rows: _rows, ...counters } = getTableColumns(userImports);
  for (;;) {
    const done = await inTransaction(services, system, async (ctx) => {
      const [record] = await ctx.tx
        .select(counters)
        .from(userImports)
        .where(eq(userImports.id, importId))
        .for("update");
      if (record?.status !== "running") return true;
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
      const { problems, facts } = await checkCallingCandidates(
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
        facts,
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
