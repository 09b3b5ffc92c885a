import { and, eq } from "drizzle-orm";
import { type Actor, whoOf } from "../../../authz/actor.ts";
import { assertManagementConsent, type Scoped } from "../../../authz/policy.ts";
import { enterprises } from "../../../db/schema/index.ts";
import { enqueue } from "../../../jobs/queue.ts";
import { AppError } from "../../../lib/errors.ts";
import type { Services } from "../../../services.ts";
import { recordAudit } from "../../audit/index.ts";
import { auditPathOf } from "../../enterprises/commands/enterprise-rules.ts";
import { assignTeamsAdminRoleJob } from "../../registration/jobs/assign-teams-admin-role.job.ts";
import { registeredTenantOf } from "../enterprise-portal.policy.ts";

/**
 * "Retry" on a failed Teams Administrator role (its job gave up, e.g. before a permission was
 * granted in the tenant): back to pending, and the job queued again in the same transaction.
 */
export async function retryTeamsAdminRole(
  services: Services,
  actor: Actor,
  enterprise: Scoped<typeof enterprises.$inferSelect>,
): Promise<void> {
  registeredTenantOf(enterprise);
  assertManagementConsent(actor, enterprise);
  await services.db.transaction(async (tx) => {
    const [row] = await tx
      .update(enterprises)
      .set({ teamsAdminRoleState: "pending", updatedAt: services.now() })
      .where(and(eq(enterprises.id, enterprise.id), eq(enterprises.teamsAdminRoleState, "failed")))
      .returning({ id: enterprises.id });
    if (!row) {
      throw new AppError("invalid_state", "Only a failed role assignment can be retried");
    }
    await enqueue(services.boss, tx, assignTeamsAdminRoleJob, { enterpriseId: enterprise.id });
    await recordAudit(tx, whoOf(actor), {
      action: "enterprise.teams_admin_role_retried",
      target: { type: "enterprise", id: enterprise.id, label: enterprise.name },
      path: auditPathOf(enterprise),
      before: { teamsAdminRole: "failed", error: enterprise.teamsAdminRoleError },
      after: { teamsAdminRole: "pending" },
    });
  });
}
