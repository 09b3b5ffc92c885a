import type { Actor } from "../../../authz/actor.ts";
import { assertManagementConsent, type Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import type { enterprises } from "../../../db/schema/index.ts";
import { auditPathOf } from "../../enterprises/index.ts";
import { requestUserSync } from "../../users/index.ts";
import { registeredTenantOf } from "../enterprise-portal.policy.ts";

/** "Sync now": queues a sync of the enterprise's users, and records who asked. */
export async function requestUserSyncNow(
  ctx: Ctx,
  actor: Actor,
  enterprise: Scoped<typeof enterprises.$inferSelect>,
): Promise<void> {
  registeredTenantOf(enterprise);
  assertManagementConsent(actor, enterprise);
  await requestUserSync(ctx, enterprise.id, "manual");
  await ctx.emit("enterprise.user_sync_requested", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: {},
  });
}
