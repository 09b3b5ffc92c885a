import { eq } from "drizzle-orm";
import type { PortalActor } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { enterprises } from "../../../db/schema/index.ts";
import { assertStatusAllows } from "../enterprises.policy.ts";
import { type EnterpriseRow, getEnterprise } from "../enterprises.queries.ts";
import { auditPathOf } from "./enterprise-rules.ts";

type LiveStatus = Exclude<EnterpriseRow["status"], "disabled">;

/** The status to restore on Enable (never `disabled`; the policy check excludes it). */
function liveStatusOf(status: EnterpriseRow["status"]): LiveStatus {
  return status === "disabled" ? "invited" : status;
}

/**
 * "Disable" / "Enable" (seed 3). Disabling remembers the status it left so enabling restores it
 * (invited, registered or active); data and invitations are kept. 409 `invalid_state` when the
 * enterprise is already in the requested state.
 */
export async function setEnterpriseStatus(
  ctx: Ctx,
  actor: PortalActor,
  target: Scoped<EnterpriseRow>,
  change: "disable" | "enable",
): Promise<EnterpriseRow> {
  const before = await getEnterprise(ctx.tx, actor, target.id, { lock: true });
  assertStatusAllows(
    change === "disable" ? "enterprise.disable" : "enterprise.enable",
    before.status,
  );
  const next =
    change === "disable"
      ? { status: "disabled" as const, statusBeforeDisable: liveStatusOf(before.status) }
      : { status: before.statusBeforeDisable ?? ("invited" as const), statusBeforeDisable: null };
  const [row] = await ctx.tx
    .update(enterprises)
    .set({ ...next, updatedAt: ctx.now })
    .where(eq(enterprises.id, before.id))
    .returning();
  const after = row!;
  await ctx.emit(change === "disable" ? "enterprise.disabled" : "enterprise.enabled", {
    subject: { type: "enterprise", id: after.id, label: after.name },
    path: auditPathOf(after),
    payload: { before: { status: before.status }, after: { status: after.status } },
  });
  return after;
}
