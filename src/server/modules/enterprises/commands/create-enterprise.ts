import type { CreateEnterpriseBody } from "../../../../shared/contracts/enterprises.ts";
import { newId } from "../../../../shared/ids.ts";
import type { PortalActor } from "../../../authz/actor.ts";
import { type Scoped, scopeTo } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { enterprises } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { issueInvitation } from "../../invitations/index.ts";
import { enterprisePosition } from "../enterprises.policy.ts";
import type { EnterpriseRow, ResellerRow } from "../enterprises.queries.ts";
import {
  assertWithinEntitlements,
  auditPathOf,
  claimNameAndEmail,
  nameRaceToField,
  orderedIds,
  saveEnterpriseLinks,
  snapshotOf,
  uniqueIds,
} from "./enterprise-rules.ts";

/**
 * "Add Enterprise" (seed 3): inserts the enterprise with its regions and PBX types, claims the admin
 * e-mail platform-wide, issues the registration invitation (its e-mail queued in the context's
 * transaction) and records the event. Any failure rolls everything back, so nothing is written or
 * sent.
 */
export async function createEnterprise(
  ctx: Ctx,
  actor: PortalActor,
  reseller: Scoped<ResellerRow>,
  input: CreateEnterpriseBody,
): Promise<Scoped<EnterpriseRow>> {
  if (
    reseller.status !== "active" ||
    reseller.masterStatus === "disabled" ||
    !reseller.masterResellerId
  )
    throw new AppError("invalid_state", "Enterprises can be added only to an active reseller");
  const masterResellerId = reseller.masterResellerId;
  const offer = {
    regionIds: orderedIds(input.regionIds),
    services: input.services,
    pbxTypeIds: input.services.includes("PBX") ? uniqueIds(input.pbxTypeIds) : [],
  };
  const { tx } = ctx;
  await assertWithinEntitlements(tx, reseller.id, offer);
  const id = newId("enterprise");
  await claimNameAndEmail(tx, id, { name: input.name, email: input.adminEmail });
  const [row] = await tx
    .insert(enterprises)
    .values({
      id,
      resellerId: reseller.id,
      masterResellerId,
      name: input.name,
      adminEmail: input.adminEmail,
      userLimit: input.userLimit,
      pbxMusicOnHold: input.pbxMusicOnHold,
      accessSipData: input.accessSipData,
      requestManagementConsent: input.requestManagementConsent,
      billingReference: input.billingReference,
      services: offer.services,
      status: "invited",
    })
    .returning()
    .catch(nameRaceToField);
  const enterprise = row!;
  await saveEnterpriseLinks(tx, id, offer);
  await issueInvitation(ctx, {
    kind: "enterprise_registration",
    targetId: id,
    email: enterprise.adminEmail,
    createdBy: actor.accountId,
  });
  await ctx.emit("enterprise.created", {
    subject: { type: "enterprise", id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: { after: snapshotOf(enterprise, offer) },
  });
  // Created under a reseller the actor sees, so the actor sees it too.
  return scopeTo(actor, enterprise, enterprisePosition, "Enterprise");
}
