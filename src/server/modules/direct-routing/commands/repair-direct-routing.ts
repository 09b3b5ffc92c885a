import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { AppError } from "../../../lib/errors.ts";
import { repairWorkflow, requestCheck } from "../../../workflows/drift.ts";
import { latestRun } from "../../../workflows/engine.ts";
import type { EnterpriseRow } from "../../enterprises/index.ts";

import { directRoutingWorkflow } from "../direct-routing.workflow.ts";
import { assertNotBlocked } from "./set-up-direct-routing.ts";

async function finishedRunOf(ctx: Ctx, enterprise: Scoped<EnterpriseRow>): Promise<string> {
  const latest = await latestRun(ctx.tx, directRoutingWorkflow, enterprise.id);
  if (latest?.run.status !== "succeeded")
    throw new AppError(
      "invalid_state",
      latest && latest.run.status !== "undone"
        ? "Direct Routing is not set up yet: it can be checked and repaired once its set-up has finished"
        : "Direct Routing is not set up for this enterprise",
    );
  return latest.run.id;
}

/** "Check now": reads the tenant back against the finished set-up (drift); the result follows. */
export async function checkDirectRouting(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
): Promise<void> {
  await requestCheck(ctx, await finishedRunOf(ctx, enterprise));
}

/**
 * "Repair": runs again exactly the steps whose last check found the tenant changed (an object
 * deleted or edited in the Teams admin center, the domain removed). 409 when nothing differs.
 */
export async function repairDirectRouting(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
): Promise<string[]> {
  await assertNotBlocked(ctx, enterprise);
  return repairWorkflow(ctx, await finishedRunOf(ctx, enterprise));
}
