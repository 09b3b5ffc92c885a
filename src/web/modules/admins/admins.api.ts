import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type {
  AdminList,
  AdminWithTemporaryPassword,
  CreateAdminBody,
} from "../../../shared/contracts/organizations.ts";
import { api } from "../../api/client.ts";

const root = "admins";
const pathOf = (orgId: string) => `/organizations/${encodeURIComponent(orgId)}/admins`;

/** The portal admins of one organization. */
export function adminsQuery(orgId: string) {
  return queryOptions({
    queryKey: [root, orgId],
    queryFn: ({ signal }) => api.get<AdminList>(pathOf(orgId), undefined, signal),
  });
}

/** Adds an admin; the answer carries the temporary password, shown once and never again. */
export function useCreateAdmin(orgId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateAdminBody) =>
      api.post<AdminWithTemporaryPassword>(pathOf(orgId), body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root, orgId] }),
  });
}

export function useResetAdminPassword(orgId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (accountId: string) =>
      api.post<AdminWithTemporaryPassword>(
        `${pathOf(orgId)}/${encodeURIComponent(accountId)}/reset-password`,
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root, orgId] }),
  });
}

export function useDeleteAdmin(orgId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (accountId: string) =>
      api.delete<void>(`${pathOf(orgId)}/${encodeURIComponent(accountId)}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root, orgId] }),
  });
}
