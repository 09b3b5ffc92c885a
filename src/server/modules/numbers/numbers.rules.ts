import { sql } from "drizzle-orm";
import { newIds } from "../../../shared/ids.ts";
import type { Scoped } from "../../authz/policy.ts";
import type { Db } from "../../db/client.ts";
import { AppError, fieldError } from "../../lib/errors.ts";
import { isUniqueViolation } from "../../lib/sql.ts";
import { listTakenNumbers, numberArray } from "./numbers.queries.ts";

/** How many clashing numbers an error names. */
const clashesShown = 10;

/**
 * The answer when numbers are already held: it lists up to ten of them and never says by which
 * enterprise (a number belongs to one enterprise; who that is stays private).
 */
export function numbersTaken(field: string, taken: readonly string[]): AppError {
  const shown = taken.slice(0, clashesShown).join(", ");
  const more = taken.length > clashesShown ? ` and ${taken.length - clashesShown} more` : "";
  const verb = taken.length === 1 ? "is" : "are";
  return fieldError(
    { [field]: `${shown}${more} ${verb} already in use; nothing was added` },
    "conflict",
    "Some numbers are already in use",
  );
}

/** Refuses (409, listing them) when any of the numbers is held anywhere on the platform. */
export async function assertNumbersFree(db: Db, field: string, numbers: readonly string[]) {
  const taken = await listTakenNumbers(db, numbers);
  if (taken.length > 0) throw numbersTaken(field, taken);
}

/**
 * Inserts the numbers into the enterprise's inventory as available voice numbers in one
 * set-based statement. A number taken concurrently fails the whole insert with the same 409.
 */
export async function insertNumbers(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  numbers: readonly string[],
  now: Date,
  field: string,
): Promise<void> {
  const ids = newIds("phoneNumber", numbers.length);
  const at = now.toISOString();
  await db
    .execute(
      sql`insert into phone_numbers (id, enterprise_id, number, created_at, updated_at)
        select unnest(${`{${ids.join(",")}}`}::text[]), ${enterprise.id},
          unnest(${numberArray(numbers)}::text[]), ${at}::timestamptz, ${at}::timestamptz`,
    )
    .catch(async (error: unknown) => {
      if (!isUniqueViolation(error, "phone_numbers_number_key")) throw error;
      throw new AppError("conflict", "Some numbers are already in use", {
        fields: { [field]: "Some of these numbers were just added elsewhere; nothing was added" },
      });
    });
}
