import type { Actor } from "../../../authz/actor.ts";
import { assertManagementConsent, type Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import type { enterprises } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { latestRun, retryWorkflow } from "../../../workflows/engine.ts";
import { teamsAdminRoleWorkflow } from "../../microsoft-setup/index.ts";
import { registeredTenantOf } from "../enterprise-portal.policy.ts";

/**
 * "Retry" on a failed Teams Administrator role (e.g. after a Global Administrator assigned it in
 * Entra, or once Microsoft is back): the failed step of its workflow runs again.
 */
export async function retryTeamsAdminRole(
  ctx: Ctx,
  actor: Actor,
  enterprise: Scoped<typeof enterprises.$inferSelect>,
): Promise<void> {
  registeredTenantOf(enterprise);
  assertManagementConsent(actor, enterprise);
  const latest = await latestRun(ctx.tx, teamsAdminRoleWorkflow, enterprise.id);
  if (latest?.run.status !== "failed")
    throw new AppError("invalid_state", "Only a failed role assignment can be retried");
  await retryWorkflow(ctx, latest.run.id);
}
