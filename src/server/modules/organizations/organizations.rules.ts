// The write-side rules shared by the organization commands, in one place so every tier agrees.
import { and, arrayOverlaps, eq, inArray, ne, or, sql } from "drizzle-orm";
import type { PortalActor } from "../../authz/actor.ts";
import type { Ctx } from "../../context.ts";
import type { Db } from "../../db/client.ts";
import {
  accounts,
  enterprisePbxTypes,
  enterpriseRegions,
  enterprises,
  organizationPbxTypes,
  organizationRegions,
  organizations,
  sessions,
} from "../../db/schema/index.ts";
import { fieldError } from "../../lib/errors.ts";
import { isUniqueViolation } from "../../lib/sql.ts";
import { pathOf } from "../accounts/index.ts";
import {
  findPbxTypesByIds,
  findRegionsByIds,
  listPbxTypes,
  listRegions,
} from "../catalog/index.ts";
import { issueInvitation } from "../invitations/index.ts";
import type { ManagedKind, Organization } from "./organizations.policy.ts";

/** The SBC regions and PBX types an organization may offer below it (SPEC §2.1), sorted ids. */
export interface Entitlements {
  regionIds: string[];
  pbxTypeIds: string[];
}

const unique = (ids: string[]) => [...new Set(ids)].sort();

/**
 * The catalogue entitlements a master reseller asks for: the given ids (each must exist, else a
 * 400 naming the field) or, when absent, every SBC region and PBX type of the catalogue.
 */
export async function resolveCatalogueEntitlements(
  db: Db,
  input: Partial<Entitlements>,
  defaults: Entitlements | "catalogue",
): Promise<Entitlements> {
  const fields: Record<string, string> = {};
  let regionIds: string[];
  let pbxTypeIds: string[];
  if (input.regionIds) {
    regionIds = unique(input.regionIds);
    const found = new Set((await findRegionsByIds(db, regionIds)).map((r) => r.id));
    const unknown = regionIds.filter((id) => !found.has(id));
    if (unknown.length) fields.regionIds = `Unknown SBC region: ${unknown.join(", ")}`;
  } else {
    regionIds =
      defaults === "catalogue" ? (await listRegions(db)).map((r) => r.id) : defaults.regionIds;
  }
  if (input.pbxTypeIds) {
    pbxTypeIds = unique(input.pbxTypeIds);
    const found = new Set((await findPbxTypesByIds(db, pbxTypeIds)).map((p) => p.id));
    const unknown = pbxTypeIds.filter((id) => !found.has(id));
    if (unknown.length) fields.pbxTypeIds = `Unknown PBX type: ${unknown.join(", ")}`;
  } else {
    pbxTypeIds =
      defaults === "catalogue" ? (await listPbxTypes(db)).map((p) => p.id) : defaults.pbxTypeIds;
  }
  if (Object.keys(fields).length) throw fieldError(fields);
  return { regionIds, pbxTypeIds };
}

/**
 * The entitlements a reseller asks for: a subset of its master reseller's (else a 400 naming the
 * field); an absent list means `defaults` (everything the master reseller has, on creation).
 */
export function resolveResellerEntitlements(
  master: Entitlements,
  input: Partial<Entitlements>,
  defaults: Entitlements,
): Entitlements {
  const fields: Record<string, string> = {};
  const regionIds = input.regionIds ? unique(input.regionIds) : defaults.regionIds;
  const pbxTypeIds = input.pbxTypeIds ? unique(input.pbxTypeIds) : defaults.pbxTypeIds;
  if (input.regionIds && !regionIds.every((id) => master.regionIds.includes(id)))
    fields.regionIds = "Not available to this master reseller";
  if (input.pbxTypeIds && !pbxTypeIds.every((id) => master.pbxTypeIds.includes(id)))
    fields.pbxTypeIds = "Not available to this master reseller";
  if (Object.keys(fields).length) throw fieldError(fields);
  return { regionIds, pbxTypeIds };
}

/**
 * Refuses (409, naming the field) to take away an entitlement still in use below the
 * organization: offered by one of a master reseller's resellers, or used by a reseller's enterprise.
 * Shrinking silently would leave children entitled to what their parent no longer has.
 */
export async function assertRemovalsUnused(
  db: Db,
  org: Organization,
  removed: Entitlements & { services: string[] },
): Promise<void> {
  const fields: Record<string, string> = {};
  if (org.kind === "master_reseller") {
    const [regionUser] = removed.regionIds.length
      ? await db
          .select({ name: organizations.name })
          .from(organizationRegions)
          .innerJoin(organizations, eq(organizations.id, organizationRegions.organizationId))
          .where(
            and(
              eq(organizations.masterResellerId, org.id),
              inArray(organizationRegions.regionId, removed.regionIds),
            ),
          )
          .limit(1)
      : [];
    const [pbxUser] = removed.pbxTypeIds.length
      ? await db
          .select({ name: organizations.name })
          .from(organizationPbxTypes)
          .innerJoin(organizations, eq(organizations.id, organizationPbxTypes.organizationId))
          .where(
            and(
              eq(organizations.masterResellerId, org.id),
              inArray(organizationPbxTypes.pbxTypeId, removed.pbxTypeIds),
            ),
          )
          .limit(1)
      : [];
    if (regionUser)
      fields.regionIds = `Still offered by reseller ${regionUser.name}; remove it there first`;
    if (pbxUser)
      fields.pbxTypeIds = `Still offered by reseller ${pbxUser.name}; remove it there first`;
  } else if (org.kind === "reseller") {
    const [regionUser] = removed.regionIds.length
      ? await db
          .select({ name: enterprises.name })
          .from(enterpriseRegions)
          .innerJoin(enterprises, eq(enterprises.id, enterpriseRegions.enterpriseId))
          .where(
            and(
              eq(enterprises.resellerId, org.id),
              inArray(enterpriseRegions.regionId, removed.regionIds),
            ),
          )
          .limit(1)
      : [];
    const [pbxUser] = removed.pbxTypeIds.length
      ? await db
          .select({ name: enterprises.name })
          .from(enterprisePbxTypes)
          .innerJoin(enterprises, eq(enterprises.id, enterprisePbxTypes.enterpriseId))
          .where(
            and(
              eq(enterprises.resellerId, org.id),
              inArray(enterprisePbxTypes.pbxTypeId, removed.pbxTypeIds),
            ),
          )
          .limit(1)
      : [];
    const [serviceUser] = removed.services.length
      ? await db
          .select({ name: enterprises.name })
          .from(enterprises)
          .where(
            and(
              eq(enterprises.resellerId, org.id),
              arrayOverlaps(enterprises.services, removed.services),
            ),
          )
          .limit(1)
      : [];
    if (regionUser) fields.regionIds = `Still used by enterprise ${regionUser.name}`;
    if (pbxUser) fields.pbxTypeIds = `Still used by enterprise ${pbxUser.name}`;
    if (serviceUser) fields.services = `Still used by enterprise ${serviceUser.name}`;
  }
  if (Object.keys(fields).length)
    throw fieldError(fields, "conflict", "Some entitlements are still in use");
}

/**
 * The rest of creating an invited master reseller or reseller, in the context's transaction: its
 * entitlements, the activation invitation (its e-mail is queued) and the event.
 */
export async function inviteNewOrganization(
  ctx: Ctx,
  actor: PortalActor,
  organization: Organization,
  entitlements: Entitlements,
): Promise<void> {
  await writeEntitlements(ctx.tx, organization.id, entitlements);
  await issueInvitation(ctx, {
    kind: "organization_activation",
    targetId: organization.id,
    email: organization.email,
    createdBy: actor.accountId,
  });
  await ctx.emit(`${organization.kind}.created`, {
    subject: { type: organization.kind, id: organization.id, label: organization.name },
    path: pathOf(organization),
    payload: { after: { ...organization, ...entitlements } },
  });
}

/** Replaces the given entitlement lists of an organization (an absent list is left as it is). */
export async function writeEntitlements(
  tx: Db,
  organizationId: string,
  entitlements: Partial<Entitlements>,
): Promise<void> {
  if (entitlements.regionIds) {
    await tx
      .delete(organizationRegions)
      .where(eq(organizationRegions.organizationId, organizationId));
    if (entitlements.regionIds.length)
      await tx
        .insert(organizationRegions)
        .values(entitlements.regionIds.map((regionId) => ({ organizationId, regionId })));
  }
  if (entitlements.pbxTypeIds) {
    await tx
      .delete(organizationPbxTypes)
      .where(eq(organizationPbxTypes.organizationId, organizationId));
    if (entitlements.pbxTypeIds.length)
      await tx
        .insert(organizationPbxTypes)
        .values(entitlements.pbxTypeIds.map((pbxTypeId) => ({ organizationId, pbxTypeId })));
  }
}

/** The field that carries an organization's name in each kind's forms. */
export const nameFieldOf = (kind: ManagedKind) =>
  kind === "master_reseller" ? "companyName" : "name";

function nameTaken(kind: ManagedKind) {
  return fieldError(
    {
      [nameFieldOf(kind)]:
        kind === "master_reseller"
          ? "A master reseller with this name already exists"
          : "A reseller with this name already exists under this master reseller",
    },
    "name_in_use",
    "This name is already in use",
  );
}

/**
 * Refuses (409 on the name field) a name already used by a sibling of the same kind,
 * case-insensitively (SPEC §2.1). The unique index still decides races: see `uniqueNameToField`.
 */
export async function assertNameFree(
  db: Db,
  input: { kind: ManagedKind; parentId: string; name: string; exceptId?: string },
): Promise<void> {
  const [taken] = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(
      and(
        eq(organizations.parentId, input.parentId),
        eq(organizations.kind, input.kind),
        sql`lower(${organizations.name}) = ${input.name.toLowerCase()}`,
        input.exceptId ? ne(organizations.id, input.exceptId) : undefined,
      ),
    )
    .limit(1);
  if (taken) throw nameTaken(input.kind);
}

/** Maps the sibling-name unique index to the same field error as `assertNameFree`. */
export function uniqueNameToField(kind: ManagedKind) {
  return (e: unknown): never => {
    if (isUniqueViolation(e, "organizations_sibling_name_key")) throw nameTaken(kind);
    throw e;
  };
}

/**
 * Ends every session of the organization's accounts and, for a master reseller, of its resellers'
 * accounts, so a disable takes effect on the next request rather than at session expiry.
 */
export async function deleteSubtreeSessions(tx: Db, organizationId: string): Promise<void> {
  const orgIds = tx
    .select({ id: organizations.id })
    .from(organizations)
    .where(or(eq(organizations.id, organizationId), eq(organizations.parentId, organizationId)));
  const accountIds = tx
    .select({ id: accounts.id })
    .from(accounts)
    .where(inArray(accounts.organizationId, orgIds));
  await tx.delete(sessions).where(inArray(sessions.accountId, accountIds));
}
