import { z } from "zod";
import { text } from "./common.ts";
import type { EnterpriseStatus } from "./enterprises.ts";
import type { UserSyncStatus } from "./users.ts";
import type { WorkflowRunView } from "./workflows.ts";

/** Why a portal sign-in with Microsoft ended on the sign-in page instead of the dashboard. */
export const enterpriseSignInFailures = [
  "state_invalid",
  "consent_declined",
  "sign_in_failed",
  "personal_account",
  "not_registered",
  "enterprise_disabled",
  "not_enterprise_admin",
  "microsoft_unavailable",
  "app_misconfigured",
] as const;
export type EnterpriseSignInFailure = (typeof enterpriseSignInFailures)[number];

/** What each failure tells the person on the sign-in page. */
export const enterpriseSignInFailureMessages: Record<EnterpriseSignInFailure, string> = {
  state_invalid: "This sign-in link has expired or was already used. Start again.",
  consent_declined: "The sign-in was cancelled at Microsoft.",
  sign_in_failed: "Microsoft could not complete the sign-in. Try again.",
  personal_account: "Sign in with a work account of your organization, not a personal account.",
  not_registered:
    "Your Microsoft 365 organization is not registered with this service. Use the invitation your provider sent to register it first.",
  enterprise_disabled: "Your organization's access has been disabled by its service provider.",
  not_enterprise_admin:
    "Only Global Administrators and Teams Administrators of your organization may sign in here.",
  microsoft_unavailable: "Microsoft is unavailable right now. Try again in a few minutes.",
  app_misconfigured:
    "This service's Microsoft application is missing a permission (RoleManagement.Read.Directory), so your administrator roles cannot be checked. Your service provider must fix its Microsoft application; nothing is wrong with your account.",
};

/**
 * Why granting the new permissions (a registered tenant's admin consent again) ended without
 * them. Nothing changed in any case; the dashboard says what happened and what to do.
 */
export const permissionsConsentFailures = [
  "state_invalid",
  "consent_declined",
  "not_global_admin",
  "wrong_tenant",
  "microsoft_unavailable",
  "app_misconfigured",
  "consent_not_effective",
  "permissions_missing",
] as const;
export type PermissionsConsentFailure = (typeof permissionsConsentFailures)[number];

/** What each failure tells the enterprise admin on the dashboard. */
export const permissionsConsentFailureMessages: Record<PermissionsConsentFailure, string> = {
  state_invalid:
    "This consent has expired, was already used, or did not start in this browser. Nothing was changed; choose “Grant the new permissions” again.",
  consent_declined:
    "The consent was cancelled at Microsoft, so nothing was granted. Choose “Grant the new permissions” again and click Accept on Microsoft's screen.",
  not_global_admin:
    "Microsoft refused the consent: only a Global Administrator (or Privileged Role Administrator) of your organization can grant these permissions. Nothing was changed; ask one to sign in here and grant them.",
  wrong_tenant:
    "The consent was given in another Microsoft 365 organization than yours, so nothing was changed. Sign in at Microsoft with a Global Administrator of your own organization.",
  microsoft_unavailable:
    "Microsoft is unavailable right now and could not confirm the permissions. Nothing was changed; try again in a few minutes.",
  app_misconfigured:
    "Your service provider's Microsoft application is not set up completely, so the permissions could not be confirmed. Nothing was changed; tell your service provider.",
  consent_not_effective:
    "Microsoft had not applied your consent after several minutes. Nothing was changed yet; wait a few minutes, then grant the permissions again (accepting again is harmless).",
  permissions_missing:
    "Microsoft granted only some of the permissions, so nothing was changed. Grant them again and accept every permission, or ask your service provider to check its Microsoft application.",
};

/** `POST /enterprises/{id}/microsoft-permissions/consent`: where to send the browser (Microsoft). */
export interface PermissionsConsentStart {
  url: string;
}

/**
 * One poll while Microsoft applies the consent (`…/microsoft-permissions/consent/finish`): still
 * waiting, granted (the enterprise records the permissions), or failed with the reason.
 */
export type PermissionsConsentFinishState =
  | { status: "pending" }
  | { status: "granted" }
  | { status: "failed"; reason: PermissionsConsentFailure };

/** `POST /auth/microsoft/sign-in`: where to send the browser. */
export interface EnterpriseSignInStart {
  url: string;
}

export type ManagementConsentState = "not_requested" | "pending" | "granted";

export interface ManagementConsentView {
  state: ManagementConsentState;
  grantedAt: string | null;
  grantedBy: string | null;
}

export interface SyncGroupView {
  id: string;
  displayName: string;
}

/** The groups whose members are synced; none = all users. `chosenAt` null until first saved. */
export interface SyncGroupsView {
  chosenAt: string | null;
  groups: SyncGroupView[];
}

export const UpdateSyncGroupsBody = z.strictObject({
  groupIds: z
    .array(z.uuid({ error: "Not a Microsoft group id" }), { error: "Required" })
    .max(100, "Choose at most 100 groups")
    .refine((ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length, {
      message: "A group is listed twice",
    }),
});
export type UpdateSyncGroupsBody = z.infer<typeof UpdateSyncGroupsBody>;

export const DirectoryGroupQuery = z.strictObject({
  q: text().trim().max(100, "Must be at most 100 characters").optional(),
});
export type DirectoryGroupQuery = z.infer<typeof DirectoryGroupQuery>;

/** Groups of the tenant, live from Microsoft; `more` when the search should be narrowed. */
export interface DirectoryGroupList {
  items: { id: string; displayName: string; description: string | null }[];
  more: boolean;
}

export type ActionItemState = "todo" | "waiting" | "done" | "failed";

/** One line of the dashboard's action items (SPEC §3.3). */
export interface ActionItem {
  id:
    | "management_consent"
    | "microsoft_permissions"
    | "teams_admin_role"
    | "sync_groups"
    | "user_sync"
    | "direct_routing"
    | "teams_push";
  title: string;
  detail: string;
  state: ActionItemState;
  /** Who has to act: the enterprise admin, the service provider, or nobody (the platform). */
  owner: "enterprise" | "provider" | "platform";
}

/** The enterprise dashboard, for its admins and for its service provider. */
/** The dashboard's actions, each offered only when the server would accept it. */
export const dashboardAbilities = [
  "management_consent.grant",
  "management_consent.revoke",
  "microsoft_permissions.grant",
  "users.sync",
  "teams_admin_role.retry",
  "users.teams_push",
] as const;
export type DashboardAbility = (typeof dashboardAbilities)[number];

export interface EnterpriseOverview {
  enterprise: {
    id: string;
    name: string;
    status: EnterpriseStatus;
    resellerName: string;
    tenantId: string | null;
    tenantName: string | null;
    registeredAt: string | null;
    accessSipData: boolean;
  };
  /** The Teams Administrator role's workflow run (null before registration). */
  teamsAdminRole: WorkflowRunView | null;
  grantedPermissions: string[];
  managementConsent: ManagementConsentView;
  syncGroups: SyncGroupsView;
  userSync: UserSyncStatus;
  actionItems: ActionItem[];
  /** What the viewer may do here; the dashboard offers exactly these. */
  abilities: DashboardAbility[];
}
