import type { UserSyncStatus } from "../../../../shared/contracts/users.ts";
import { type Actor, whoOf } from "../../../authz/actor.ts";
import { assertManagementConsent, type Scoped } from "../../../authz/policy.ts";
import type { enterprises } from "../../../db/schema/index.ts";
import type { Services } from "../../../services.ts";
import { recordAudit } from "../../audit/index.ts";
import { auditPathOf } from "../../enterprises/commands/enterprise-rules.ts";
import { requestUserSync, userSyncStatusOf } from "../../users/index.ts";
import { registeredTenantOf } from "../enterprise-portal.policy.ts";

/** "Sync now": queues a sync of the enterprise's users (audited) and returns the new status. */
export async function requestUserSyncNow(
  services: Services,
  actor: Actor,
  enterprise: Scoped<typeof enterprises.$inferSelect>,
): Promise<UserSyncStatus> {
  registeredTenantOf(enterprise);
  assertManagementConsent(actor, enterprise);
  await services.db.transaction(async (tx) => {
    await requestUserSync(tx, services, enterprise.id, "manual");
    await recordAudit(tx, whoOf(actor), {
      action: "enterprise.user_sync_requested",
      target: { type: "enterprise", id: enterprise.id, label: enterprise.name },
      path: auditPathOf(enterprise),
    });
  });
  return userSyncStatusOf(services.db, enterprise.id);
}
