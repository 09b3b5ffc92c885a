import { eq } from "drizzle-orm";
import { type TestApp, testMicrosoftApp } from "../../../../test/harness.ts";
import type { SeedUser } from "../../../emulator/index.ts";
import type { Scoped } from "../../authz/policy.ts";
import { enterpriseSyncGroups, users } from "../../db/schema/index.ts";
import { buildEnterprise, type World } from "../../db/seed/factories.ts";

let n = 0;

/** The tenant's enterprise as a scoped parent, as a route hands it to the users queries. */
export function scopedEnterpriseOf(tenant: { enterpriseId: string }): Scoped<{ id: string }> {
  return { id: tenant.enterpriseId } as Scoped<{ id: string }>;
}

export interface SyncTenant {
  tenantId: string;
  enterpriseId: string;
  domain: string;
  /** Object id by user principal name. */
  userIds: Map<string, string>;
  /** Group id by display name. */
  groupIds: Map<string, string>;
}

/** `count` users `u<i>@domain`: every third unlicensed, the others Teams, every second also Teams Phone. */
export function numberedUsers(
  domain: string,
  count: number,
  groupsOf: (i: number) => string[] = () => [],
): SeedUser[] {
  return Array.from({ length: count }, (_, i) => ({
    userPrincipalName: `u${i}@${domain}`,
    displayName: `User ${String(i).padStart(4, "0")}`,
    password: "Passw0rd!emulator",
    licenses: i % 3 === 0 ? [] : i % 2 === 0 ? ["teams", "teamsPhone"] : ["teams"],
    groups: groupsOf(i),
  }));
}

/**
 * A fresh emulator tenant (admin consent granted, as after registration) and a registered
 * enterprise of reseller A bound to it, optionally with sync groups (display names).
 */
export async function syncTenant(
  t: TestApp,
  world: World,
  input: {
    users: (domain: string) => SeedUser[];
    groups?: string[];
    status?: "registered" | "active" | "disabled" | "invited";
    /** Whether the admin has saved the groups to sync (default: yes). */
    groupsChosen?: boolean;
  },
): Promise<SyncTenant> {
  const emulator = t.emulator!;
  const domain = `sync${process.pid}x${++n}.example`;
  const seeded = emulator.control.seedTenant({
    displayName: `Sync tenant ${n}`,
    domain,
    users: input.users(domain),
    groups: input.groups ?? [],
  });
  emulator.control.grantAdminConsent(seeded.tenantId, testMicrosoftApp.clientId, {
    longAgo: true,
  });
  const enterprise = await buildEnterprise(t.services.db, {
    reseller: world.a.reseller,
    status: input.status ?? "registered",
    tenantId: input.status === "invited" ? null : seeded.tenantId,
    syncGroupsChosenAt:
      input.status === "invited" || input.groupsChosen === false ? null : new Date(),
  });
  const groupIds = new Map(seeded.groups.map((g) => [g.displayName, g.id]));
  return {
    tenantId: seeded.tenantId,
    enterpriseId: enterprise.id,
    domain,
    userIds: new Map(seeded.users.map((u) => [u.userPrincipalName, u.id])),
    groupIds,
  };
}

/** Chooses the sync groups of an enterprise (replacing the previous choice). */
export async function chooseGroups(t: TestApp, tenant: SyncTenant, names: string[]) {
  await t.services.db
    .delete(enterpriseSyncGroups)
    .where(eq(enterpriseSyncGroups.enterpriseId, tenant.enterpriseId));
  if (names.length)
    await t.services.db.insert(enterpriseSyncGroups).values(
      names.map((name) => ({
        enterpriseId: tenant.enterpriseId,
        groupId: tenant.groupIds.get(name)!,
        displayName: name,
      })),
    );
}

/** The enterprise's user rows by user principal name. */
export async function userRows(t: TestApp, enterpriseId: string) {
  const rows = await t.services.db.select().from(users).where(eq(users.enterpriseId, enterpriseId));
  return new Map(rows.map((r) => [r.userPrincipalName, r]));
}
