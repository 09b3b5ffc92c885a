import { eq } from "drizzle-orm";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { phoneNumbers } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { auditPathOf, type EnterpriseRow } from "../../enterprises/index.ts";
import { getNumber } from "../numbers.queries.ts";

/** Removes a number from the enterprise's inventory; refused (409) while it is assigned. */
export async function removeNumber(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
  numberId: string,
): Promise<void> {
  const row = await getNumber(ctx.tx, enterprise, numberId, { lock: true });
  if (row.state === "assigned")
    throw new AppError(
      "conflict",
      `${row.number} is assigned to a user: unassign it before removing it`,
    );
  await ctx.tx.delete(phoneNumbers).where(eq(phoneNumbers.id, numberId));
  const { createdAt: _c, updatedAt: _u, ...before } = row;
  await ctx.emit("number.removed", {
    subject: { type: "phone_number", id: row.id, label: row.number },
    path: auditPathOf(enterprise),
    payload: { before },
  });
}
