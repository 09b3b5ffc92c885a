import { eq } from "drizzle-orm";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { pbxes } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { auditPathOf, type EnterpriseRow } from "../../enterprises/index.ts";
import { pbxSnapshot } from "../pbx.presenter.ts";
import { getPbx, pbxInUse } from "../pbx.queries.ts";

/** Deletes a PBX location no user is configured with (409 while one is). */
export async function deletePbx(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
  pbxId: string,
): Promise<void> {
  const { pbx } = await getPbx(ctx.tx, enterprise, pbxId, { lock: true });
  if (await pbxInUse(ctx.tx, pbx))
    throw new AppError(
      "conflict",
      `Users are configured with the PBX location ${pbx.locationName}: move them to another location first`,
    );
  await ctx.tx.delete(pbxes).where(eq(pbxes.id, pbxId));
  await ctx.emit("pbx.deleted", {
    subject: { type: "pbx", id: pbxId, label: pbx.locationName },
    path: auditPathOf(enterprise),
    payload: { before: pbxSnapshot(pbx) },
  });
}
