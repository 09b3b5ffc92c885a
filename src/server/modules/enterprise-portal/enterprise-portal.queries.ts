import { asc, eq } from "drizzle-orm";
import type {
  ActionItem,
  EnterpriseOverview,
  SyncGroupsView,
} from "../../../shared/contracts/enterprise-portal.ts";
import type { UserSyncStatus } from "../../../shared/contracts/users.ts";
import { driftCount, type WorkflowRunView } from "../../../shared/contracts/workflows.ts";
import type { Actor } from "../../authz/actor.ts";
import { managementConsentOf, type Scoped } from "../../authz/policy.ts";
import type { Db } from "../../db/client.ts";
import { enterpriseSyncGroups, organizations } from "../../db/schema/index.ts";
import type { RequestedAppPermission } from "../../integrations/microsoft/config.ts";
import { latestRun, presentWorkflowRun } from "../../workflows/engine.ts";
import { teamsPushCountsOf } from "../calling/index.ts";
import { directRoutingWorkflow, pendingChangesOf } from "../direct-routing/index.ts";
import { type EnterpriseRow, missingAppPermissionsOf } from "../enterprises/index.ts";
import { teamsAdminRoleWorkflow } from "../microsoft-setup/index.ts";
import { userSyncStatusOf } from "../users/index.ts";
import { dashboardAbilitiesOf } from "./enterprise-portal.policy.ts";

export async function syncGroupsOf(
  db: Db,
  enterprise: Scoped<Pick<EnterpriseRow, "id" | "syncGroupsChosenAt">>,
): Promise<SyncGroupsView> {
  const rows = await db
    .select({ id: enterpriseSyncGroups.groupId, displayName: enterpriseSyncGroups.displayName })
    .from(enterpriseSyncGroups)
    .where(eq(enterpriseSyncGroups.enterpriseId, enterprise.id))
    .orderBy(asc(enterpriseSyncGroups.displayName), asc(enterpriseSyncGroups.groupId));
  return { chosenAt: enterprise.syncGroupsChosenAt?.toISOString() ?? null, groups: rows };
}

function date(d: Date | null): string {
  return d ? d.toISOString().slice(0, 10) : "";
}

/** The enterprise's latest Direct Routing run and what changed since it finished. */
interface DirectRoutingState {
  run: WorkflowRunView | null;
  pendingChanges: string[];
}

/** What the Direct Routing item says: not started, the step under way or failed, or done. */
function directRoutingDetail({ run, pendingChanges }: DirectRoutingState): string {
  const step = run?.steps.find((s) => s.status !== "succeeded");
  if (!run || run.status === "undone")
    return "Connect Microsoft Teams to the PBX through the enterprise's SBC regions.";
  if (run.status === "succeeded" && pendingChanges.length > 0)
    return `${pendingChanges.join("; ")}: apply the changes on the Direct Routing card.`;
  if (run.status === "succeeded")
    return driftCount(run) > 0
      ? `The tenant differs from the set-up (${driftCount(run)} found by the last check): repair it on the Direct Routing card.`
      : "Teams calls reach the PBX through the SBC regions.";
  if (run.status === "failed")
    return `${step?.title ?? "A step"} failed: ${step?.error ?? "see the steps"}`;
  return step?.waitReason ?? `In progress: ${step?.title ?? "finishing"}.`;
}

/** What each application permission lets Teamgate do, in the words of the dashboard. */
const permissionUses: Record<RequestedAppPermission, string> = {
  "Organization.Read.All": "to read the organization's name",
  "User.Read.All": "to read the users and their Teams licences for the user sync",
  "GroupMember.Read.All": "to read the members of the groups chosen for the sync",
  "Domain.ReadWrite.All":
    "to add the trunk domains Direct Routing uses for Teams calls to the tenant and verify them",
  "User.ReadWrite.All":
    "to create the one user per trunk domain that makes Microsoft activate it for calls",
  "TeamsTelephoneNumber.ReadWrite.All": "to give each configured user their phone number in Teams",
};

/**
 * The "Grant the new permissions" item, while the tenant's consent lacks permissions the
 * application lists now (a tenant registered before Direct Routing): what they allow and why.
 */
function permissionsItem(missing: RequestedAppPermission[], mine: boolean): ActionItem {
  const uses = missing.map((p) => `${p} (${permissionUses[p]})`).join(" and ");
  const count = missing.length === 1 ? "one Microsoft permission" : "Microsoft permissions";
  return {
    id: "microsoft_permissions",
    title: "Grant the new permissions",
    detail: mine
      ? `Teamgate needs ${count} your tenant did not grant when it registered: ${uses}. A Global Administrator grants them on Microsoft's consent screen; until then what needs them waits, and sign-in and the user sync work as before.`
      : `Teamgate needs ${count} the enterprise's tenant has not granted: ${uses}. Only a Global Administrator of the enterprise can grant them, from its own dashboard.`,
    state: "todo",
    owner: "enterprise",
  };
}

/** The dashboard's action items (SPEC §3.3): consents, the groups, the sync, direct routing. */
export function actionItemsOf(
  enterprise: EnterpriseRow,
  syncGroups: SyncGroupsView,
  userSync: UserSyncStatus,
  role: WorkflowRunView | null,
  audience: Actor["kind"],
  directRoutingState: DirectRoutingState,
  teamsPush: { waiting: number; failed: number } = { waiting: 0, failed: 0 },
): ActionItem[] {
  const items: ActionItem[] = [];
  const directRouting = directRoutingState.run;
  // The enterprise's admins read "your"; its service provider reads about the enterprise.
  const mine = audience === "enterprise_admin";
  const tenant = mine ? "your tenant" : "the enterprise's tenant";
  const consent = managementConsentOf(enterprise);
  if (consent !== "not_requested") {
    items.push({
      id: "management_consent",
      title: "Allow management by service provider",
      detail:
        consent === "granted"
          ? `Granted by ${enterprise.managementConsentGrantedBy ?? "an enterprise admin"} on ${date(enterprise.managementConsentGrantedAt)}.`
          : mine
            ? "Your service provider asks to set up direct routing and configure users on your behalf."
            : "Asked for: the enterprise's admin has not granted it yet.",
      state: consent === "granted" ? "done" : "todo",
      owner: "enterprise",
    });
  }
  const status = role?.status;
  const failedStep = role?.steps.find((step) => step.status === "failed");
  items.push({
    id: "teams_admin_role",
    title: "Teams Administrator role for the platform",
    detail:
      status === "succeeded"
        ? `Assigned: the platform can manage Teams telephony in ${tenant}.`
        : status === "failed"
          ? (failedStep?.error ?? "The role could not be assigned.")
          : `Being assigned in ${tenant}.`,
    state: status === "succeeded" ? "done" : status === "failed" ? "failed" : "waiting",
    owner: "platform",
  });
  const groups = syncGroups.groups.length;
  items.push({
    id: "sync_groups",
    title: "Choose the user groups to sync",
    detail: syncGroups.chosenAt
      ? groups === 0
        ? `All users of ${tenant} are synced.`
        : `Members of ${groups} group${groups === 1 ? "" : "s"} are synced.`
      : mine
        ? "Pick the Microsoft 365 groups whose members become Teams users here (none: everyone)."
        : "The enterprise's admin has not chosen the groups to sync yet.",
    state: syncGroups.chosenAt ? "done" : "todo",
    owner: "enterprise",
  });
  const counts = userSync.userCounts;
  items.push({
    id: "user_sync",
    title: "Sync users",
    detail:
      userSync.status === "running"
        ? `Syncing: ${userSync.currentRun?.counters.seen ?? 0} users read so far.`
        : userSync.status === "queued"
          ? "A sync is queued."
          : userSync.status === "failed"
            ? `The last sync failed: ${userSync.lastError ?? "unknown error"}`
            : userSync.lastSyncAt
              ? `${counts.total} users, ${counts.teamsPhone} with Teams Phone; last synced ${userSync.lastSyncAt.slice(0, 16).replace("T", " ")} UTC.`
              : "Users have not been synced yet.",
    state:
      userSync.status === "running" || userSync.status === "queued"
        ? "waiting"
        : userSync.status === "failed"
          ? "failed"
          : userSync.lastSyncAt
            ? "done"
            : "todo",
    owner: "enterprise",
  });
  const missing = missingAppPermissionsOf(enterprise);
  if (missing.length > 0 && enterprise.status !== "disabled")
    items.push(permissionsItem(missing, mine));
  const finished = directRouting?.status === "succeeded";
  items.push({
    id: "direct_routing",
    // Once set up, the item asks for what is left to do about it.
    title:
      finished && directRoutingState.pendingChanges.length > 0
        ? "Apply the changes to Direct Routing"
        : finished && driftCount(directRouting) > 0
          ? "Repair Direct Routing"
          : "Set up Direct Routing",
    detail: directRoutingDetail(directRoutingState),
    state:
      directRouting?.status === "succeeded"
        ? driftCount(directRouting) > 0 || directRoutingState.pendingChanges.length > 0
          ? "todo"
          : "done"
        : !directRouting && enterprise.status === "active"
          ? "done"
          : directRouting?.status === "failed"
            ? "failed"
            : directRouting && directRouting.status !== "undone"
              ? "waiting"
              : "todo",
    owner: managementConsentOf(enterprise) === "granted" ? "provider" : "enterprise",
  });
  if (teamsPush.waiting > 0 || teamsPush.failed > 0) items.push(teamsPushItem(teamsPush, mine));
  return items;
}

const usersCount = (n: number) => (n === 1 ? "1 user" : `${n} users`);

/**
 * Users whose calling configuration has not reached Teams: changed by the provider without
 * management consent (an enterprise admin pushes them), or refused by Microsoft (Retry).
 */
function teamsPushItem(counts: { waiting: number; failed: number }, mine: boolean): ActionItem {
  const parts: string[] = [];
  if (counts.waiting > 0)
    parts.push(
      mine
        ? `${usersCount(counts.waiting)} changed by your service provider wait for you to push them to Teams.`
        : `${usersCount(counts.waiting)} you changed wait for an enterprise admin to push them to Teams.`,
    );
  if (counts.failed > 0)
    parts.push(
      `${usersCount(counts.failed)} could not be set up in Teams: open Users, filter on the failed ones and Retry.`,
    );
  return {
    id: "teams_push",
    title: counts.waiting > 0 ? "Push users to Teams" : "Users failed in Teams",
    detail: parts.join(" "),
    state: counts.failed > 0 && counts.waiting === 0 ? "failed" : "todo",
    owner: "enterprise",
  };
}

/** The enterprise dashboard for an actor who may see the enterprise. */
export async function overviewOf(
  db: Db,
  actor: Actor,
  e: Scoped<EnterpriseRow>,
): Promise<EnterpriseOverview> {
  const [syncGroups, userSync, roleRun, directRoutingRun, pendingChanges, teamsPush, [reseller]] =
    await Promise.all([
      syncGroupsOf(db, e),
      userSyncStatusOf(db, e),
      latestRun(db, teamsAdminRoleWorkflow, e.id),
      latestRun(db, directRoutingWorkflow, e.id),
      pendingChangesOf(db, e.id),
      teamsPushCountsOf(db, e.id),
      db
        .select({ name: organizations.name })
        .from(organizations)
        .where(eq(organizations.id, e.resellerId)),
    ]);
  const role = roleRun ? presentWorkflowRun(roleRun) : null;
  const consent = managementConsentOf(e);
  const registered = e.tenantId !== null && e.status !== "disabled";
  const abilities = dashboardAbilitiesOf(actor, {
    enterprise: e,
    registered,
    roleFailed: role?.status === "failed",
    teamsPushPending: teamsPush.waiting > 0 || teamsPush.failed > 0,
  });
  return {
    enterprise: {
      id: e.id,
      name: e.name,
      status: e.status,
      resellerName: reseller?.name ?? "",
      tenantId: e.tenantId,
      tenantName: e.tenantName,
      registeredAt: e.registeredAt?.toISOString() ?? null,
      accessSipData: e.accessSipData,
    },
    teamsAdminRole: role,
    grantedPermissions: e.grantedPermissions ?? [],
    managementConsent: {
      state: consent,
      grantedAt: e.managementConsentGrantedAt?.toISOString() ?? null,
      grantedBy: e.managementConsentGrantedBy,
    },
    syncGroups,
    userSync,
    actionItems:
      registered || e.status === "disabled"
        ? actionItemsOf(
            e,
            syncGroups,
            userSync,
            role,
            actor.kind,
            {
              run: directRoutingRun ? presentWorkflowRun(directRoutingRun) : null,
              pendingChanges,
            },
            teamsPush,
          )
        : [],
    abilities,
  };
}
