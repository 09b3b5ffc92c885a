import { and, asc, count, eq, like, sql } from "drizzle-orm";
import type { NumberListQuery } from "../../../shared/contracts/numbers.ts";
import type { Scoped } from "../../authz/policy.ts";
import type { Db } from "../../db/client.ts";
import { phoneNumbers } from "../../db/schema/index.ts";
import { notFound } from "../../lib/errors.ts";

export type PhoneNumberRow = typeof phoneNumbers.$inferSelect;

/**
 * One page of the enterprise's numbers in number order, filtered by state and by digits anywhere
 * in the number. Takes the enterprise already scoped to the actor.
 */
export async function listNumbers(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  query: NumberListQuery,
): Promise<{ rows: PhoneNumberRow[]; total: number }> {
  const where = and(
    eq(phoneNumbers.enterpriseId, enterprise.id),
    query.state ? eq(phoneNumbers.state, query.state) : undefined,
    // Digits only (the contract strips everything else), so no LIKE wildcard can get in.
    query.q ? like(phoneNumbers.number, `%${query.q}%`) : undefined,
  );
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(phoneNumbers)
      .where(where)
      .orderBy(asc(phoneNumbers.number))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ n: count() }).from(phoneNumbers).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

/** The enterprise's number, or 404 (another enterprise's id is absent here). */
export async function getNumber(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  numberId: string,
  options: { lock?: boolean } = {},
): Promise<PhoneNumberRow> {
  const query = db
    .select()
    .from(phoneNumbers)
    .where(and(eq(phoneNumbers.enterpriseId, enterprise.id), eq(phoneNumbers.id, numberId)));
  const [row] = options.lock ? await query.for("update") : await query;
  if (!row) throw notFound("Phone number");
  return row;
}

/** A PostgreSQL array literal of E.164 numbers (digits and `+` only: nothing to escape). */
export function numberArray(numbers: readonly string[]): string {
  return `{${numbers.join(",")}}`;
}

/**
 * Which of these numbers any enterprise of the platform already holds, in number order: one
 * query with one array parameter, whatever the count.
 */
export async function listTakenNumbers(db: Db, numbers: readonly string[]): Promise<string[]> {
  if (numbers.length === 0) return [];
  const rows = await db
    .select({ number: phoneNumbers.number })
    .from(phoneNumbers)
    .where(sql`${phoneNumbers.number} = any(${numberArray(numbers)}::text[])`)
    .orderBy(asc(phoneNumbers.number));
  return rows.map((r) => r.number);
}
