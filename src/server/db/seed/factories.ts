import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { newId } from "../../../shared/ids.ts";
import { hashPassword } from "../../lib/passwords.ts";
import { teamsAdminRoleWorkflow } from "../../modules/microsoft-setup/index.ts";
import type { Db } from "../client.ts";
import {
  accounts,
  emailClaims,
  enterpriseAdmins,
  enterprisePbxTypes,
  enterpriseRegions,
  enterprises,
  organizationPbxTypes,
  organizationRegions,
  organizations,
  pbxTypes,
  regions,
  workflowRuns,
  workflowSteps,
} from "../schema/index.ts";

/**
 * Row factories shared by the tests and the demo seed, so demo data and test data never drift.
 * They write rows directly (no e-mail, no jobs) and keep the global e-mail claims consistent.
 */

let sequence = 0;
const next = () => `${Date.now().toString(36)}${(sequence++).toString(36)}`;

export const defaultPassword = "correct-horse-battery-staple";
let defaultHash: Promise<string> | undefined;
function passwordHashFor(password: string): Promise<string> {
  if (password !== defaultPassword) return hashPassword(password);
  defaultHash ??= hashPassword(defaultPassword);
  return defaultHash;
}

export async function buildRegion(db: Db, overrides: Partial<typeof regions.$inferInsert> = {}) {
  const n = next();
  const [row] = await db
    .insert(regions)
    .values({
      id: newId("region"),
      name: `Region ${n}`,
      carrierFqdn: `r${n}.sbc.example.net`,
      ...overrides,
    })
    .returning();
  return row!;
}

export async function buildPbxType(db: Db, overrides: Partial<typeof pbxTypes.$inferInsert> = {}) {
  const n = next();
  const [row] = await db
    .insert(pbxTypes)
    .values({ id: newId("pbxType"), name: `PBX ${n}`, label: `PBX ${n}`, ...overrides })
    .returning();
  return row!;
}

type OrgInsert = typeof organizations.$inferInsert;

/** An organization of any tier; a reseller's `masterResellerId` is taken from its parent. */
export async function buildOrganization(
  db: Db,
  input: Partial<OrgInsert> & {
    kind: OrgInsert["kind"];
    parent?: { id: string; kind: string; masterResellerId: string | null } | null;
    regionIds?: string[];
    pbxTypeIds?: string[];
  },
) {
  const n = next();
  const { parent, regionIds = [], pbxTypeIds = [], ...values } = input;
  const id = newId("organization");
  const email = (values.email ?? `${input.kind.replace("_", "-")}-${n}@example.com`).toLowerCase();
  const [row] = await db
    .insert(organizations)
    .values({
      id,
      name: `${input.kind === "reseller" ? "Reseller" : input.kind === "master_reseller" ? "Master" : "Operator"} ${n}`,
      status: "active",
      services: input.kind === "operator" ? [] : ["PBX", "TRUNK"],
      ...values,
      email,
      parentId: parent?.id ?? null,
      masterResellerId: parent
        ? parent.kind === "master_reseller"
          ? parent.id
          : parent.masterResellerId
        : null,
    })
    .returning();
  if ((values.status ?? "active") === "invited") {
    await db.insert(emailClaims).values({ email, ownerType: "organization", ownerId: id });
  }
  if (regionIds.length)
    await db
      .insert(organizationRegions)
      .values(regionIds.map((regionId) => ({ organizationId: id, regionId })));
  if (pbxTypeIds.length)
    await db
      .insert(organizationPbxTypes)
      .values(pbxTypeIds.map((pbxTypeId) => ({ organizationId: id, pbxTypeId })));
  return row!;
}

/** A portal account with the default test password unless another is given. */
export async function buildAccount(
  db: Db,
  input: Partial<typeof accounts.$inferInsert> & { organizationId: string; password?: string },
) {
  const n = next();
  const { password = defaultPassword, ...values } = input;
  const id = newId("account");
  const email = (values.email ?? `admin-${n}@example.com`).toLowerCase();
  await db.insert(emailClaims).values({ email, ownerType: "account", ownerId: id });
  const [row] = await db
    .insert(accounts)
    .values({
      id,
      name: `Admin ${n}`,
      username: `admin-${n}`,
      passwordHash: await passwordHashFor(password),
      ...values,
      email,
    })
    .returning();
  return row!;
}

/** An enterprise under a reseller, with its admin e-mail claimed. */
export async function buildEnterprise(
  db: Db,
  input: Partial<typeof enterprises.$inferInsert> & {
    reseller: { id: string; masterResellerId: string | null };
    regionIds?: string[];
    pbxTypeIds?: string[];
  },
) {
  const n = next();
  const { reseller, regionIds = [], pbxTypeIds = [], ...values } = input;
  const id = newId("enterprise");
  const adminEmail = (values.adminEmail ?? `ga-${n}@customer.example.com`).toLowerCase();
  await db.insert(emailClaims).values({ email: adminEmail, ownerType: "enterprise", ownerId: id });
  const [row] = await db
    .insert(enterprises)
    .values({
      id,
      name: `Enterprise ${n}`,
      services: ["PBX"],
      ...values,
      adminEmail,
      resellerId: reseller.id,
      masterResellerId: reseller.masterResellerId!,
    })
    .returning();
  if (regionIds.length)
    await db
      .insert(enterpriseRegions)
      .values(regionIds.map((regionId) => ({ enterpriseId: id, regionId })));
  if (pbxTypeIds.length)
    await db
      .insert(enterprisePbxTypes)
      .values(pbxTypeIds.map((pbxTypeId) => ({ enterpriseId: id, pbxTypeId })));
  return row!;
}

/**
 * An enterprise admin of an enterprise, registering the enterprise first when it is still
 * invited (a random tenant id; no Microsoft involved). Roles default to Global Administrator.
 */
export async function buildEnterpriseAdmin(
  db: Db,
  enterprise: { id: string },
  input: { roles?: string[]; upn?: string; name?: string } = {},
) {
  const n = next();
  await db
    .update(enterprises)
    .set({ status: "registered", tenantId: randomUUID(), registeredAt: new Date() })
    .where(and(eq(enterprises.id, enterprise.id), eq(enterprises.status, "invited")));
  const [row] = await db
    .insert(enterpriseAdmins)
    .values({
      id: newId("enterpriseAdmin"),
      enterpriseId: enterprise.id,
      oid: randomUUID(),
      upn: input.upn ?? `admin-${n}@tenant.example.com`,
      name: input.name ?? `Tenant Admin ${n}`,
      roles: input.roles ?? ["62e90394-69f5-4237-9190-012177145e10"],
    })
    .returning();
  return row!;
}

/**
 * A finished run of the Teams Administrator role workflow for a registered enterprise, with its
 * steps, as registration leaves it once Microsoft applied the role (`succeeded`, what Direct
 * Routing waits for) or gave up (`failed`, its last step failed).
 */
export async function buildTeamsAdminRoleRun(
  db: Db,
  enterprise: {
    id: string;
    name: string;
    resellerId: string;
    masterResellerId: string;
    tenantId: string | null;
  },
  options: { status?: "succeeded" | "failed"; now?: Date } = {},
) {
  const { status = "succeeded", now = new Date() } = options;
  const runId = newId("workflowRun");
  await db.insert(workflowRuns).values({
    id: runId,
    name: teamsAdminRoleWorkflow.name,
    subjectType: "enterprise",
    subjectId: enterprise.id,
    subjectLabel: enterprise.name,
    masterResellerId: enterprise.masterResellerId,
    resellerId: enterprise.resellerId,
    enterpriseId: enterprise.id,
    status,
    input: { tenantId: enterprise.tenantId, assignment: { state: "requested" } },
    createdAt: now,
    updatedAt: now,
    finishedAt: now,
  });
  const last = teamsAdminRoleWorkflow.steps.length - 1;
  await db.insert(workflowSteps).values(
    teamsAdminRoleWorkflow.steps.map((step, position) => ({
      runId,
      stepId: step.id,
      position,
      status:
        status === "failed" && position === last ? ("failed" as const) : ("succeeded" as const),
      attempt: 1,
      startedAt: now,
      finishedAt: now,
    })),
  );
}

/**
 * A small tenancy tree: the operator, two master resellers (A, B), each with one reseller and one
 * enterprise, one admin account per organization, two regions and two PBX types entitled to all.
 */
export async function buildWorld(db: Db) {
  const regionsList = [await buildRegion(db), await buildRegion(db)];
  const pbxList = [await buildPbxType(db, { isDefault: true }), await buildPbxType(db)];
  const regionIds = regionsList.map((r) => r.id);
  const pbxTypeIds = pbxList.map((p) => p.id);
  const operator = await buildOrganization(db, { kind: "operator", name: "Operator" });
  const operatorAdmin = await buildAccount(db, { organizationId: operator.id, isFirstAdmin: true });
  const branch = async (label: string) => {
    const master = await buildOrganization(db, {
      kind: "master_reseller",
      parent: operator,
      name: `Master ${label}`,
      regionIds,
      pbxTypeIds,
    });
    const masterAdmin = await buildAccount(db, { organizationId: master.id, isFirstAdmin: true });
    const reseller = await buildOrganization(db, {
      kind: "reseller",
      parent: master,
      name: `Reseller ${label}`,
      regionIds,
      pbxTypeIds,
    });
    const resellerAdmin = await buildAccount(db, {
      organizationId: reseller.id,
      isFirstAdmin: true,
    });
    const enterprise = await buildEnterprise(db, {
      reseller,
      name: `Enterprise ${label}`,
      regionIds: [regionIds[0]!],
      pbxTypeIds: [pbxTypeIds[0]!],
    });
    return { master, masterAdmin, reseller, resellerAdmin, enterprise };
  };
  return {
    regions: regionsList,
    pbxTypes: pbxList,
    operator,
    operatorAdmin,
    a: await branch("A"),
    b: await branch("B"),
  };
}
export type World = Awaited<ReturnType<typeof buildWorld>>;
