import type { DirectRoutingView } from "../../../shared/contracts/direct-routing.ts";
import type { Actor } from "../../authz/actor.ts";
import type { Scoped } from "../../authz/policy.ts";
import type { Db } from "../../db/client.ts";
import { latestRun, presentWorkflowRun } from "../../workflows/engine.ts";
import type { EnterpriseRow } from "../enterprises/index.ts";
import { teamsAdminRoleWorkflow } from "../microsoft-setup/index.ts";
import {
  directRoutingAbilities,
  directRoutingBlocker,
  missingPermissionsOf,
} from "./direct-routing.policy.ts";
import { pendingChangesOf, routesOf } from "./direct-routing.queries.ts";
import { directRoutingWorkflow } from "./direct-routing.workflow.ts";

/** The enterprise's Direct Routing as its page shows it: trunks, the latest run, the abilities. */
export async function directRoutingViewOf(
  db: Db,
  actor: Actor,
  enterprise: Scoped<EnterpriseRow>,
): Promise<DirectRoutingView> {
  const [routes, latest, role, pendingChanges] = await Promise.all([
    routesOf(db, enterprise.id),
    latestRun(db, directRoutingWorkflow, enterprise.id),
    latestRun(db, teamsAdminRoleWorkflow, enterprise.id),
    pendingChangesOf(db, enterprise.id),
  ]);
  const run = latest ? presentWorkflowRun(latest) : null;
  const prerequisites = { enterprise, teamsAdminRole: role?.run.status ?? null, pendingChanges };
  return {
    routes: routes.map((r) => ({
      regionId: r.regionId,
      regionName: r.regionName,
      fqdn: r.fqdn,
      role: r.priority === 0 ? "primary" : "failover",
      priority: r.priority,
      domainState: r.domainState,
      status: r.status,
    })),
    run,
    missingPermissions: missingPermissionsOf(enterprise),
    pendingChanges: run?.status === "succeeded" ? pendingChanges : [],
    blockedBy: directRoutingBlocker(prerequisites),
    abilities: directRoutingAbilities(actor, prerequisites, run),
  };
}
