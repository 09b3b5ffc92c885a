import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type {
  CreatePbxTypeBody,
  CreateRegionBody,
  PbxTypeView,
  RegionView,
  UpdatePbxTypeBody,
  UpdateRegionBody,
} from "../../../shared/contracts/catalog.ts";
import { api } from "../../api/client.ts";

/** SBC regions the user may offer (all of them for the operator). */
export const regionsQuery = queryOptions({
  queryKey: ["regions"],
  queryFn: ({ signal }) => api.get<{ items: RegionView[] }>("/regions", undefined, signal),
  select: (data) => data.items,
  staleTime: 60_000,
});

/** PBX types the user may offer (all of them for the operator). */
export const pbxTypesQuery = queryOptions({
  queryKey: ["pbx-types"],
  queryFn: ({ signal }) => api.get<{ items: PbxTypeView[] }>("/pbx-types", undefined, signal),
  select: (data) => data.items,
  staleTime: 60_000,
});

export function useSaveRegion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (
      input: { id: string; body: UpdateRegionBody } | { id?: never; body: CreateRegionBody },
    ) =>
      input.id
        ? api.patch<RegionView>(`/regions/${encodeURIComponent(input.id)}`, input.body)
        : api.post<RegionView>("/regions", input.body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: regionsQuery.queryKey }),
  });
}

export function useSavePbxType() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (
      input: { id: string; body: UpdatePbxTypeBody } | { id?: never; body: CreatePbxTypeBody },
    ) =>
      input.id
        ? api.patch<PbxTypeView>(`/pbx-types/${encodeURIComponent(input.id)}`, input.body)
        : api.post<PbxTypeView>("/pbx-types", input.body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: pbxTypesQuery.queryKey }),
  });
}

export const hostingTypeLabels: Record<PbxTypeView["hostingType"], string> = {
  hosted: "Hosted",
  on_premises: "On premises",
};
