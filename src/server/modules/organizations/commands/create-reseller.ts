import { eq } from "drizzle-orm";
import type { CreateResellerBody } from "../../../../shared/contracts/organizations.ts";
import { newId } from "../../../../shared/ids.ts";
import type { PortalActor } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { organizations } from "../../../db/schema/index.ts";
import { fieldError } from "../../../lib/errors.ts";
import { claimEmail } from "../../accounts/index.ts";
import type { Organization } from "../organizations.policy.ts";
import { getEntitlements } from "../organizations.queries.ts";
import {
  assertNameFree,
  inviteNewOrganization,
  resolveResellerEntitlements,
  uniqueNameToField,
} from "../organizations.rules.ts";

/**
 * "Add Reseller" (seed 2): creates a reseller in status `invited` under a master reseller the actor
 * can see, with entitlements within the master reseller's (default: all of them), claims its
 * e-mail globally and queues the activation e-mail in the context's transaction.
 */
export async function createReseller(
  ctx: Ctx,
  actor: PortalActor,
  master: Scoped<Organization>,
  input: CreateResellerBody,
): Promise<Organization> {
  const { tx } = ctx;
  // Lock the master reseller so a concurrent edit cannot shrink its entitlements under us.
  const [locked] = await tx
    .select()
    .from(organizations)
    .where(eq(organizations.id, master.id))
    .for("update");
  const masterServices = locked?.services ?? [];
  const unavailable = input.services.filter((s) => !masterServices.includes(s));
  if (unavailable.length) throw fieldError({ services: "Not available to this master reseller" });
  const masterEntitlements = await getEntitlements(tx, master.id);
  const entitlements = resolveResellerEntitlements(masterEntitlements, input, masterEntitlements);
  await assertNameFree(tx, { kind: "reseller", parentId: master.id, name: input.name });
  const id = newId("organization");
  await claimEmail(tx, input.email, { type: "organization", id });
  const [row] = await tx
    .insert(organizations)
    .values({
      id,
      kind: "reseller",
      parentId: master.id,
      masterResellerId: master.id,
      name: input.name,
      contactName: null,
      email: input.email,
      status: "invited",
      services: input.services,
      billingReference: input.billingReference,
    })
    .returning()
    .catch(uniqueNameToField("reseller"));
  await inviteNewOrganization(ctx, actor, row!, entitlements);
  return row!;
}
