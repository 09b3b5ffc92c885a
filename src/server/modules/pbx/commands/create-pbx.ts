import type { CreatePbxBody } from "../../../../shared/contracts/pbx.ts";
import { newId } from "../../../../shared/ids.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { pbxes } from "../../../db/schema/index.ts";
import { fieldError } from "../../../lib/errors.ts";
import { seal } from "../../../lib/secrets.ts";
import { auditPathOf, type EnterpriseRow } from "../../enterprises/index.ts";
import { pbxSnapshot } from "../pbx.presenter.ts";
import type { PbxWithType } from "../pbx.queries.ts";
import {
  assertLocationNameFree,
  locationNameInUse,
  pbxRuleProblems,
  requireAssignableType,
} from "../pbx.rules.ts";

/**
 * "Add PBX location": the type must be one of the enterprise's assigned, enabled types, and its
 * defaults fill the DNS lookup, transport and voicemail code the body leaves out; the name must be
 * free in the enterprise (any case). The client secret is stored sealed. Nothing is written when
 * a rule fails.
 */
export async function createPbx(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
  input: CreatePbxBody,
): Promise<PbxWithType> {
  const type = await requireAssignableType(ctx.tx, enterprise, input.pbxTypeId);
  const { apiClientSecret, ...fields } = input;
  const values = {
    ...fields,
    dnsLookup: input.dnsLookup ?? type.defaultDnsLookup,
    transport: input.transport ?? type.defaultTransport,
    voicemailFeatureCode:
      input.voicemailFeatureCode === undefined
        ? type.defaultVoicemailFeatureCode
        : input.voicemailFeatureCode,
    apiClientSecret: apiClientSecret ? seal(ctx.services.secret, apiClientSecret) : null,
  };
  const problems = pbxRuleProblems(values, type);
  if (Object.keys(problems).length > 0) throw fieldError(problems);
  await assertLocationNameFree(ctx.tx, enterprise, input.locationName);
  const id = newId("pbx");
  const [row] = await ctx.tx
    .insert(pbxes)
    .values({ id, enterpriseId: enterprise.id, ...values, createdAt: ctx.now, updatedAt: ctx.now })
    .returning()
    .catch(locationNameInUse);
  await ctx.emit("pbx.created", {
    subject: { type: "pbx", id, label: row!.locationName },
    path: auditPathOf(enterprise),
    payload: { after: pbxSnapshot(row!) },
  });
  return { pbx: row!, type };
}
