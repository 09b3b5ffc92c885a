import { eq } from "drizzle-orm";
import type { UpdatePbxBody } from "../../../../shared/contracts/pbx.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { pbxes } from "../../../db/schema/index.ts";
import { fieldError } from "../../../lib/errors.ts";
import { seal } from "../../../lib/secrets.ts";
import { auditPathOf, type EnterpriseRow } from "../../enterprises/index.ts";
import { pbxSnapshot } from "../pbx.presenter.ts";
import { getPbx, type PbxWithType } from "../pbx.queries.ts";
import {
  assertLocationNameFree,
  locationNameInUse,
  pbxRuleProblems,
  requireAssignableType,
} from "../pbx.rules.ts";

/** The fields whose value differs between two snapshots, each side with only those fields. */
function changedFields(before: Record<string, unknown>, after: Record<string, unknown>) {
  const keys = Object.keys(after).filter(
    (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
  return {
    before: Object.fromEntries(keys.map((k) => [k, before[k]])),
    after: Object.fromEntries(keys.map((k) => [k, after[k]])),
  };
}

/**
 * Edits a PBX location: only the fields given change. A new type must be assignable (the current
 * one stays valid even if it was disabled since); the rules are checked on the location as it
 * would be. The client secret: absent keeps it, null clears it, a value replaces it (sealed).
 */
export async function updatePbx(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
  pbxId: string,
  input: UpdatePbxBody,
): Promise<PbxWithType> {
  const current = await getPbx(ctx.tx, enterprise, pbxId, { lock: true });
  const type =
    input.pbxTypeId !== undefined && input.pbxTypeId !== current.pbx.pbxTypeId
      ? await requireAssignableType(ctx.tx, enterprise, input.pbxTypeId)
      : current.type;
  const { apiClientSecret, ...fields } = input;
  const changes = {
    ...fields,
    ...(apiClientSecret === undefined
      ? {}
      : {
          apiClientSecret:
            apiClientSecret === null ? null : seal(ctx.services.secret, apiClientSecret),
        }),
  };
  const problems = pbxRuleProblems({ ...current.pbx, ...changes }, type);
  if (Object.keys(problems).length > 0) throw fieldError(problems);
  if (input.locationName !== undefined)
    await assertLocationNameFree(ctx.tx, enterprise, input.locationName, pbxId);
  const [row] = await ctx.tx
    .update(pbxes)
    .set({ ...changes, updatedAt: ctx.now })
    .where(eq(pbxes.id, pbxId))
    .returning()
    .catch(locationNameInUse);
  const change = changedFields(pbxSnapshot(current.pbx), pbxSnapshot(row!));
  if (apiClientSecret && current.pbx.apiClientSecret !== null)
    change.after.apiClientSecretReplaced = true;
  await ctx.emit("pbx.updated", {
    subject: { type: "pbx", id: pbxId, label: row!.locationName },
    path: auditPathOf(enterprise),
    payload: change,
  });
  return { pbx: row!, type };
}
