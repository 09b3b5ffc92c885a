import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type {
  CreateEnterpriseBody,
  EnterprisePage,
  EnterpriseView,
  UpdateEnterpriseBody,
} from "../../../shared/contracts/enterprises.ts";
import { api } from "../../api/client.ts";
import { type CursorListSearch, listPageSize } from "../../components/list-search.ts";
import { whileMailQueued } from "../invitations/mail-state.ts";

const root = "enterprises";

/** A page of the Enterprises list (keyset paging: the URL's cursor, none for the first page). */
export function enterprisesQuery(search: CursorListSearch) {
  return queryOptions({
    queryKey: [root, "list", search],
    queryFn: ({ signal }) =>
      api.get<EnterprisePage>(
        "/enterprises",
        { cursor: search.cursor, pageSize: listPageSize, q: search.q, status: search.status },
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
