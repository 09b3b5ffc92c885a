import { eq } from "drizzle-orm";
import type {
  SyncGroupsView,
  UpdateSyncGroupsBody,
} from "../../../../shared/contracts/enterprise-portal.ts";
import { type Actor, whoOf } from "../../../authz/actor.ts";
import { assertManagementConsent, type Scoped } from "../../../authz/policy.ts";
import { enterpriseSyncGroups, enterprises } from "../../../db/schema/index.ts";
import { MAX_BATCH_SIZE } from "../../../integrations/microsoft/graph.ts";
import { requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import type { Services } from "../../../services.ts";
import { recordAudit } from "../../audit/index.ts";
import { auditPathOf } from "../../enterprises/commands/enterprise-rules.ts";
import { getEnterprise } from "../../enterprises/enterprises.queries.ts";
import { requestUserSync } from "../../users/index.ts";
import { registeredTenantOf } from "../enterprise-portal.policy.ts";
import { syncGroupsOf } from "../enterprise-portal.queries.ts";

type EnterpriseRow = typeof enterprises.$inferSelect;

/**
 * Looks the chosen groups up in the tenant ($batch, 20 at a time) and returns their names;
 * a group the tenant does not have is a field error naming its position in the list.
 */
async function groupsInTenant(
  services: Services,
  tenantId: string,
  ids: string[],
): Promise<{ id: string; displayName: string }[]> {
  const graph = requireMicrosoft(services.microsoft).graphFor(tenantId);
  const found: { id: string; displayName: string }[] = [];
  const fields: Record<string, string> = {};
  for (let start = 0; start < ids.length; start += MAX_BATCH_SIZE) {
    const chunk = ids.slice(start, start + MAX_BATCH_SIZE);
    const answers = await graph.batch(
      chunk.map((id, i) => ({
        id: String(start + i),
        method: "GET" as const,
        url: `/groups/${encodeURIComponent(id)}?$select=id,displayName`,
      })),
    );
    for (const answer of answers) {
      const index = Number(answer.id);
      if (answer.status === 404) {
        fields[`groupIds.${index}`] = "No such group in your Microsoft 365 directory";
        continue;
      }
      if (answer.error) throw answer.error;
      const body = answer.body as { id?: string; displayName?: string | null };
      found[index] = {
        id: (body.id ?? ids[index]!).toLowerCase(),
        displayName: body.displayName ?? "",
      };
    }
  }
  if (Object.keys(fields).length > 0) {
    throw new AppError("validation_failed", "Some groups were not found", { fields });
  }
  return found;
}

/**
 * "Manage user groups": replaces the groups whose members are synced (none = all users), then
 * asks for a sync in the same transaction. The first choice after registration starts the first
 * sync; a later change of scope makes the next sync a full one.
 */
export async function updateSyncGroups(
  services: Services,
  actor: Actor,
  scoped: Scoped<EnterpriseRow>,
  input: UpdateSyncGroupsBody,
): Promise<SyncGroupsView> {
  const tenantId = registeredTenantOf(scoped);
  assertManagementConsent(actor, scoped);
  const ids = input.groupIds.map((id) => id.toLowerCase());
  const groups = await groupsInTenant(services, tenantId, ids);
  return services.db.transaction(async (tx) => {
    const enterprise = await getEnterprise(tx, actor, scoped.id, { lock: true });
    const before = await syncGroupsOf(tx, enterprise);
    const now = services.now();
    await tx
      .delete(enterpriseSyncGroups)
      .where(eq(enterpriseSyncGroups.enterpriseId, enterprise.id));
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
    const [row] = await tx
      .update(enterprises)
      .set({ syncGroupsChosenAt: now, updatedAt: now })
      .where(eq(enterprises.id, enterprise.id))
      .returning();
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
      await requestUserSync(
        tx,
        services,
        enterprise.id,
        before.chosenAt ? "scope_changed" : "registration",
      );
    }
    await recordAudit(tx, whoOf(actor), {
      action: "enterprise.sync_groups_updated",
      target: { type: "enterprise", id: enterprise.id, label: enterprise.name },
      path: auditPathOf(enterprise),
      before: { groups: before.groups.map((g) => g.displayName) },
      after: { groups: groups.map((g) => g.displayName) },
    });
    return syncGroupsOf(tx, row!);
  });
}
