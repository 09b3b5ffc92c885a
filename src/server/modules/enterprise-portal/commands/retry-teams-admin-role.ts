import { and, eq } from "drizzle-orm";
import type { Actor } from "../../../authz/actor.ts";
import { assertManagementConsent, type Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { enterprises } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { auditPathOf } from "../../enterprises/commands/enterprise-rules.ts";
import { assignTeamsAdminRoleJob } from "../../registration/jobs/assign-teams-admin-role.job.ts";
import { registeredTenantOf } from "../enterprise-portal.policy.ts";

/**
 * "Retry" on a failed Teams Administrator role (its job gave up, e.g. before a permission was
 * granted in the tenant): back to pending, and the job queued again in the same transaction.
 */
export async function retryTeamsAdminRole(
  ctx: Ctx,
  actor: Actor,
  enterprise: Scoped<typeof enterprises.$inferSelect>,
): Promise<void> {
  registeredTenantOf(enterprise);
  assertManagementConsent(actor, enterprise);
  const [row] = await ctx.tx
    .update(enterprises)
    .set({ teamsAdminRoleState: "pending", updatedAt: ctx.now })
    .where(and(eq(enterprises.id, enterprise.id), eq(enterprises.teamsAdminRoleState, "failed")))
    .returning({ id: enterprises.id });
  if (!row) {
    throw new AppError("invalid_state", "Only a failed role assignment can be retried");
  }
  await ctx.enqueue(assignTeamsAdminRoleJob, { enterpriseId: enterprise.id });
  await ctx.emit("enterprise.teams_admin_role_retried", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: {
      before: { teamsAdminRole: "failed", error: enterprise.teamsAdminRoleError },
      after: { teamsAdminRole: "pending" },
    },
  });
}
