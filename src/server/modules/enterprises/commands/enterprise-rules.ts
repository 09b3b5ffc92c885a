import { eq } from "drizzle-orm";
import { type Service, serviceLabels } from "../../../../shared/contracts/common.ts";
import { enterprisePosition } from "../../../authz/tenancy.ts";
import type { Db } from "../../../db/client.ts";
import { enterprisePbxTypes, enterpriseRegions } from "../../../db/schema/index.ts";
import { AppError, fieldError } from "../../../lib/errors.ts";
import { isUniqueViolation } from "../../../lib/sql.ts";
import { changeEmail, claimEmail } from "../../accounts/index.ts";
import {
  type EnterpriseRow,
  findResellerEntitlements,
  isEnterpriseNameTaken,
} from "../enterprises.queries.ts";

/** What an enterprise offers: checked against its reseller's entitlements. */
export interface EnterpriseOffer {
  regionIds: string[];
  services: Service[];
  pbxTypeIds: string[];
}

const nameInUse = "An enterprise with this name already exists";
const emailInUse = "This e-mail address is already in use";

/**
 * Throws 400 naming every field that offers more than the reseller may (SPEC §2.2): regions must be
 * entitled and active, services sold by the reseller, PBX types entitled and not disabled. What the
 * enterprise already has (`kept`) stays allowed, so an edit is not blocked by a later catalogue change.
 */
export async function assertWithinEntitlements(
  tx: Db,
  resellerId: string,
  offer: EnterpriseOffer,
  kept: EnterpriseOffer = { regionIds: [], services: [], pbxTypeIds: [] },
): Promise<void> {
  const entitled = await findResellerEntitlements(tx, resellerId);
  const { usableRegionIds, usablePbxTypeIds } = entitled;
  const sold = new Set([...entitled.services, ...kept.services]);
  const fields: Record<string, string> = {};
  const badRegions = offer.regionIds.filter(
    (id) => !usableRegionIds.has(id) && !kept.regionIds.includes(id),
  );
  if (badRegions.length > 0)
    fields.regionIds = `Not an active SBC region this reseller may offer: ${badRegions.join(", ")}`;
  const badServices = offer.services.filter((s) => !sold.has(s));
  if (badServices.length > 0)
    fields.services = `This reseller does not sell ${badServices.map((s) => serviceLabels[s]).join(", ")}`;
  const badPbxTypes = offer.pbxTypeIds.filter(
    (id) => !usablePbxTypeIds.has(id) && !kept.pbxTypeIds.includes(id),
  );
  if (badPbxTypes.length > 0)
    fields.pbxTypeIds = `Not an enabled PBX type this reseller may offer: ${badPbxTypes.join(", ")}`;
  if (Object.keys(fields).length > 0) throw fieldError(fields);
}

/**
 * Claims the admin e-mail (or moves the claim from `fromEmail`) and checks the name is free,
 * reporting both conflicts in one 409 when both fail. Runs inside the caller's transaction, so the
 * claim is undone when anything later fails.
 */
export async function claimNameAndEmail(
  tx: Db,
  enterpriseId: string,
  input: { name?: string; email?: string; fromEmail?: string },
): Promise<void> {
  const fields: Record<string, string> = {};
  if (input.name !== undefined && (await isEnterpriseNameTaken(tx, input.name, enterpriseId)))
    fields.name = nameInUse;
  if (input.email !== undefined) {
    const owner = { type: "enterprise", id: enterpriseId } as const;
    try {
      if (input.fromEmail === undefined) await claimEmail(tx, input.email, owner, "adminEmail");
      else await changeEmail(tx, input.fromEmail, input.email, owner, "adminEmail");
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== "email_in_use") throw e;
      fields.adminEmail = emailInUse;
    }
  }
  if (fields.name && fields.adminEmail)
    throw fieldError(fields, "conflict", "The name and the admin e-mail are already in use");
  if (fields.name) throw fieldError(fields, "name_in_use", nameInUse);
  if (fields.adminEmail) throw fieldError(fields, "email_in_use", emailInUse);
}

/** Turns the name's unique index firing (a concurrent insert won the race) into the same 409. */
export function nameRaceToField(e: unknown): never {
  if (isUniqueViolation(e, "enterprises_name_key"))
    throw fieldError({ name: nameInUse }, "name_in_use", nameInUse);
  throw e;
}

/**
 * Replaces an enterprise's regions and PBX types with the given ids; the regions keep their order
 * (the first is the primary region of Direct Routing, the others its failover order).
 */
export async function saveEnterpriseLinks(
  tx: Db,
  enterpriseId: string,
  links: { regionIds?: string[]; pbxTypeIds?: string[] },
): Promise<void> {
  if (links.regionIds) {
    await tx.delete(enterpriseRegions).where(eq(enterpriseRegions.enterpriseId, enterpriseId));
    if (links.regionIds.length > 0)
      await tx
        .insert(enterpriseRegions)
        .values(
          links.regionIds.map((regionId, position) => ({ enterpriseId, regionId, position })),
        );
  }
  if (links.pbxTypeIds) {
    await tx.delete(enterprisePbxTypes).where(eq(enterprisePbxTypes.enterpriseId, enterpriseId));
    if (links.pbxTypeIds.length > 0)
      await tx
        .insert(enterprisePbxTypes)
        .values(links.pbxTypeIds.map((pbxTypeId) => ({ enterpriseId, pbxTypeId })));
  }
}

/** The audited state of an enterprise: its columns that matter plus its links, no internals. */
export function snapshotOf(e: EnterpriseRow, links: { regionIds: string[]; pbxTypeIds: string[] }) {
  return {
    name: e.name,
    adminEmail: e.adminEmail,
    userLimit: e.userLimit,
    pbxMusicOnHold: e.pbxMusicOnHold,
    accessSipData: e.accessSipData,
    requestManagementConsent: e.requestManagementConsent,
    billingReference: e.billingReference,
    services: e.services,
    regionIds: links.regionIds,
    pbxTypeIds: links.pbxTypeIds,
    status: e.status,
  };
}

/** Where an enterprise sits, for its audit entries. */
export function auditPathOf(e: EnterpriseRow) {
  return enterprisePosition(e);
}

/** The ids once each, in the order first given (the order of an enterprise's regions matters). */
export function orderedIds(ids: string[]): string[] {
  return [...new Set(ids)];
}

/** Ids once each, sorted, so stored links and audit entries are stable. */
export function uniqueIds(ids: string[]): string[] {
  return [...new Set(ids)].sort();
}
