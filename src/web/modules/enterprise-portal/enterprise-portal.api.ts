import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { AuditEntryView } from "../../../shared/contracts/audit.ts";
import type { Page } from "../../../shared/contracts/common.ts";
import type { DirectRoutingView } from "../../../shared/contracts/direct-routing.ts";
import type {
  DirectoryGroupList,
  EnterpriseOverview,
  EnterpriseSignInStart,
  ManagementConsentView,
  PermissionsConsentFinishState,
  PermissionsConsentStart,
  SyncGroupsView,
  UpdateSyncGroupsBody,
} from "../../../shared/contracts/enterprise-portal.ts";
import type {
  UserListResponse,
  UserSyncStatus,
  UserSyncStatusValue,
} from "../../../shared/contracts/users.ts";
import { api } from "../../api/client.ts";
import { listPageSize } from "../../components/list-search.ts";
import type { UsersSearch } from "./users-search.ts";

const root = "enterprise-portal";
const pathOf = (enterpriseId: string, rest: string) =>
  `/enterprises/${encodeURIComponent(enterpriseId)}/${rest}`;

/** How often a queued or running user sync is polled for its progress. */
export const syncPollMs = 2_000;

export function isSyncBusy(status: UserSyncStatusValue | undefined): boolean {
  return status === "queued" || status === "running";
}

/** The dashboard's data; polled while a user sync is queued or running. */
export function overviewQuery(enterpriseId: string) {
  return queryOptions({
    queryKey: [root, enterpriseId, "overview"],
    queryFn: ({ signal }) =>
      api.get<EnterpriseOverview>(pathOf(enterpriseId, "overview"), undefined, signal),
    refetchInterval: (query) =>
      isSyncBusy(query.state.data?.userSync.status) ? syncPollMs : false,
  });
}

export function syncGroupsQuery(enterpriseId: string) {
  return queryOptions({
    queryKey: [root, enterpriseId, "sync-groups"],
    queryFn: ({ signal }) =>
      api.get<SyncGroupsView>(pathOf(enterpriseId, "sync-groups"), undefined, signal),
  });
}

/** Groups of the tenant, live from Microsoft, whose name starts with `q`. */
export function directoryGroupsQuery(enterpriseId: string, q: string) {
  return queryOptions({
    queryKey: [root, enterpriseId, "directory-groups", q],
    queryFn: ({ signal }) =>
      api.get<DirectoryGroupList>(pathOf(enterpriseId, "directory-groups"), { q }, signal),
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
}

export function usersQuery(enterpriseId: string, search: UsersSearch) {
  return queryOptions({
    queryKey: [root, enterpriseId, "users", search],
    queryFn: ({ signal }) =>
      api.get<UserListResponse>(
        pathOf(enterpriseId, "users"),
        {
          page: search.page ?? 1,
          pageSize: listPageSize,
          q: search.q,
          licence: search.licence,
          calling: search.calling,
          includeRemoved: search.removed ? "true" : undefined,
        },
        signal,
      ),
    placeholderData: keepPreviousData,
  });
}

export function activityQuery(enterpriseId: string, page: number, pageSize = listPageSize) {
  return queryOptions({
    queryKey: [root, enterpriseId, "activity", page, pageSize],
    queryFn: ({ signal }) =>
      api.get<Page<AuditEntryView>>(pathOf(enterpriseId, "activity"), { page, pageSize }, signal),
    placeholderData: keepPreviousData,
  });
}

/** Everything cached about one enterprise is refreshed after a change to it. */
/** The root of every query about one enterprise's portal data. */
export function enterpriseQueryKey(enterpriseId: string) {
  return [root, enterpriseId];
}

function useRefreshEnterprise(enterpriseId: string) {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: [root, enterpriseId] });
}

/** Grant (true) or revoke (false) management of the enterprise by its service provider. */
export function useSetManagementConsent(enterpriseId: string) {
  const refresh = useRefreshEnterprise(enterpriseId);
  return useMutation({
    mutationFn: (grant: boolean) =>
      grant
        ? api.put<ManagementConsentView>(pathOf(enterpriseId, "management-consent"))
        : api.delete<ManagementConsentView>(pathOf(enterpriseId, "management-consent")),
    onSuccess: refresh,
  });
}

/** Saves the groups to sync (none: all users); the server queues a user sync. */
export function useUpdateSyncGroups(enterpriseId: string) {
  const refresh = useRefreshEnterprise(enterpriseId);
  return useMutation({
    mutationFn: (body: UpdateSyncGroupsBody) =>
      api.put<SyncGroupsView>(pathOf(enterpriseId, "sync-groups"), body),
    onSuccess: refresh,
  });
}

/** "Sync now": queues a user sync (or joins the one already queued or running). */
export function useSyncNow(enterpriseId: string) {
  const refresh = useRefreshEnterprise(enterpriseId);
  return useMutation({
    mutationFn: () => api.post<UserSyncStatus>(pathOf(enterpriseId, "user-sync")),
    onSuccess: refresh,
  });
}

/**
 * "Grant the new permissions": resolves with the URL of Microsoft's admin consent for the
 * enterprise's tenant (the caller sends the browser there).
 */
export function useStartPermissionsConsent(enterpriseId: string) {
  return useMutation({
    mutationFn: () =>
      api.post<PermissionsConsentStart>(pathOf(enterpriseId, "microsoft-permissions/consent")),
  });
}

/** How often the dashboard asks whether Microsoft has applied the consent. */
export const permissionsConsentPollMs = 2_000;

/** One poll while Microsoft applies the consent: pending, granted (recorded) or failed. */
export function finishPermissionsConsent(
  enterpriseId: string,
): Promise<PermissionsConsentFinishState> {
  return api.post<PermissionsConsentFinishState>(
    pathOf(enterpriseId, "microsoft-permissions/consent/finish"),
  );
}

/** Queues again the Teams Administrator role assignment after it failed. */
export function useRetryTeamsAdminRole(enterpriseId: string) {
  const refresh = useRefreshEnterprise(enterpriseId);
  return useMutation({
    mutationFn: () =>
      api.post<{ state: "pending" }>(pathOf(enterpriseId, "teams-admin-role/retry")),
    onSuccess: refresh,
  });
}

/** How often a Direct Routing set-up under way is polled for its steps. */
export const directRoutingPollMs = 3_000;

/** How often a blocked Direct Routing is asked again (the role Microsoft applies, a consent). */
export const directRoutingBlockedPollMs = 5_000;

/**
 * The enterprise's derived trunks and its Direct Routing run; polled while the run is live, and
 * more slowly while something it waits for (Microsoft applying the role) may change on its own.
 */
export function directRoutingQuery(enterpriseId: string) {
  return queryOptions({
    queryKey: [root, enterpriseId, "direct-routing"],
    queryFn: ({ signal }) =>
      api.get<DirectRoutingView>(pathOf(enterpriseId, "direct-routing"), undefined, signal),
    refetchInterval: (query) => {
      const data = query.state.data;
      const status = data?.run?.status;
      if (
        status === "running" ||
        status === "waiting" ||
        status === "undoing" ||
        data?.run?.checking
      )
        return directRoutingPollMs;
      return data?.blockedBy ? directRoutingBlockedPollMs : false;
    },
  });
}

/** "Set up Direct Routing", or continue a failed set-up from its failed step. */
export function useSetUpDirectRouting(enterpriseId: string) {
  const refresh = useRefreshEnterprise(enterpriseId);
  return useMutation({
    mutationFn: () => api.post<DirectRoutingView>(pathOf(enterpriseId, "direct-routing")),
    onSuccess: refresh,
  });
}

/** "Remove Direct Routing": its set-up is undone, last step first. */
export function useRemoveDirectRouting(enterpriseId: string) {
  const refresh = useRefreshEnterprise(enterpriseId);
  return useMutation({
    mutationFn: () => api.delete<DirectRoutingView>(pathOf(enterpriseId, "direct-routing")),
    onSuccess: refresh,
  });
}

/** "Check now": the tenant is read back against the finished set-up; the card polls for the result. */
export function useCheckDirectRouting(enterpriseId: string) {
  const refresh = useRefreshEnterprise(enterpriseId);
  return useMutation({
    mutationFn: () => api.post<DirectRoutingView>(pathOf(enterpriseId, "direct-routing/check")),
    onSuccess: refresh,
  });
}

/** "Repair": the steps whose last check found the tenant changed run again. */
export function useRepairDirectRouting(enterpriseId: string) {
  const refresh = useRefreshEnterprise(enterpriseId);
  return useMutation({
    mutationFn: () => api.post<DirectRoutingView>(pathOf(enterpriseId, "direct-routing/repair")),
    onSuccess: refresh,
  });
}

/** Starts "Sign in with Microsoft" for enterprise admins: resolves with the URL to open. */
export function useStartEnterpriseSignIn() {
  return useMutation({
    mutationFn: () => api.post<EnterpriseSignInStart>("/auth/microsoft/sign-in"),
  });
}
