import type { DirectRoutingAbility } from "../../../shared/contracts/direct-routing.ts";
import type { WorkflowRunStatus } from "../../../shared/contracts/workflows.ts";
import type { Actor } from "../../authz/actor.ts";
import { mayActFor } from "../../authz/policy.ts";
import { directRoutingAppPermissions } from "../../integrations/microsoft/config.ts";
import type { EnterpriseRow } from "../enterprises/index.ts";

/**
 * What the actor may do about the enterprise's Direct Routing now: set it up once the tenant is
 * registered, its consent covers Direct Routing's permissions and no run is live or done; retry a
 * failed run. The route checks the role and the
 * consent; `setUpDirectRouting` the same states, so a button shown is a request that succeeds.
 */
/** The Direct Routing permissions the tenant's consent lacks (none once it granted them). */
export function missingPermissionsOf(
  enterprise: Pick<EnterpriseRow, "grantedPermissions">,
): string[] {
  const granted = new Set(enterprise.grantedPermissions ?? []);
  return directRoutingAppPermissions.filter((p) => !granted.has(p));
}

export function directRoutingAbilities(
  actor: Actor,
  enterprise: EnterpriseRow,
  runStatus: WorkflowRunStatus | null,
): DirectRoutingAbility[] {
  const registered =
    enterprise.tenantId !== null &&
    enterprise.status !== "invited" &&
    enterprise.status !== "disabled";
  if (!registered || !mayActFor(actor, enterprise, "direct_routing.manage")) return [];
  if (missingPermissionsOf(enterprise).length > 0) return [];
  if (runStatus === null || runStatus === "undone") return ["direct_routing.set_up"];
  if (runStatus === "failed") return ["direct_routing.retry"];
  return [];
}
