import type { CreateMasterResellerBody } from "../../../../shared/contracts/organizations.ts";
import { newId } from "../../../../shared/ids.ts";
import type { PortalActor } from "../../../authz/actor.ts";
import type { Ctx } from "../../../context.ts";
import { organizations } from "../../../db/schema/index.ts";
import { claimEmail } from "../../accounts/index.ts";
import type { Organization } from "../organizations.policy.ts";
import { getOperatorOrganization } from "../organizations.queries.ts";
import {
  assertNameFree,
  inviteNewOrganization,
  resolveCatalogueEntitlements,
  uniqueNameToField,
} from "../organizations.rules.ts";

/**
 * Creates a master reseller in status `invited` under the operator, claims its e-mail globally and
 * queues its activation e-mail, all in the context's transaction: a refused e-mail or name writes
 * nothing.
 */
export async function createMasterReseller(
  ctx: Ctx,
  actor: PortalActor,
  input: CreateMasterResellerBody,
): Promise<Organization> {
  const { tx } = ctx;
  const operator = await getOperatorOrganization(tx);
  const entitlements = await resolveCatalogueEntitlements(tx, input, "catalogue");
  await assertNameFree(tx, {
    kind: "master_reseller",
    parentId: operator.id,
    name: input.companyName,
  });
  const id = newId("organization");
  await claimEmail(tx, input.email, { type: "organization", id });
  const [row] = await tx
    .insert(organizations)
    .values({
      id,
      kind: "master_reseller",
      parentId: operator.id,
      masterResellerId: null,
      name: input.companyName,
      contactName: input.adminName,
      email: input.email,
      status: "invited",
      services: ["PBX", "TRUNK"],
      billingReference: input.billingReference,
    })
    .returning()
    .catch(uniqueNameToField("master_reseller"));
  await inviteNewOrganization(ctx, actor, row!, entitlements);
  return row!;
}
