import { Button, EmptyState, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import type { RegionView } from "../../../shared/contracts/catalog.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { formatDate } from "../../components/format.ts";
import { IconPencil, IconPlus, IconServer } from "../../components/icons.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { RowActionsMenu } from "../../components/RowActionsMenu.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import { regionsQuery } from "./catalog.api.ts";
import { RegionFormModal } from "./RegionFormModal.tsx";

/** The operator's SBC regions: where enterprises' Direct Routing trunks terminate. */
export function RegionsPage() {
  const regions = useQuery(regionsQuery);
  const [editing, setEditing] = useState<{ region: RegionView | null } | null>(null);
  const add = () => setEditing({ region: null });
  const navigate = useNavigate();

  return (
    <>
      <PageHeader
        title="SBC regions"
        description="Each region has its own carrier trunk FQDN; every enterprise gets a subdomain of it for Microsoft Direct Routing."
        actions={
          <Button leftSection={<IconPlus />} onClick={add}>
            Add SBC region
          </Button>
        }
      />
      {regions.isError ? (
        <QueryError error={regions.error} onRetry={() => void regions.refetch()} />
      ) : null}
      <DataTable<RegionView>
        label="SBC regions"
        rows={regions.data}
        loading={regions.isPending}
        rowKey={(r) => r.id}
        minWidth={640}
        columns={[
          { header: "Name", render: (r) => <Text fw={500}>{r.name}</Text> },
          {
            header: "Carrier trunk FQDN",
            render: (r) => (
              <Text ff="monospace" size="sm">
                {r.carrierFqdn}
              </Text>
            ),
          },
          { header: "Status", render: (r) => <StatusBadge status={r.status} /> },
          { header: "Added", nowrap: true, render: (r) => formatDate(r.createdAt) },
          {
            header: "Actions",
            hideHeader: true,
            width: 56,
            render: (r) => (
              <RowActionsMenu
                name={r.name}
                actions={[
                  {
                    label: "Edit",
                    icon: <IconPencil size={16} />,
                    onClick: () => setEditing({ region: r }),
                  },
                  {
                    label: "Gateway nodes",
                    icon: <IconServer size={16} />,
                    onClick: () =>
                      void navigate({
                        to: "/regions/$regionId/gateway-nodes",
                        params: { regionId: r.id },
                      }),
                  },
                ]}
              />
            ),
          },
        ]}
        empty={
          <EmptyState
            icon={<IconServer size={28} />}
            withIndicatorBackground
            title="No SBC regions yet"
            description="Add the first region so resellers can offer it to their enterprises."
          >
            <EmptyState.Actions>
              <Button leftSection={<IconPlus />} onClick={add}>
                Add SBC region
              </Button>
            </EmptyState.Actions>
          </EmptyState>
        }
      />
      <RegionFormModal
        opened={editing !== null}
        region={editing?.region ?? null}
        onClose={() => setEditing(null)}
      />
    </>
  );
}
