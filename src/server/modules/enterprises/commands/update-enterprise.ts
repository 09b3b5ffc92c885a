import { eq } from "drizzle-orm";
import type { Service } from "../../../../shared/contracts/common.ts";
import type { UpdateEnterpriseBody } from "../../../../shared/contracts/enterprises.ts";
import type { PortalActor } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { enterprises } from "../../../db/schema/index.ts";
import { fieldError } from "../../../lib/errors.ts";
import { issueInvitation } from "../../invitations/index.ts";
import { type EnterpriseRow, findEnterpriseLinks, getEnterprise } from "../enterprises.queries.ts";
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

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * "Edit" (seed 3): changes only the given fields, under the same entitlement and uniqueness rules as
 * creation. The admin e-mail may change only while the enterprise is invited; a new address moves
 * the e-mail claim and issues a fresh invitation (revoking the old code). Turning the PBX Connector
 * off clears the PBX types. Audited with before and after; a no-op writes nothing.
 */
export async function updateEnterprise(
  ctx: Ctx,
  actor: PortalActor,
  target: Scoped<EnterpriseRow>,
  input: UpdateEnterpriseBody,
): Promise<EnterpriseRow> {
  const { tx } = ctx;
  const before = await getEnterprise(tx, actor, target.id, { lock: true });
  const links = await findEnterpriseLinks(tx, before.id);
  const beforeServices = before.services as Service[];

  const isEmailChange = input.adminEmail !== undefined && input.adminEmail !== before.adminEmail;
  if (isEmailChange && before.status !== "invited") {
    const message = "The admin e-mail can be changed only while the enterprise is invited";
    throw fieldError({ adminEmail: message }, "invalid_state", message);
  }
  const nextServices = input.services ?? beforeServices;
  const sellsPbx = nextServices.includes("PBX");
  const next = {
    regionIds: input.regionIds ? orderedIds(input.regionIds) : links.regionIds,
    services: nextServices,
    pbxTypeIds: sellsPbx ? uniqueIds(input.pbxTypeIds ?? links.pbxTypeIds) : [],
  };
  if (sellsPbx && next.pbxTypeIds.length === 0)
    throw fieldError({ pbxTypeIds: "Assign at least one PBX type" });
  await assertWithinEntitlements(tx, before.resellerId, next, {
    ...links,
    services: beforeServices,
  });

  const isNameChange = input.name !== undefined && input.name !== before.name;
  await claimNameAndEmail(tx, before.id, {
    ...(isNameChange ? { name: input.name } : {}),
    ...(isEmailChange ? { email: input.adminEmail, fromEmail: before.adminEmail } : {}),
  });

  const changes: Partial<typeof enterprises.$inferInsert> = {};
  if (isNameChange) changes.name = input.name;
  if (isEmailChange) changes.adminEmail = input.adminEmail;
  for (const key of [
    "userLimit",
    "pbxMusicOnHold",
    "accessSipData",
    "requestManagementConsent",
    "billingReference",
  ] as const) {
    if (input[key] !== undefined && input[key] !== before[key])
      Object.assign(changes, { [key]: input[key] });
  }
  if (!sameIds(next.services, beforeServices)) changes.services = next.services;
  // The regions' order is Direct Routing's failover order: a new order is a change.
  const regionsChange = next.regionIds.join() !== links.regionIds.join();
  const pbxTypesChange = !sameIds(next.pbxTypeIds, links.pbxTypeIds);
  if (Object.keys(changes).length === 0 && !regionsChange && !pbxTypesChange) return before;

  const [row] = await tx
    .update(enterprises)
    .set({ ...changes, updatedAt: ctx.now })
    .where(eq(enterprises.id, before.id))
    .returning()
    .catch(nameRaceToField);
  const after = row!;
  await saveEnterpriseLinks(tx, after.id, {
    ...(regionsChange ? { regionIds: next.regionIds } : {}),
    ...(pbxTypesChange ? { pbxTypeIds: next.pbxTypeIds } : {}),
  });
  if (isEmailChange) {
    await issueInvitation(ctx, {
      kind: "enterprise_registration",
      targetId: after.id,
      email: after.adminEmail,
      createdBy: actor.accountId,
    });
  }
  await ctx.emit("enterprise.updated", {
    subject: { type: "enterprise", id: after.id, label: after.name },
    path: auditPathOf(after),
    payload: { before: snapshotOf(before, links), after: snapshotOf(after, next) },
  });
  return after;
}
