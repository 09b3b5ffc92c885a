import type { DirectRoutingAbility } from "../../../shared/contracts/direct-routing.ts";
import {
  driftCount,
  type WorkflowRunStatus,
  type WorkflowRunView,
} from "../../../shared/contracts/workflows.ts";
import type { Actor } from "../../authz/actor.ts";
import { mayActFor } from "../../authz/policy.ts";
import { directRoutingAppPermissions } from "../../integrations/microsoft/config.ts";
import { type EnterpriseRow, unregisteredReason } from "../enterprises/index.ts";

/** The Direct Routing permissions the tenant's consent lacks (none once it granted them). */
export function missingPermissionsOf(
  enterprise: Pick<EnterpriseRow, "grantedPermissions">,
): string[] {
  const granted = new Set(enterprise.grantedPermissions ?? []);
  return directRoutingAppPermissions.filter((p) => !granted.has(p));
}

/** What the tenant must have before Direct Routing can start. */
export interface Prerequisites {
  enterprise: EnterpriseRow;
  /** What changed on the enterprise since the set-up last ran (pendingChangesOf). */
  pendingChanges: string[];
  /** The latest Teams Administrator role run's status (null: none). */
  teamsAdminRole: WorkflowRunStatus | null;
}

/**
 * Why Direct Routing cannot start yet, or null when it can: the tenant registered and enabled, the
 * consent covering its permissions, and the platform's Teams Administrator role in effect (every
 * Teams voice call needs it; Microsoft refuses without).
 */
export function directRoutingBlocker({
  enterprise,
  teamsAdminRole,
}: Omit<Prerequisites, "pendingChanges">): string | null {
  const unregistered = unregisteredReason(enterprise);
  if (unregistered) return unregistered;
  const missing = missingPermissionsOf(enterprise);
  if (missing.length > 0)
    return `The tenant has not granted Teamgate the permissions Direct Routing needs (${missing.join(", ")}); a Global Administrator must grant them first ("Grant the new permissions" in the action items)`;
  if (teamsAdminRole !== "succeeded")
    return teamsAdminRole === "failed"
      ? "The Teams Administrator role could not be given to Teamgate; retry it first"
      : "Microsoft has not yet applied Teamgate's Teams Administrator role in the tenant; Direct Routing can start once it has";
  return null;
}

/**
 * What the actor may do about the enterprise's Direct Routing now: set it up when nothing blocks
 * it and no run is live or done (or a finished one has changes to apply), retry a failed run, remove a finished or failed one, check a
 * finished one (unless a check is under way) and repair it when its last check found differences. The routes
 * check the role and the consent, the commands the same states, so a button shown is a request
 * that succeeds.
 */
export function directRoutingAbilities(
  actor: Actor,
  prerequisites: Prerequisites,
  run: Pick<WorkflowRunView, "status" | "checking" | "steps"> | null,
): DirectRoutingAbility[] {
  if (!mayActFor(actor, prerequisites.enterprise, "direct_routing.manage")) return [];
  const blocked = directRoutingBlocker(prerequisites) !== null;
  // Removing needs no prerequisite: it undoes what a run did.
  if (run?.status === "succeeded") {
    const checks: DirectRoutingAbility[] = run.checking ? [] : ["direct_routing.check"];
    const repair: DirectRoutingAbility[] =
      !blocked && driftCount(run) > 0 ? ["direct_routing.repair"] : [];
    const apply: DirectRoutingAbility[] =
      !blocked && prerequisites.pendingChanges.length > 0 ? ["direct_routing.set_up"] : [];
    return [...apply, ...repair, ...checks, "direct_routing.remove"];
  }
  const runStatus = run?.status ?? null;
  if (runStatus === "failed")
    return blocked ? ["direct_routing.remove"] : ["direct_routing.retry", "direct_routing.remove"];
  if (!blocked && (runStatus === null || runStatus === "undone")) return ["direct_routing.set_up"];
  return [];
}
