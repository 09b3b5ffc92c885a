import type { NumbersAdded } from "../../../../shared/contracts/numbers.ts";
import { type AddNumbersBody, expandRange } from "../../../../shared/contracts/numbers.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { auditPathOf, type EnterpriseRow } from "../../enterprises/index.ts";
import { assertNumbersFree, insertNumbers } from "../numbers.rules.ts";

/**
 * "Add numbers": one number or a range (the contract checked its bounds). All or nothing: when any
 * number of the range is held anywhere on the platform, nothing is added and the error lists
 * (up to ten of) the clashing numbers, never who holds them.
 */
export async function addNumbers(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
  body: AddNumbersBody,
): Promise<NumbersAdded> {
  const numbers = body.number ? [body.number] : expandRange(body.from!, body.to!);
  const field = body.number ? "number" : "from";
  await assertNumbersFree(ctx.tx, field, numbers);
  await insertNumbers(ctx.tx, enterprise, numbers, ctx.now, field);
  const added = { count: numbers.length, first: numbers[0]!, last: numbers.at(-1)! };
  await ctx.emit("numbers.added", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: { after: added },
  });
  return added;
}
