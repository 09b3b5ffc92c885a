import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type {
  CallingAbility,
  CallingService,
  CallingView,
  ChangeSipPasswordBody,
  ConfigureUserBody,
  EnterpriseRegionChoice,
  RegistrationHistory,
} from "../../../shared/contracts/calling.ts";
import type { NumberListResponse } from "../../../shared/contracts/numbers.ts";
import type { PbxListResponse } from "../../../shared/contracts/pbx.ts";
import type { UserSummary } from "../../../shared/contracts/users.ts";
import {
  type UsersImportQuery,
  type UsersImportView,
  usersCsvColumns,
} from "../../../shared/contracts/users-csv.ts";
import { api } from "../../api/client.ts";
import { enterpriseQueryKey } from "../enterprise-portal/enterprise-portal.api.ts";

/** `GET /enterprises/{id}/users/{userId}`: the user, its calling configuration and the viewer's abilities. */
export interface UserDetail {
  user: UserSummary;
  calling: CallingView | null;
  abilities: CallingAbility[];
}

/** Who looks at the page: the enterprise's own admin, or its service provider. */
export type CallingAudience = "enterprise" | "provider";

const usersPath = (enterpriseId: string, userId: string, rest = "") =>
  `/enterprises/${encodeURIComponent(enterpriseId)}/users/${encodeURIComponent(userId)}${rest}`;

/** How often a user whose push to Teams is under way is polled, so "Pushing…" turns "In Teams". */
export const teamsPushPollMs = 2_000;

/** One user's detail; polled while its push to Teams is pending. */
export function userDetailQuery(enterpriseId: string, userId: string) {
  return queryOptions({
    // Under the enterprise's key: a change here refreshes the Users list too, and the reverse.
    queryKey: [...enterpriseQueryKey(enterpriseId), "user", userId],
    queryFn: ({ signal }) =>
      api.get<UserDetail>(usersPath(enterpriseId, userId), undefined, signal),
    refetchInterval: (query) =>
      query.state.data?.calling?.teams.state === "pending" ? teamsPushPollMs : false,
  });
}

/**
 * `GET …/users/{userId}/registration-history`: the device's registration changes, newest first.
 * Under the user's key, so an action on the user refreshes it too.
 */
export function registrationHistoryQuery(enterpriseId: string, userId: string) {
  return queryOptions({
    queryKey: [...userDetailQuery(enterpriseId, userId).queryKey, "registration-history"],
    queryFn: ({ signal }) =>
      api.get<RegistrationHistory>(
        usersPath(enterpriseId, userId, "/registration-history"),
        undefined,
        signal,
      ),
  });
}

function useUserMutation<TInput, TResult extends UserDetail = UserDetail>(
  enterpriseId: string,
  userId: string,
  send: (input: TInput) => Promise<TResult>,
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: send,
    onSuccess: (detail) => {
      queryClient.setQueryData(userDetailQuery(enterpriseId, userId).queryKey, {
        user: detail.user,
        calling: detail.calling,
        abilities: detail.abilities,
      });
      return queryClient.invalidateQueries({ queryKey: enterpriseQueryKey(enterpriseId) });
    },
  });
}

/** "Configure for calling" and Edit: creates or replaces the configuration. */
export function useConfigureUser(enterpriseId: string, userId: string) {
  return useUserMutation(enterpriseId, userId, (body: ConfigureUserBody) =>
    api.put<UserDetail>(usersPath(enterpriseId, userId, "/calling"), body),
  );
}

export function useChangeSipPassword(enterpriseId: string, userId: string) {
  return useUserMutation(enterpriseId, userId, (body: ChangeSipPasswordBody) =>
    api.post<UserDetail>(usersPath(enterpriseId, userId, "/sip-password"), body),
  );
}

/** The switches of a configured user, each its own POST. */
export type CallingSwitch = "disable-calling" | "enable-calling" | "disable" | "enable";

export function useSetCallingSwitch(enterpriseId: string, userId: string) {
  return useUserMutation(enterpriseId, userId, (change: CallingSwitch) =>
    api.post<UserDetail>(usersPath(enterpriseId, userId, `/${change}`)),
  );
}

/** Deletes a disabled user's configuration; `soft` says whether it waits, restorable. */
export function useDeleteCalling(enterpriseId: string, userId: string) {
  return useUserMutation(enterpriseId, userId, () =>
    api.delete<UserDetail & { soft: boolean }>(usersPath(enterpriseId, userId, "/calling")),
  );
}

export function useRestoreCalling(enterpriseId: string, userId: string) {
  return useUserMutation(enterpriseId, userId, () =>
    api.post<UserDetail>(usersPath(enterpriseId, userId, "/restore")),
  );
}

/** "Retry": pushes the user to Teams again. */
export function usePushUserToTeams(enterpriseId: string, userId: string) {
  return useUserMutation(enterpriseId, userId, () =>
    api.post<UserDetail>(usersPath(enterpriseId, userId, "/teams-push")),
  );
}

/** The options of a bulk upload, as its query string carries them. */
export type UsersImportOptions = Pick<UsersImportQuery, "service" | "pbxId" | "regionId"> & {
  updateExisting: boolean;
};

const enterprisePath = (enterpriseId: string, rest: string) =>
  `/enterprises/${encodeURIComponent(enterpriseId)}${rest}`;

/**
 * Uploads a users CSV: 202 with the import to follow once every row passed, or an ApiError whose
 * `rows` is the per-row report (nothing applied).
 */
export function useStartUsersImport(enterpriseId: string) {
  return useMutation({
    mutationFn: ({ csv, options }: { csv: string; options: UsersImportOptions }) => {
      const query = new URLSearchParams({
        service: options.service,
        pbxId: options.pbxId,
        regionId: options.regionId,
        updateExisting: String(options.updateExisting),
      });
      return api.postText<UsersImportView>(
        enterprisePath(enterpriseId, `/user-imports?${query.toString()}`),
        csv,
        "text/csv",
      );
    },
  });
}

/** How often a running upload is polled for its progress. */
export const usersImportPollMs = 500;

/** Where an upload stands; polled until it succeeded or failed. */
export function usersImportQuery(enterpriseId: string, importId: string) {
  return queryOptions({
    queryKey: ["user-imports", enterpriseId, importId],
    queryFn: ({ signal }) =>
      api.get<UsersImportView>(
        enterprisePath(enterpriseId, `/user-imports/${encodeURIComponent(importId)}`),
        undefined,
        signal,
      ),
    refetchInterval: (query) =>
      query.state.data?.status === "running" ? usersImportPollMs : false,
  });
}

/** The address of the configured users of a service as a CSV download (the browser's session). */
export function usersExportUrl(enterpriseId: string, service: CallingService): string {
  return `/api/v1${enterprisePath(enterpriseId, `/users-export?service=${service}`)}`;
}

/** A CSV holding only the header, for a spreadsheet to start from (built here, not fetched). */
export const usersCsvTemplateUrl = `data:text/csv;charset=utf-8,${encodeURIComponent(
  `${usersCsvColumns.join(",")}\r\n`,
)}`;

/** "Push to Teams" on the dashboard: every user waiting for an enterprise admin, or failed. */
export function usePushWaitingToTeams(enterpriseId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<{ queued: number }>(enterprisePath(enterpriseId, "/teams-push"), {}),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: enterpriseQueryKey(enterpriseId) }),
  });
}

/** The most choices one select of the form loads (the API's largest page). */
const choicesPageSize = 100;

/** The PBX locations a user may be configured with. */
export function pbxChoicesQuery(enterpriseId: string) {
  return queryOptions({
    queryKey: ["pbx-locations", enterpriseId, "choices"],
    queryFn: ({ signal }) =>
      api.get<PbxListResponse>(
        `/enterprises/${encodeURIComponent(enterpriseId)}/pbxes`,
        { page: 1, pageSize: choicesPageSize },
        signal,
      ),
  });
}

/** The enterprise's numbers that no user holds yet. */
export function availableNumbersQuery(enterpriseId: string) {
  return queryOptions({
    queryKey: ["phone-numbers", enterpriseId, "available-choices"],
    queryFn: ({ signal }) =>
      api.get<NumberListResponse>(
        `/enterprises/${encodeURIComponent(enterpriseId)}/numbers`,
        { page: 1, pageSize: choicesPageSize, state: "available" },
        signal,
      ),
  });
}

/** One SBC region a user's voice route may take. */
export interface RegionChoice {
  value: string;
  label: string;
}

/**
 * The enterprise's SBC regions. The provider reads them from the enterprise it entered; an
 * enterprise admin from its Direct Routing trunks (one per region).
 */
/** The enterprise's SBC regions (primary first), the voice routes of the configure form. */
export function useEnterpriseRegions(enterpriseId: string): {
  regions: RegionChoice[];
  isPending: boolean;
} {
  const query = useQuery({
    queryKey: [...enterpriseQueryKey(enterpriseId), "regions"],
    queryFn: () =>
      api.get<{ items: EnterpriseRegionChoice[] }>(`/enterprises/${enterpriseId}/regions`),
  });
  const regions = (query.data?.items ?? []).map((r) => ({
    value: r.id,
    label: r.name,
  }));
  return { regions, isPending: query.isPending };
}
