import { and, eq, sql } from "drizzle-orm";
import type { Ctx } from "../../../context.ts";
import { phoneNumbers } from "../../../db/schema/index.ts";
import { numberArray } from "../../numbers/index.ts";

/**
 * Makes `numbers` (of the enterprise's inventory) exactly the inventory numbers assigned to the user: the ones it no longer uses
 * become available, the given ones assigned to it. Two statements, whatever the count.
 */
export async function assignInventoryNumbers(
  ctx: Ctx,
  enterpriseId: string,
  userId: string,
  numbers: readonly string[],
): Promise<void> {
  await ctx.tx
    .update(phoneNumbers)
    .set({ state: "available", assignedUserId: null, updatedAt: ctx.now })
    .where(
      and(
        eq(phoneNumbers.assignedUserId, userId),
        sql`not (${phoneNumbers.number} = any(${numberArray(numbers)}::text[]))`,
      ),
    );
  if (numbers.length === 0) return;
  await ctx.tx
    .update(phoneNumbers)
    .set({ state: "assigned", assignedUserId: userId, updatedAt: ctx.now })
    .where(
      and(
        eq(phoneNumbers.enterpriseId, enterpriseId),
        sql`${phoneNumbers.number} = any(${numberArray(numbers)}::text[])`,
      ),
    );
}
