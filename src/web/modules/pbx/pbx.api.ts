import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type {
  CreatePbxBody,
  PbxListResponse,
  PbxView,
  UpdatePbxBody,
} from "../../../shared/contracts/pbx.ts";
import { api } from "../../api/client.ts";
import { listPageSize } from "../../components/list-search.ts";

const root = "pbx-locations";
const pathOf = (enterpriseId: string, rest = "") =>
  `/enterprises/${encodeURIComponent(enterpriseId)}/pbxes${rest}`;

/** One page of the enterprise's PBX locations, with the types a new one may have. */
export function pbxListQuery(enterpriseId: string, page: number) {
  return queryOptions({
    queryKey: [root, enterpriseId, page],
    queryFn: ({ signal }) =>
      api.get<PbxListResponse>(pathOf(enterpriseId), { page, pageSize: listPageSize }, signal),
    placeholderData: keepPreviousData,
  });
}

export function useSavePbx(enterpriseId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (
      input: { id: string; body: UpdatePbxBody } | { id?: never; body: CreatePbxBody },
    ) =>
      input.id
        ? api.patch<PbxView>(pathOf(enterpriseId, `/${encodeURIComponent(input.id)}`), input.body)
        : api.post<PbxView>(pathOf(enterpriseId), input.body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root, enterpriseId] }),
  });
}

export function useDeletePbx(enterpriseId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(pathOf(enterpriseId, `/${encodeURIComponent(id)}`)),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root, enterpriseId] }),
  });
}
