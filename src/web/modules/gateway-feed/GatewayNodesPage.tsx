import { Anchor, Button, EmptyState, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { useState } from "react";
import type { GatewayNodeView } from "../../../shared/contracts/gateway.ts";
import { isApiError } from "../../api/client.ts";
import { confirmAction } from "../../components/confirm.tsx";
import { DataTable } from "../../components/DataTable.tsx";
import { formatDateTime, formatRelative } from "../../components/format.ts";
import { IconBan, IconPlus, IconServer } from "../../components/icons.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import { regionsQuery } from "../catalog/catalog.api.ts";
import { AddGatewayNodeModal } from "./AddGatewayNodeModal.tsx";
import { gatewayNodesQuery, useRevokeGatewayNode } from "./gateway-nodes.api.ts";

const routeApi = getRouteApi("/app/regions/$regionId/gateway-nodes");

/** A moment as "3 minutes ago", the exact time in its title; an em dash for never. */
function Moment({ iso }: { iso: string | null }) {
  if (!iso) return <Text size="sm">—</Text>;
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso)}
    </time>
  );
}

/** The operator's gateway nodes of one SBC region: add (token shown once), revoke. */
export function GatewayNodesPage() {
  const { regionId } = routeApi.useParams();
  const regions = useQuery(regionsQuery);
  const region = regions.data?.find((r) => r.id === regionId);
  const nodes = useQuery(gatewayNodesQuery(regionId));
  const revoke = useRevokeGatewayNode(regionId);
  const [adding, setAdding] = useState(false);
  const regionName = region?.name ?? "SBC region";

  const confirmRevoke = (node: GatewayNodeView) =>
    confirmAction({
      title: `Revoke ${node.name}?`,
      message:
        "The node stops receiving the feed at once; its devices move to the region's other nodes. Its token cannot be used again.",
      confirmLabel: "Revoke",
      danger: true,
      onConfirm: () =>
        revoke.mutate(node.id, {
          onSuccess: () => notifications.show({ color: "teal", message: `${node.name} revoked` }),
          onError: (error) =>
            notifications.show({
              color: "red",
              title: "Nothing changed",
              message: isApiError(error) ? error.message : "Something unexpected happened.",
            }),
        }),
    });

  const addButton = (
    <Button leftSection={<IconPlus />} onClick={() => setAdding(true)}>
      Add gateway node
    </Button>
  );

  return (
    <>
      <Anchor component={Link} to="/regions" size="sm" mb="xs" display="inline-block">
        ← SBC regions
      </Anchor>
      <PageHeader
        title={`Gateway nodes of ${regionName}`}
        description="The SBC machines of this region: each registers the region's users to their PBXs and bridges their calls, fed by the portal with its own token."
        actions={addButton}
      />
      {regions.isError ? (
        <QueryError error={regions.error} onRetry={() => void regions.refetch()} />
      ) : null}
      {nodes.isError ? (
        <QueryError error={nodes.error} onRetry={() => void nodes.refetch()} />
      ) : null}
      <DataTable<GatewayNodeView>
        label="Gateway nodes"
        rows={nodes.data}
        loading={nodes.isPending}
        rowKey={(n) => n.id}
        minWidth={640}
        columns={[
          { header: "Name", render: (n) => <Text fw={500}>{n.name}</Text> },
          {
            header: "Status",
            render: (n) => <StatusBadge status={n.revokedAt ? "revoked" : "active"} />,
          },
          { header: "Created", nowrap: true, render: (n) => <Moment iso={n.createdAt} /> },
          { header: "Last seen", nowrap: true, render: (n) => <Moment iso={n.lastSeenAt} /> },
          {
            header: "Actions",
            hideHeader: true,
            width: 120,
            render: (n) =>
              n.revokedAt ? null : (
                <Button
                  variant="subtle"
                  color="red"
                  size="xs"
                  leftSection={<IconBan size={14} />}
                  aria-label={`Revoke ${n.name}`}
                  onClick={() => confirmRevoke(n)}
                >
                  Revoke
                </Button>
              ),
          },
        ]}
        empty={
          <EmptyState
            icon={<IconServer size={28} />}
            withIndicatorBackground
            title="No gateway nodes yet"
            description="A gateway node is an SBC machine of this region: it registers the region's users to their PBXs and carries their calls between Microsoft Teams and the PBX. Add one for each machine you run."
          >
            <EmptyState.Actions>{addButton}</EmptyState.Actions>
          </EmptyState>
        }
      />
      <AddGatewayNodeModal
        regionId={regionId}
        regionName={regionName}
        opened={adding}
        onClose={() => setAdding(false)}
      />
    </>
  );
}
