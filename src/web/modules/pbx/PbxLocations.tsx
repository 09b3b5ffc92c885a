import { Badge, Button, EmptyState, Group, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { type PbxView, transportLabels } from "../../../shared/contracts/pbx.ts";
import { isApiError } from "../../api/client.ts";
import { confirmAction } from "../../components/confirm.tsx";
import { DataTable } from "../../components/DataTable.tsx";
import { IconPencil, IconPhone, IconPlus, IconTrash } from "../../components/icons.tsx";
import { ListFooter } from "../../components/ListFooter.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { RowActionsMenu } from "../../components/RowActionsMenu.tsx";
import { PbxFormModal } from "./PbxFormModal.tsx";
import { pbxListQuery, useDeletePbx } from "./pbx.api.ts";

interface PbxLocationsProps {
  enterpriseId: string;
  /** The page shown, as the URL keeps it (undefined: the first). */
  page: number | undefined;
  onPageChange(page: number | undefined): void;
  /** Where the add button goes when the list has some (a page header, a section title). */
  renderActions?(add: React.ReactNode): React.ReactNode;
}

/**
 * The enterprise's PBX locations: the list (with an empty state that says what a location is),
 * add and edit in a form, delete after a confirmation. Buttons follow the server's abilities.
 */
export function PbxLocations({
  enterpriseId,
  page,
  onPageChange,
  renderActions,
}: PbxLocationsProps) {
  const list = useQuery(pbxListQuery(enterpriseId, page ?? 1));
  const remove = useDeletePbx(enterpriseId);
  const [editing, setEditing] = useState<{ pbx: PbxView | null } | null>(null);
  const canCreate = list.data?.canCreate ?? false;
  const noTypes = list.data ? list.data.pbxTypes.length === 0 : false;
  const addButton = canCreate ? (
    <Button leftSection={<IconPlus />} onClick={() => setEditing({ pbx: null })} disabled={noTypes}>
      Add PBX location
    </Button>
  ) : null;

  const confirmDelete = (pbx: PbxView) =>
    confirmAction({
      title: `Delete ${pbx.locationName}?`,
      message: `The PBX location ${pbx.locationName} (${pbx.sipDomain}) and its settings are deleted. Users configured with it must be moved to another location first.`,
      confirmLabel: "Delete PBX location",
      danger: true,
      onConfirm: () =>
        remove.mutate(pbx.id, {
          onSuccess: () =>
            notifications.show({ color: "teal", message: `${pbx.locationName} deleted` }),
          onError: (error) =>
            notifications.show({
              color: "red",
              message: isApiError(error) ? error.message : "The PBX location could not be deleted",
            }),
        }),
    });

  return (
    <>
      {renderActions ? renderActions(list.data?.items.length ? addButton : null) : null}
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      {canCreate && noTypes ? (
        <Text size="sm" c="dimmed" mb="sm">
          No PBX type is assigned to this enterprise: its service provider assigns one before a
          location can be added.
        </Text>
      ) : null}
      <DataTable<PbxView>
        label="PBX locations"
        rows={list.data?.items}
        loading={list.isPending}
        rowKey={(p) => p.id}
        columns={[
          { header: "Location", render: (p) => <Text fw={500}>{p.locationName}</Text> },
          { header: "PBX type", render: (p) => p.pbxTypeName },
          {
            header: "SIP domain",
            render: (p) => (
              <Text size="sm" style={{ overflowWrap: "anywhere" }}>
                {p.sipDomain}
                {p.sipProxy ? (
                  <Text span size="xs" c="dimmed" display="block">
                    via {p.sipProxy}
                  </Text>
                ) : null}
              </Text>
            ),
          },
          {
            header: "Transport",
            render: (p) => (
              <Group gap={4}>
                <Badge variant="light" radius="sm">
                  {transportLabels[p.transport]}
                </Badge>
                <Text size="xs" c="dimmed">
                  {p.dnsLookup}
                </Text>
              </Group>
            ),
          },
          { header: "Codecs", render: (p) => p.codecs.join(", ") },
          {
            header: "Actions",
            hideHeader: true,
            width: 56,
            render: (p) => (
              <RowActionsMenu
                name={p.locationName}
                actions={[
                  ...(p.abilities.includes("pbx.update")
                    ? [
                        {
                          label: "Edit",
                          icon: <IconPencil size={16} />,
                          onClick: () => setEditing({ pbx: p }),
                        },
                      ]
                    : []),
                  ...(p.abilities.includes("pbx.delete")
                    ? [
                        {
                          label: "Delete",
                          icon: <IconTrash size={16} />,
                          color: "red",
                          onClick: () => confirmDelete(p),
                        },
                      ]
                    : []),
                ]}
              />
            ),
          },
        ]}
        empty={
          <EmptyState
            icon={<IconPhone size={28} />}
            withIndicatorBackground
            title="No PBX locations yet"
            description="A PBX location is the SIP template of one PBX domain: where the gateway registers this enterprise's Teams users as SIP devices (domain, proxy, transport, codecs). Add one before configuring PBX users."
          >
            {addButton ? <EmptyState.Actions>{addButton}</EmptyState.Actions> : null}
          </EmptyState>
        }
      />
      <ListFooter list={list.data} onPageChange={onPageChange} />
      {list.data ? (
        <PbxFormModal
          opened={editing !== null}
          enterpriseId={enterpriseId}
          pbx={editing?.pbx ?? null}
          pbxTypes={list.data.pbxTypes}
          onClose={() => setEditing(null)}
        />
      ) : null}
    </>
  );
}
