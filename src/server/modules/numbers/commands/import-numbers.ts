import {
  type ImportRowProblem,
  maxImportRows,
  type NumbersAdded,
  normalizePhoneNumber,
} from "../../../../shared/contracts/numbers.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { parseCsv } from "../../../lib/csv.ts";
import { AppError, fieldError } from "../../../lib/errors.ts";
import { auditPathOf, type EnterpriseRow } from "../../enterprises/index.ts";
import { listTakenNumbers } from "../numbers.queries.ts";
import { insertNumbers } from "../numbers.rules.ts";

const messages: Record<ImportRowProblem["problem"], string> = {
  format: "Not a phone number: + and 8 to 15 digits (E.164)",
  duplicate_in_file: "Appears earlier in the file",
  taken: "Already in use",
};

/**
 * "Import CSV": a header `number` and one number a row. The whole file is checked first (format,
 * duplicates in the file, numbers held anywhere on the platform); if any row fails, nothing is
 * imported and the error carries the per-row report. Otherwise one set-based insert adds them all.
 */
export async function importNumbers(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
  csv: string,
): Promise<NumbersAdded> {
  const parsed = parseCsv(csv);
  if (!parsed.ok) throw fieldError({ file: `Line ${parsed.line}: ${parsed.problem}` });
  const [header, ...records] = parsed.records.filter(
    (r) => !(r.fields.length === 1 && r.fields[0]!.trim() === ""),
  );
  const column = header?.fields.findIndex((f) => f.trim().toLowerCase() === "number") ?? -1;
  if (!header || column < 0)
    throw fieldError({ file: "The first line must be the header: number" });
  if (records.length === 0) throw fieldError({ file: "The file holds no numbers" });
  if (records.length > maxImportRows)
    throw fieldError({
      file: `The file holds ${records.length.toLocaleString("en")} numbers; at most ${maxImportRows.toLocaleString("en")} at a time`,
    });

  const problems: ImportRowProblem[] = [];
  const seen = new Set<string>();
  const rows: { row: number; raw: string; number: string }[] = [];
  for (const record of records) {
    const raw = record.fields[column] ?? "";
    const number = normalizePhoneNumber(raw);
    const problem = number === null ? "format" : seen.has(number) ? "duplicate_in_file" : null;
    if (problem)
      problems.push({ row: record.line, number: raw, problem, message: messages[problem] });
    else rows.push({ row: record.line, raw, number: number! });
    if (number) seen.add(number);
  }
  const taken = new Set(
    await listTakenNumbers(
      ctx.tx,
      rows.map((r) => r.number),
    ),
  );
  for (const r of rows)
    if (taken.has(r.number))
      problems.push({ row: r.row, number: r.raw, problem: "taken", message: messages.taken });
  if (problems.length > 0) {
    problems.sort((a, b) => a.row - b.row);
    throw new AppError(
      "validation_failed",
      `${problems.length} of ${records.length} rows cannot be imported; nothing was imported`,
      {
        fields: { file: `${problems.length} rows cannot be imported; see the report` },
        rows: problems,
      },
    );
  }

  const numbers = rows.map((r) => r.number);
  await insertNumbers(ctx.tx, enterprise, numbers, ctx.now, "file");
  const sorted = [...numbers].sort();
  const imported = { count: numbers.length, first: sorted[0]!, last: sorted.at(-1)! };
  await ctx.emit("numbers.imported", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: { after: imported },
  });
  return imported;
}
