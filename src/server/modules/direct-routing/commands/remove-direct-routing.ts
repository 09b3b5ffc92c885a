import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { AppError } from "../../../lib/errors.ts";
import { latestRun, undoWorkflow } from "../../../workflows/engine.ts";
import { auditPathOf, type EnterpriseRow } from "../../enterprises/index.ts";
import { directRoutingWorkflow } from "../direct-routing.workflow.ts";

/**
 * "Remove Direct Routing": undoes the enterprise's set-up (finished or failed), step by step in
 * reverse: the Teams voice objects, the activation users, the TXT records and the domains; Teams
 * calls stop reaching the PBX. 409 while a set-up is under way or when there is nothing to remove.
 */
export async function removeDirectRouting(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
): Promise<void> {
  const latest = await latestRun(ctx.tx, directRoutingWorkflow, enterprise.id);
  const status = latest?.run.status;
  if (!latest || status === "undone" || status === "undoing")
    throw new AppError("invalid_state", "Direct Routing is not set up for this enterprise");
  if (status !== "succeeded" && status !== "failed")
    throw new AppError(
      "invalid_state",
      "Direct Routing is being set up; it can be removed once the set-up has finished or failed",
    );
  await undoWorkflow(ctx, latest.run.id);
  await ctx.emit("enterprise.direct_routing_removal_requested", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: { after: { runId: latest.run.id } },
  });
}
