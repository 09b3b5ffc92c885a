import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { AppError } from "../../../lib/errors.ts";
import { latestRun, retryWorkflow, startWorkflow } from "../../../workflows/engine.ts";
import { auditPathOf, type EnterpriseRow, registeredTenantOf } from "../../enterprises/index.ts";
import { teamsAdminRoleWorkflow } from "../../microsoft-setup/index.ts";
import { directRoutingBlocker } from "../direct-routing.policy.ts";
import { pendingChangesOf } from "../direct-routing.queries.ts";
import { directRoutingWorkflow } from "../direct-routing.workflow.ts";

/** 409 with the reason when Direct Routing cannot run for the enterprise now (directRoutingBlocker). */
export async function assertNotBlocked(ctx: Ctx, enterprise: EnterpriseRow): Promise<void> {
  const role = await latestRun(ctx.tx, teamsAdminRoleWorkflow, enterprise.id);
  const blocker = directRoutingBlocker({ enterprise, teamsAdminRole: role?.run.status ?? null });
  if (blocker) throw new AppError("invalid_state", blocker);
}

/**
 * "Set up Direct Routing": starts the workflow for a registered enterprise, or continues a failed
 * run from its failed step, or runs a finished set-up again when the enterprise changed since
 * (its regions, the PBX's music on hold): the steps look before they create, so only what changed
 * is created, the voice route is corrected in place and the trunks of regions taken off retired.
 * A run under way is 409; so is a finished one with nothing to apply.
 */
export async function setUpDirectRouting(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
): Promise<string> {
  const tenantId = registeredTenantOf(enterprise);
  await assertNotBlocked(ctx, enterprise);
  const latest = await latestRun(ctx.tx, directRoutingWorkflow, enterprise.id);
  if (latest?.run.status === "failed") {
    await retryWorkflow(ctx, latest.run.id);
    return latest.run.id;
  }
  if (latest?.run.status === "succeeded") {
    if ((await pendingChangesOf(ctx.tx, enterprise.id)).length === 0)
      throw new AppError("invalid_state", "Direct Routing is already set up for this enterprise");
  } else if (latest && latest.run.status !== "undone")
    throw new AppError("invalid_state", "Direct Routing is already being set up");
  const path = auditPathOf(enterprise);
  const runId = await startWorkflow(ctx, directRoutingWorkflow, {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path,
    input: { enterpriseId: enterprise.id, tenantId },
  });
  await ctx.emit("enterprise.direct_routing_requested", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path,
    payload: { after: { runId } },
  });
  return runId;
}
