import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { auditPathOf, type EnterpriseRow, registeredTenantOf } from "../../enterprises/index.ts";
import { requestUserSync } from "./request-user-sync.ts";

/** "Sync now": queues a sync of the registered enterprise's users, and records who asked. */
export async function requestUserSyncNow(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
): Promise<void> {
  registeredTenantOf(enterprise);
  await requestUserSync(ctx, enterprise.id, "manual");
  await ctx.emit("enterprise.user_sync_requested", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: {},
  });
}
