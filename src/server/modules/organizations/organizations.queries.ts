import { and, asc, count, desc, eq, ilike, inArray, isNull, or, type SQL } from "drizzle-orm";
import type { InvitationSummary, Page } from "../../../shared/contracts/common.ts";
import type {
  ActivationInfo,
  OrganizationListQuery,
} from "../../../shared/contracts/organizations.ts";
import type { PortalActor } from "../../authz/actor.ts";
import type { Db } from "../../db/client.ts";
import {
  accounts,
  enterprises,
  organizationPbxTypes,
  organizationRegions,
  organizations,
} from "../../db/schema/index.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { containsPattern } from "../../lib/sql.ts";
import type { Services } from "../../services.ts";
import { findInvitationSummaries, getLiveInvitation } from "../invitations/index.ts";
import type { ManagedKind, Organization } from "./organizations.policy.ts";

/** An organization with what its views show: entitlements, enterprise count, current invitation. */
export type OrganizationRecord = Organization & {
  regionIds: string[];
  pbxTypeIds: string[];
  enterpriseCount: number;
  invitation: InvitationSummary | null;
};

/** A portal account row (an admin of some organization). */
export type Account = typeof accounts.$inferSelect;

/** The organizations the actor can see: all (operator), itself and its resellers, or itself. */
function visibleTo(actor: PortalActor): SQL | undefined {
  switch (actor.role) {
    case "operator":
      return undefined;
    case "master_reseller":
      return or(
        eq(organizations.id, actor.organizationId),
        eq(organizations.masterResellerId, actor.organizationId),
      );
    case "reseller":
      return eq(organizations.id, actor.organizationId);
  }
}

/** Adds entitlements, enterprise counts and current invitations to organization rows, in order. */
export async function describeOrganizations(
  db: Db,
  rows: Organization[],
): Promise<OrganizationRecord[]> {
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return [];
  const [regionRows, pbxRows, resellerCounts, masterCounts, invitations] = await Promise.all([
    db
      .select()
      .from(organizationRegions)
      .where(inArray(organizationRegions.organizationId, ids))
      .orderBy(asc(organizationRegions.regionId)),
    db
      .select()
      .from(organizationPbxTypes)
      .where(inArray(organizationPbxTypes.organizationId, ids))
      .orderBy(asc(organizationPbxTypes.pbxTypeId)),
    db
      .select({ id: enterprises.resellerId, n: count() })
      .from(enterprises)
      .where(inArray(enterprises.resellerId, ids))
      .groupBy(enterprises.resellerId),
    db
      .select({ id: enterprises.masterResellerId, n: count() })
      .from(enterprises)
      .where(inArray(enterprises.masterResellerId, ids))
      .groupBy(enterprises.masterResellerId),
    findInvitationSummaries(db, ids),
  ]);
  const counts = new Map([...resellerCounts, ...masterCounts].map((c) => [c.id, c.n]));
  return rows.map((row) => ({
    ...row,
    regionIds: regionRows.filter((r) => r.organizationId === row.id).map((r) => r.regionId),
    pbxTypeIds: pbxRows.filter((r) => r.organizationId === row.id).map((r) => r.pbxTypeId),
    enterpriseCount: counts.get(row.id) ?? 0,
    invitation: invitations.get(row.id) ?? null,
  }));
}

/** One organization with its details. */
export async function describeOrganization(db: Db, row: Organization): Promise<OrganizationRecord> {
  const [record] = await describeOrganizations(db, [row]);
  return record!;
}

/**
 * The organizations of one kind in the actor's subtree, newest first; `q` matches name or e-mail.
 * The subtree is part of the WHERE, so a page never holds a foreign row and the total is exact.
 */
export async function listOrganizations(
  db: Db,
  actor: PortalActor,
  kind: ManagedKind,
  query: OrganizationListQuery,
): Promise<Page<OrganizationRecord>> {
  const where = and(
    eq(organizations.kind, kind),
    visibleTo(actor),
    query.status ? eq(organizations.status, query.status) : undefined,
    query.q
      ? or(
          ilike(organizations.name, containsPattern(query.q)),
          ilike(organizations.email, containsPattern(query.q)),
        )
      : undefined,
  );
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(organizations)
      .where(where)
      .orderBy(desc(organizations.createdAt), desc(organizations.id))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ n: count() }).from(organizations).where(where),
  ]);
  return {
    items: await describeOrganizations(db, rows),
    total: total?.n ?? 0,
    page: query.page,
    pageSize: query.pageSize,
  };
}

/**
 * The organization with this id if the actor can see it, else null (pass it to `scopeTo`). `kind`
 * narrows to one tier so a reseller id never resolves on a master reseller route.
 */
export async function findOrganization(
  db: Db,
  actor: PortalActor,
  id: string,
  kind?: Organization["kind"],
): Promise<Organization | null> {
  const [row] = await db
    .select()
    .from(organizations)
    .where(
      and(
        eq(organizations.id, id),
        kind ? eq(organizations.kind, kind) : undefined,
        visibleTo(actor),
      ),
    );
  return row ?? null;
}

/** The operator organization (parent of every master reseller). */
export async function getOperatorOrganization(db: Db): Promise<Organization> {
  const [row] = await db
    .select()
    .from(organizations)
    .where(eq(organizations.kind, "operator"))
    .limit(1);
  if (!row) throw notFound("Operator organization");
  return row;
}

/** The SBC regions and PBX types an organization is entitled to. */
export async function getEntitlements(
  db: Db,
  organizationId: string,
): Promise<{ regionIds: string[]; pbxTypeIds: string[] }> {
  const [regionRows, pbxRows] = await Promise.all([
    db
      .select({ id: organizationRegions.regionId })
      .from(organizationRegions)
      .where(eq(organizationRegions.organizationId, organizationId)),
    db
      .select({ id: organizationPbxTypes.pbxTypeId })
      .from(organizationPbxTypes)
      .where(eq(organizationPbxTypes.organizationId, organizationId)),
  ]);
  return { regionIds: regionRows.map((r) => r.id), pbxTypeIds: pbxRows.map((r) => r.id) };
}

/** The live admins of an organization, first admin first, then by creation. */
export function listAdmins(db: Db, organizationId: string): Promise<Account[]> {
  return db
    .select()
    .from(accounts)
    .where(and(eq(accounts.organizationId, organizationId), isNull(accounts.deletedAt)))
    .orderBy(desc(accounts.isFirstAdmin), asc(accounts.createdAt), asc(accounts.id));
}

/** A live admin of this organization, or 404 (an admin of another organization is absent here). */
export async function getAdmin(
  db: Db,
  organizationId: string,
  accountId: string,
): Promise<Account> {
  const [row] = await db
    .select()
    .from(accounts)
    .where(
      and(
        eq(accounts.id, accountId),
        eq(accounts.organizationId, organizationId),
        isNull(accounts.deletedAt),
      ),
    );
  if (!row) throw notFound("Admin");
  return row;
}

/** 410 for an activation whose organization is no longer waiting for it. */
export const invitationUnusable = () =>
  new AppError(
    "invitation_invalid",
    "This invitation can no longer be used. Ask whoever invited you for a new one.",
  );

/**
 * The invitation and organization behind an activation link, or 410 when the link is unknown,
 * used, revoked or expired, or the organization is no longer waiting for activation.
 */
async function getActivationTarget(
  services: Services,
  token: string,
): Promise<{
  invitation: Awaited<ReturnType<typeof getLiveInvitation>>;
  organization: Organization;
}> {
  const invitation = await getLiveInvitation(services, "organization_activation", token);
  const organization = await findActivatableOrganization(services.db, invitation.targetId);
  return { invitation, organization };
}

/** The invited organization an activation targets, or 410 (disabled itself or below a disabled parent). */
export async function findActivatableOrganization(db: Db, id: string): Promise<Organization> {
  const [row] = await db.select().from(organizations).where(eq(organizations.id, id));
  if (row?.status !== "invited" || row.kind === "operator") throw invitationUnusable();
  if (row.parentId) {
    const [parent] = await db
      .select({ status: organizations.status })
      .from(organizations)
      .where(eq(organizations.id, row.parentId));
    if (parent?.status === "disabled") throw invitationUnusable();
  }
  return row;
}

/** What the activation page shows before the form is filled (never the invited e-mail). */
export async function getActivationInfo(
  services: Services,
  token: string,
): Promise<ActivationInfo> {
  const { invitation, organization } = await getActivationTarget(services, token);
  return {
    organizationName: organization.name,
    kind: organization.kind as ManagedKind,
    expiresAt: invitation.expiresAt.toISOString(),
  };
}
