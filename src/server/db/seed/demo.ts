import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { newId, newIds } from "../../../shared/ids.ts";
import type { Services } from "../../services.ts";
import type { Db } from "../client.ts";
import {
  enterprises,
  organizations,
  regions,
  userSyncRuns,
  userSyncState,
  users,
} from "../schema/index.ts";
import { seedDemoCalling } from "./demo-calling.ts";
import {
  buildAccount,
  buildEnterprise,
  buildOrganization,
  buildPbxType,
  buildRegion,
  buildTeamsAdminRoleRun,
  defaultPassword,
} from "./factories.ts";

/**
 * Demo data for `teamgate seed --demo`, made with the same factories as the tests: three SBC
 * regions, two PBX types, a master reseller with two resellers and a few enterprises, and one
 * admin per organization; then one enterprise's users configured for calling at the demo PBX on
 * `127.0.0.1:<pbxSipPort>` (`seedDemoCalling`). Running it twice adds nothing the second time.
 */
export async function seedDemo(
  services: Services,
  options: { pbxSipPort: number },
): Promise<string> {
  const tree = await seedDemoTree(services.db);
  const calling = await seedDemoCalling(services, options);
  return calling ? `${tree}\n${calling}` : tree;
}

async function seedDemoTree(db: Db): Promise<string> {
  const [already] = await db
    .select({ id: regions.id })
    .from(regions)
    .where(eq(regions.name, "US East 1"));
  if (already) return "Demo data is already there; nothing added.";
  return db.transaction(async (tx) => {
    const regionRows = [
      await buildRegion(tx, { name: "US East 1", carrierFqdn: "use1.sbc.teamgate.localhost" }),
      await buildRegion(tx, { name: "US West 1", carrierFqdn: "usw1.sbc.teamgate.localhost" }),
      await buildRegion(tx, { name: "EU West 1", carrierFqdn: "euw1.sbc.teamgate.localhost" }),
    ];
    const pbx = [
      await buildPbxType(tx, { name: "Ringlogix", label: "Ringlogix", isDefault: true }),
      await buildPbxType(tx, {
        name: "Generic SIP",
        label: "Generic SIP PBX",
        hostingType: "on_premises",
      }),
    ];
    const regionIds = regionRows.map((r) => r.id);
    const pbxTypeIds = pbx.map((p) => p.id);
    const [operator] = await tx
      .select()
      .from(organizations)
      .where(eq(organizations.kind, "operator"));
    const root = operator ?? (await buildOrganization(tx, { kind: "operator", name: "Operator" }));
    const master = await buildOrganization(tx, {
      kind: "master_reseller",
      parent: root,
      name: "Demo Master Reseller",
      contactName: "Morgan Master",
      email: "master@demo.teamgate.localhost",
      regionIds,
      pbxTypeIds,
    });
    await buildAccount(tx, {
      organizationId: master.id,
      name: "Morgan Master",
      email: "master@demo.teamgate.localhost",
      username: "demo-master",
      isFirstAdmin: true,
    });
    const lines = [
      `Demo data added. Sign in with these (password for all: ${defaultPassword}):`,
      "  demo-master (master reseller)",
    ];
    for (const [index, name] of ["Northwind Telecom", "Contoso Voice"].entries()) {
      const slug = name.split(" ")[0]!.toLowerCase();
      const reseller = await buildOrganization(tx, {
        kind: "reseller",
        parent: master,
        name,
        email: `admin@${slug}.demo.teamgate.localhost`,
        regionIds,
        pbxTypeIds,
      });
      await buildAccount(tx, {
        organizationId: reseller.id,
        name: `${name} admin`,
        email: `admin@${slug}.demo.teamgate.localhost`,
        username: `demo-${slug}`,
        isFirstAdmin: true,
      });
      lines.push(`  demo-${slug} (reseller ${name})`);
      for (let i = 1; i <= 3 + index * 2; i++) {
        const customer = `${name.split(" ")[0]} Customer ${i}`;
        const status = i === 1 ? "invited" : i === 2 ? "registered" : "active";
        const enterprise = await buildEnterprise(tx, {
          reseller,
          name: customer,
          adminEmail: `ga@customer${i}.${slug}.demo.teamgate.localhost`,
          services: i % 2 ? ["PBX"] : ["PBX", "TRUNK"],
          status,
          regionIds: [regionIds[i % 3]!],
          pbxTypeIds: [pbxTypeIds[0]!],
          billingReference: `CUST-${1000 + i}`,
          requestManagementConsent: i % 2 === 1,
        });
        if (status !== "invited") await registerDemoEnterprise(tx, enterprise, status === "active");
      }
    }
    return lines.join("\n");
  });
}

const demoPeople = [
  "Adele Vance",
  "Alex Wilber",
  "Diego Siciliani",
  "Grady Archie",
  "Henrietta Mueller",
  "Isaiah Langer",
  "Johanna Lorenz",
  "Lee Gu",
  "Lidia Holloway",
  "Lynne Robbins",
  "Megan Bowen",
  "Nestor Wilke",
];

/**
 * What registration leaves on a demo enterprise: a tenant (made up: it exists in no Microsoft and
 * not in the emulator), the Teams Administrator role assigned and, once active, the groups chosen
 * (all users), a dozen synced users and a finished sync. There is no Microsoft tenant behind them,
 * so their next scheduled sync is a year away ("Sync now" shows what Microsoft would answer).
 */
async function registerDemoEnterprise(
  tx: Db,
  enterprise: typeof enterprises.$inferSelect,
  active: boolean,
): Promise<void> {
  const now = new Date();
  const domain = `${enterprise.name.toLowerCase().replace(/[^a-z0-9]+/g, "")}.onmicrosoft.com`;
  const tenantId = randomUUID();
  await buildTeamsAdminRoleRun(tx, { ...enterprise, tenantId }, { now });
  await tx
    .update(enterprises)
    .set({
      tenantId,
      tenantName: enterprise.name,
      registeredAt: now,
      grantedPermissions: ["GroupMember.Read.All", "Organization.Read.All", "User.Read.All"],
      managementConsentGrantedAt: active && enterprise.requestManagementConsent ? now : null,
      managementConsentGrantedBy:
        active && enterprise.requestManagementConsent ? `Global Admin <admin@${domain}>` : null,
      syncGroupsChosenAt: active ? now : null,
    })
    .where(eq(enterprises.id, enterprise.id));
  if (!active) return;
  const runId = newId("userSyncRun");
  const ids = newIds("user", demoPeople.length);
  await tx.insert(userSyncRuns).values({
    id: runId,
    enterpriseId: enterprise.id,
    trigger: "registration",
    mode: "full",
    status: "succeeded",
    seen: demoPeople.length,
    created: demoPeople.length,
    startedAt: now,
    finishedAt: now,
  });
  await tx.insert(users).values(
    demoPeople.map((displayName, i) => {
      const login = `${displayName.toLowerCase().replace(" ", ".")}@${domain}`;
      return {
        id: ids[i]!,
        enterpriseId: enterprise.id,
        msObjectId: randomUUID(),
        displayName,
        userPrincipalName: login,
        mail: login,
        teamsLicensed: i % 4 !== 3,
        teamsPhoneLicensed: i % 4 < 2,
        lastSeenRunId: runId,
      };
    }),
  );
  await tx.insert(userSyncState).values({
    enterpriseId: enterprise.id,
    status: "idle",
    lastSyncAt: now,
    lastFullSyncAt: now,
    deltaScope: [],
    nextDueAt: new Date(now.getTime() + 365 * 86_400_000),
  });
}
