import { Badge, Button, EmptyState, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { PbxTypeView } from "../../../shared/contracts/catalog.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { IconPencil, IconPhone, IconPlus } from "../../components/icons.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { RowActionsMenu } from "../../components/RowActionsMenu.tsx";
import { hostingTypeLabels, pbxTypesQuery } from "./catalog.api.ts";
import { PbxTypeFormModal } from "./PbxTypeFormModal.tsx";

function YesNo({ value }: { value: boolean }) {
  return value ? (
    <Badge variant="light" color="blue" radius="sm">
      Yes
    </Badge>
  ) : (
    <Text size="sm" c="dimmed">
      No
    </Text>
  );
}

/** The operator's PBX types: the PBX platforms enterprises can connect. */
export function PbxTypesPage() {
  const pbxTypes = useQuery(pbxTypesQuery);
  const [editing, setEditing] = useState<{ pbxType: PbxTypeView | null } | null>(null);
  const add = () => setEditing({ pbxType: null });

  return (
    <>
      <PageHeader
        title="PBX types"
        description="The PBX platforms resellers can assign to enterprises. Disabled types stay on existing enterprises but cannot be assigned anew."
        actions={
          <Button leftSection={<IconPlus />} onClick={add}>
            Add PBX type
          </Button>
        }
      />
      {pbxTypes.isError ? (
        <QueryError error={pbxTypes.error} onRetry={() => void pbxTypes.refetch()} />
      ) : null}
      <DataTable<PbxTypeView>
        label="PBX types"
        rows={pbxTypes.data}
        loading={pbxTypes.isPending}
        rowKey={(t) => t.id}
        columns={[
          { header: "Name", render: (t) => <Text fw={500}>{t.name}</Text> },
          { header: "Label", render: (t) => t.label },
          { header: "Default", render: (t) => <YesNo value={t.isDefault} /> },
          { header: "Disabled", render: (t) => <YesNo value={t.isDisabled} /> },
          { header: "Hosting type", render: (t) => hostingTypeLabels[t.hostingType] },
          {
            header: "Actions",
            hideHeader: true,
            width: 56,
            render: (t) => (
              <RowActionsMenu
                name={t.name}
                actions={[
                  {
                    label: "Edit",
                    icon: <IconPencil size={16} />,
                    onClick: () => setEditing({ pbxType: t }),
                  },
                ]}
              />
            ),
          },
        ]}
        empty={
          <EmptyState
            icon={<IconPhone size={28} />}
            withIndicatorBackground
            title="No PBX types yet"
            description="Add the PBX platforms your resellers connect, for example RingLogix."
          >
            <EmptyState.Actions>
              <Button leftSection={<IconPlus />} onClick={add}>
                Add PBX type
              </Button>
            </EmptyState.Actions>
          </EmptyState>
        }
      />
      <PbxTypeFormModal
        opened={editing !== null}
        pbxType={editing?.pbxType ?? null}
        onClose={() => setEditing(null)}
      />
    </>
  );
}
