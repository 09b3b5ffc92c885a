import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { Page } from "../../../shared/contracts/common.ts";
import type {
  CreateResellerBody,
  OrganizationView,
  UpdateResellerBody,
} from "../../../shared/contracts/organizations.ts";
import { api } from "../../api/client.ts";
import { type ListSearch, listPageSize } from "../../components/list-search.ts";
import { whileMailQueued } from "../invitations/mail-state.ts";

const root = "resellers";

export function resellersQuery(search: ListSearch) {
  return queryOptions({
    queryKey: [root, "list", search],
    queryFn: ({ signal }) =>
      api.get<Page<OrganizationView>>(
        "/resellers",
        { page: search.page ?? 1, pageSize: listPageSize, q: search.q, status: search.status },
        signal,
      ),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => whileMailQueued(query.state.data?.items),
  });
}

export function resellerQuery(id: string) {
  return queryOptions({
    queryKey: [root, "one", id],
    queryFn: ({ signal }) =>
      api.get<OrganizationView>(`/resellers/${encodeURIComponent(id)}`, undefined, signal),
  });
}

/** "Add Reseller" under a master reseller (a master reseller passes its own organization id). */
export function useCreateReseller() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ masterId, body }: { masterId: string; body: CreateResellerBody }) =>
      api.post<OrganizationView>(
        `/master-resellers/${encodeURIComponent(masterId)}/resellers`,
        body,
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root] }),
  });
}

export function useUpdateReseller(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateResellerBody) =>
      api.patch<OrganizationView>(`/resellers/${encodeURIComponent(id)}`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root] }),
  });
}
