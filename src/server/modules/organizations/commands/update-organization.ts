import { eq } from "drizzle-orm";
import type {
  UpdateMasterResellerBody,
  UpdateResellerBody,
} from "../../../../shared/contracts/organizations.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import type { Db } from "../../../db/client.ts";
import { organizations } from "../../../db/schema/index.ts";
import { fieldError, notFound } from "../../../lib/errors.ts";
import { pathOf } from "../../accounts/index.ts";
import type { ManagedKind, Organization } from "../organizations.policy.ts";
import { getEntitlements } from "../organizations.queries.ts";
import {
  assertNameFree,
  assertRemovalsUnused,
  type Entitlements,
  resolveCatalogueEntitlements,
  resolveResellerEntitlements,
  uniqueNameToField,
  writeEntitlements,
} from "../organizations.rules.ts";

interface Changes {
  name?: string;
  contactName?: string;
  services?: ("PBX" | "TRUNK")[];
  billingReference?: string | null;
  regionIds?: string[];
  pbxTypeIds?: string[];
}

async function lock(tx: Db, id: string): Promise<Organization> {
  const [row] = await tx.select().from(organizations).where(eq(organizations.id, id)).for("update");
  if (!row) throw notFound("Organization");
  return row;
}

const without = (from: string[], keep: string[]) => from.filter((id) => !keep.includes(id));

async function updateOrganization(
  ctx: Ctx,
  org: Scoped<Organization>,
  kind: ManagedKind,
  changes: Changes,
): Promise<Organization> {
  const { tx } = ctx;
  const before = await lock(tx, org.id);
  const current = await getEntitlements(tx, org.id);
  let next: Entitlements;
  if (kind === "master_reseller") {
    next = await resolveCatalogueEntitlements(tx, changes, current);
  } else {
    const master = await lock(tx, before.parentId!);
    next = resolveResellerEntitlements(await getEntitlements(tx, master.id), changes, current);
    if (changes.services?.some((s) => !master.services.includes(s)))
      throw fieldError({ services: "Not available to this master reseller" });
  }
  await assertRemovalsUnused(tx, before, {
    regionIds: without(current.regionIds, next.regionIds),
    pbxTypeIds: without(current.pbxTypeIds, next.pbxTypeIds),
    services: changes.services ? without(before.services, changes.services) : [],
  });
  if (changes.name !== undefined && changes.name.toLowerCase() !== before.name.toLowerCase())
    await assertNameFree(tx, {
      kind,
      parentId: before.parentId!,
      name: changes.name,
      exceptId: before.id,
    });
  const [row] = await tx
    .update(organizations)
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.contactName !== undefined ? { contactName: changes.contactName } : {}),
      ...(changes.services !== undefined ? { services: changes.services } : {}),
      ...(changes.billingReference !== undefined
        ? { billingReference: changes.billingReference }
        : {}),
      updatedAt: ctx.now,
    })
    .where(eq(organizations.id, org.id))
    .returning()
    .catch(uniqueNameToField(kind));
  await writeEntitlements(tx, org.id, {
    ...(changes.regionIds ? { regionIds: next.regionIds } : {}),
    ...(changes.pbxTypeIds ? { pbxTypeIds: next.pbxTypeIds } : {}),
  });
  await ctx.emit(`${kind}.updated`, {
    subject: { type: kind, id: org.id, label: row!.name },
    path: pathOf(row!),
    payload: { before: { ...before, ...current }, after: { ...row, ...next } },
  });
  return row!;
}

/**
 * Edits a master reseller (operator only); only the given fields change. Removing an entitlement
 * one of its resellers still offers is refused with a 409 naming the field.
 */
export function updateMasterReseller(
  ctx: Ctx,
  org: Scoped<Organization>,
  input: UpdateMasterResellerBody,
): Promise<Organization> {
  return updateOrganization(ctx, org, "master_reseller", {
    name: input.companyName,
    contactName: input.adminName,
    billingReference: input.billingReference,
    regionIds: input.regionIds,
    pbxTypeIds: input.pbxTypeIds,
  });
}

/**
 * Edits a reseller; entitlements and services stay within its master reseller's, and one still used
 * by its enterprises cannot be removed (409 naming the field).
 */
export function updateReseller(
  ctx: Ctx,
  org: Scoped<Organization>,
  input: UpdateResellerBody,
): Promise<Organization> {
  return updateOrganization(ctx, org, "reseller", {
    name: input.name,
    services: input.services,
    billingReference: input.billingReference,
    regionIds: input.regionIds,
    pbxTypeIds: input.pbxTypeIds,
  });
}
