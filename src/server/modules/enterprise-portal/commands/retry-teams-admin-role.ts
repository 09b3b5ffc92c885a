import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { AppError } from "../../../lib/errors.ts";
import { latestRun, retryWorkflow } from "../../../workflows/engine.ts";
import { type EnterpriseRow, registeredTenantOf } from "../../enterprises/index.ts";
import { teamsAdminRoleWorkflow } from "../../microsoft-setup/index.ts";

/**
 * "Retry" on a failed Teams Administrator role (e.g. after a Global Administrator assigned it in
 * Entra, or once Microsoft is back): the failed step of its workflow runs again.
 */
export async function retryTeamsAdminRole(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
): Promise<void> {
  registeredTenantOf(enterprise);
  const latest = await latestRun(ctx.tx, teamsAdminRoleWorkflow, enterprise.id);
  if (latest?.run.status !== "failed")
    throw new AppError("invalid_state", "Only a failed role assignment can be retried");
  await retryWorkflow(ctx, latest.run.id);
}
