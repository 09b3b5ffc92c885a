import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { Page } from "../../../shared/contracts/common.ts";
import type {
  CreateEnterpriseBody,
  EnterpriseView,
  UpdateEnterpriseBody,
} from "../../../shared/contracts/enterprises.ts";
import { api } from "../../api/client.ts";
import { type ListSearch, listPageSize } from "../../components/list-search.ts";
import { whileMailQueued } from "../invitations/mail-state.ts";

const root = "enterprises";

export function enterprisesQuery(search: ListSearch) {
  return queryOptions({
    queryKey: [root, "list", search],
    queryFn: ({ signal }) =>
      api.get<Page<EnterpriseView>>(
        "/enterprises",
        { page: search.page ?? 1, pageSize: listPageSize, q: search.q, status: search.status },
        signal,
      ),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => whileMailQueued(query.state.data?.items),
  });
}

export function enterpriseQuery(id: string) {
  return queryOptions({
    queryKey: [root, "one", id],
    queryFn: ({ signal }) =>
      api.get<EnterpriseView>(`/enterprises/${encodeURIComponent(id)}`, undefined, signal),
  });
}

/** "Add Enterprise" under a reseller (a reseller passes its own organization id). */
export function useCreateEnterprise() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ resellerId, body }: { resellerId: string; body: CreateEnterpriseBody }) =>
      api.post<EnterpriseView>(`/resellers/${encodeURIComponent(resellerId)}/enterprises`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root] }),
  });
}

export function useUpdateEnterprise(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateEnterpriseBody) =>
      api.patch<EnterpriseView>(`/enterprises/${encodeURIComponent(id)}`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root] }),
  });
}
