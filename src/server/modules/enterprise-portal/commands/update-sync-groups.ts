import { eq } from "drizzle-orm";
import type {
  SyncGroupsView,
  UpdateSyncGroupsBody,
} from "../../../../shared/contracts/enterprise-portal.ts";
import type { Actor } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { enterpriseSyncGroups, enterprises } from "../../../db/schema/index.ts";
import { requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import type { Services } from "../../../services.ts";
import {
  auditPathOf,
  type EnterpriseRow,
  getEnterprise,
  registeredTenantOf,
} from "../../enterprises/index.ts";
import { requestUserSync } from "../../users/index.ts";
import { syncGroupsOf } from "../enterprise-portal.queries.ts";

/**
 * Looks the chosen groups up in the tenant and returns their names; a group the tenant does not
 * have is a field error naming its position in the list.
 */
async function groupsInTenant(
  services: Services,
  tenantId: string,
  ids: string[],
): Promise<TenantGroup[]> {
  const groups = await requireMicrosoft(services.microsoft).findGroups(tenantId, ids);
  const fields: Record<string, string> = {};
  groups.forEach((group, index) => {
    if (!group) fields[`groupIds.${index}`] = "No such group in your Microsoft 365 directory";
  });
  if (Object.keys(fields).length > 0) {
    throw new AppError("validation_failed", "Some groups were not found", { fields });
  }
  return groups.map((group) => ({ id: group!.id, displayName: group!.displayName }));
}

/** A group of the tenant, as Microsoft names it. */
export interface TenantGroup {
  id: string;
  displayName: string;
}

/**
 * "Manage user groups", the part that asks Microsoft (outside any transaction): the enterprise
 * must be registered, then the chosen groups are looked up in its tenant.
 */
export async function lookUpSyncGroups(
  services: Services,
  enterprise: Scoped<EnterpriseRow>,
  input: UpdateSyncGroupsBody,
): Promise<TenantGroup[]> {
  const tenantId = registeredTenantOf(enterprise);
  const ids = input.groupIds.map((id) => id.toLowerCase());
  return groupsInTenant(services, tenantId, ids);
}

/**
 * "Manage user groups": replaces the groups whose members are synced (none = all users) with the
 * ones `lookUpSyncGroups` found, then asks for a sync in the same transaction. The first choice
 * after registration starts the first sync; a later change of scope makes the next sync a full one.
 */
export async function updateSyncGroups(
  ctx: Ctx,
  actor: Actor,
  scoped: Scoped<EnterpriseRow>,
  groups: TenantGroup[],
): Promise<SyncGroupsView> {
  const { tx, now } = ctx;
  const enterprise = await getEnterprise(tx, actor, scoped.id, { lock: true });
  const before = await syncGroupsOf(tx, enterprise);
  await tx.delete(enterpriseSyncGroups).where(eq(enterpriseSyncGroups.enterpriseId, enterprise.id));
  if (groups.length > 0) {
    await tx.insert(enterpriseSyncGroups).values(
      groups.map((g) => ({
        enterpriseId: enterprise.id,
        groupId: g.id,
        displayName: g.displayName,
        addedAt: now,
      })),
    );
  }
  await tx
    .update(enterprises)
    .set({ syncGroupsChosenAt: now, updatedAt: now })
    .where(eq(enterprises.id, enterprise.id));
  const sameScope =
    before.chosenAt !== null &&
    before.groups
      .map((g) => g.id)
      .sort()
      .join() ===
      groups
        .map((g) => g.id)
        .sort()
        .join();
  if (!sameScope) {
    await requestUserSync(ctx, enterprise.id, before.chosenAt ? "scope_changed" : "registration");
  }
  await ctx.emit("enterprise.sync_groups_updated", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: {
      before: { groups: before.groups.map((g) => g.displayName) },
      after: { groups: groups.map((g) => g.displayName) },
    },
  });
  return syncGroupsOf(tx, { ...enterprise, syncGroupsChosenAt: now });
}
