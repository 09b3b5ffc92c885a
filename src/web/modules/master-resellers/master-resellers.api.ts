import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { Page } from "../../../shared/contracts/common.ts";
import type {
  CreateMasterResellerBody,
  OrganizationView,
  UpdateMasterResellerBody,
} from "../../../shared/contracts/organizations.ts";
import { api } from "../../api/client.ts";
import { type ListSearch, listPageSize } from "../../components/list-search.ts";
import { whileMailQueued } from "../invitations/mail-state.ts";

const root = "master-resellers";

export function masterResellersQuery(search: ListSearch) {
  return queryOptions({
    queryKey: [root, "list", search],
    queryFn: ({ signal }) =>
      api.get<Page<OrganizationView>>(
        "/master-resellers",
        { page: search.page ?? 1, pageSize: listPageSize, q: search.q, status: search.status },
        signal,
      ),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => whileMailQueued(query.state.data?.items),
  });
}

export function masterResellerQuery(id: string) {
  return queryOptions({
    queryKey: [root, "one", id],
    queryFn: ({ signal }) =>
      api.get<OrganizationView>(`/master-resellers/${encodeURIComponent(id)}`, undefined, signal),
  });
}

export function useCreateMasterReseller() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateMasterResellerBody) =>
      api.post<OrganizationView>("/master-resellers", body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root] }),
  });
}

export function useUpdateMasterReseller(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateMasterResellerBody) =>
      api.patch<OrganizationView>(`/master-resellers/${encodeURIComponent(id)}`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root] }),
  });
}
