import { eq } from "drizzle-orm";
import type { ManagementConsentView } from "../../../../shared/contracts/enterprise-portal.ts";
import type { EnterpriseAdminActor } from "../../../authz/actor.ts";
import { managementConsentOf, type Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { enterprises } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { auditPathOf, type EnterpriseRow, getEnterprise } from "../../enterprises/index.ts";

/**
 * "Allow management by service provider" (SPEC §3.4): an enterprise admin grants or revokes the
 * consent its enterprise was asked for. Repeating the same answer changes nothing and is not an
 * error; asking when the enterprise never requested consent is 409.
 */
export async function setManagementConsent(
  ctx: Ctx,
  actor: EnterpriseAdminActor,
  scoped: Scoped<EnterpriseRow>,
  grant: boolean,
): Promise<ManagementConsentView> {
  const { tx, now } = ctx;
  const enterprise = await getEnterprise(tx, actor, scoped.id, { lock: true });
  if (!enterprise.requestManagementConsent) {
    throw new AppError(
      "invalid_state",
      "Your service provider has not asked for management consent",
    );
  }
  if (enterprise.status === "disabled") {
    throw new AppError("invalid_state", "This enterprise is disabled");
  }
  const before = managementConsentOf(enterprise);
  if (before === (grant ? "granted" : "pending")) return viewOf(enterprise);
  const [row] = await tx
    .update(enterprises)
    .set({
      managementConsentGrantedAt: grant ? now : null,
      managementConsentGrantedBy: grant ? `${actor.name} <${actor.email}>` : null,
      updatedAt: now,
    })
    .where(eq(enterprises.id, enterprise.id))
    .returning();
  await ctx.emit(
    grant ? "enterprise.management_consent_granted" : "enterprise.management_consent_revoked",
    {
      subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
      path: auditPathOf(enterprise),
      payload: {
        before: { managementConsent: before },
        after: { managementConsent: grant ? "granted" : "pending" },
      },
    },
  );
  return viewOf(row!);
}

function viewOf(e: typeof enterprises.$inferSelect): ManagementConsentView {
  return {
    state: managementConsentOf(e),
    grantedAt: e.managementConsentGrantedAt?.toISOString() ?? null,
    grantedBy: e.managementConsentGrantedBy,
  };
}
