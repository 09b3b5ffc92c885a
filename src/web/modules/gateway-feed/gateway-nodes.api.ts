import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type {
  CreatedGatewayNode,
  CreateGatewayNodeBody,
  GatewayNodeList,
  GatewayNodeView,
} from "../../../shared/contracts/gateway.ts";
import { api } from "../../api/client.ts";

const root = "gateway-nodes";
const pathOf = (regionId: string) => `/regions/${encodeURIComponent(regionId)}/gateway-nodes`;

/** The gateway nodes of an SBC region, revoked ones included (operator). */
export function gatewayNodesQuery(regionId: string) {
  return queryOptions({
    queryKey: [root, regionId],
    queryFn: ({ signal }) => api.get<GatewayNodeList>(pathOf(regionId), undefined, signal),
    select: (data) => data.items,
  });
}

/** Adds a gateway node; the answer carries its token, shown once and never again. */
export function useCreateGatewayNode(regionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateGatewayNodeBody) =>
      api.post<CreatedGatewayNode>(pathOf(regionId), body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root, regionId] }),
  });
}

/** Revokes a node's token: the node is refused from its next request. */
export function useRevokeGatewayNode(regionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (nodeId: string) =>
      api.post<GatewayNodeView>(`${pathOf(regionId)}/${encodeURIComponent(nodeId)}/revoke`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root, regionId] }),
  });
}
