import { Badge, Button, EmptyState, Group, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { PhoneNumberState, PhoneNumberView } from "../../../shared/contracts/numbers.ts";
import { isApiError } from "../../api/client.ts";
import { confirmAction } from "../../components/confirm.tsx";
import { DataTable } from "../../components/DataTable.tsx";
import { IconPhone, IconPlus, IconTrash } from "../../components/icons.tsx";
import { ListFooter } from "../../components/ListFooter.tsx";
import { ListToolbar } from "../../components/ListToolbar.tsx";
import { NoMatches } from "../../components/NoMatches.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { RowActionsMenu } from "../../components/RowActionsMenu.tsx";
import { AddNumbersModal } from "./AddNumbersModal.tsx";
import { ImportNumbersModal } from "./ImportNumbersModal.tsx";
import { type NumberListFilter, numberListQuery, useRemoveNumber } from "./numbers.api.ts";

interface PhoneNumbersProps {
  enterpriseId: string;
  /** Where the add and import buttons go (a page header, a section title). */
  renderActions?(actions: React.ReactNode): React.ReactNode;
}

const stateOptions: { value: PhoneNumberState; label: string }[] = [
  { value: "available", label: "Available" },
  { value: "assigned", label: "Assigned" },
];

function StateBadge({ state }: { state: PhoneNumberState }) {
  return (
    <Badge color={state === "assigned" ? "blue" : "teal"} variant="light" radius="sm">
      {state === "assigned" ? "Assigned" : "Available"}
    </Badge>
  );
}

/**
 * The enterprise's phone number inventory (SPEC §2.7): the list with its state filter, digit
 * search and pages; add one number or a range, import a CSV, remove after a confirmation.
 * Buttons follow the server's abilities.
 */
export function PhoneNumbers({ enterpriseId, renderActions }: PhoneNumbersProps) {
  const [filter, setFilter] = useState<NumberListFilter>({ page: 1, state: undefined, q: "" });
  const list = useQuery(numberListQuery(enterpriseId, filter));
  const remove = useRemoveNumber(enterpriseId);
  const [dialog, setDialog] = useState<"add" | "import" | null>(null);
  const canManage = list.data?.canManage ?? false;
  const filtered = filter.state !== undefined || filter.q !== "";
  const actions = canManage ? (
    <Group gap="sm">
      <Button variant="default" onClick={() => setDialog("import")}>
        Import CSV
      </Button>
      <Button leftSection={<IconPlus />} onClick={() => setDialog("add")}>
        Add numbers
      </Button>
    </Group>
  ) : null;

  const confirmRemove = (n: PhoneNumberView) =>
    confirmAction({
      title: `Remove ${n.number}?`,
      message: `${n.number} leaves this enterprise's inventory; it can be added again later.`,
      confirmLabel: "Remove number",
      danger: true,
      onConfirm: () =>
        remove.mutate(n.id, {
          onSuccess: () => notifications.show({ color: "teal", message: `${n.number} removed` }),
          onError: (error) =>
            notifications.show({
              color: "red",
              message: isApiError(error) ? error.message : "The number could not be removed",
            }),
        }),
    });

  return (
    <>
      {renderActions ? renderActions(list.data?.total || filtered ? actions : null) : null}
      <ListToolbar
        search={filter.q}
        searchLabel="Search numbers"
        searchPlaceholder="Digits, such as 7946"
        onSearchChange={(q) => setFilter((f) => ({ ...f, q, page: 1 }))}
        statusOptions={stateOptions}
        status={filter.state}
        onStatusChange={(state) =>
          setFilter((f) => ({ ...f, state: state as PhoneNumberState | undefined, page: 1 }))
        }
      />
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      <DataTable<PhoneNumberView>
        label="Phone numbers"
        rows={list.data?.items}
        loading={list.isPending}
        rowKey={(n) => n.id}
        columns={[
          { header: "Number", render: (n) => <Text fw={500}>{n.number}</Text> },
          { header: "State", render: (n) => <StateBadge state={n.state} /> },
          {
            header: "Assigned to",
            render: (n) => (
              <Text size="sm" c={n.assignedUserId ? undefined : "dimmed"}>
                {n.assignedUserId ?? "—"}
              </Text>
            ),
          },
          { header: "Capability", render: () => "Voice" },
          {
            header: "Actions",
            hideHeader: true,
            width: 56,
            render: (n) => (
              <RowActionsMenu
                name={n.number}
                actions={
                  n.abilities.includes("number.remove")
                    ? [
                        {
                          label: "Remove",
                          icon: <IconTrash size={16} />,
                          color: "red",
                          onClick: () => confirmRemove(n),
                        },
                      ]
                    : []
                }
              />
            ),
          },
        ]}
        empty={
          filtered ? (
            <NoMatches
              what="numbers"
              onClear={() => setFilter({ page: 1, state: undefined, q: "" })}
            />
          ) : (
            <EmptyState
              icon={<IconPhone size={28} />}
              withIndicatorBackground
              title="No phone numbers yet"
              description="The enterprise's phone numbers (E.164): each belongs to this enterprise alone, is given to a user as their caller ID, and is what the gateway checks outgoing caller IDs against. Add them one by one, as a range or from a CSV file."
            >
              {actions ? <EmptyState.Actions>{actions}</EmptyState.Actions> : null}
            </EmptyState>
          )
        }
      />
      <ListFooter
        list={list.data}
        onPageChange={(page) => setFilter((f) => ({ ...f, page: page ?? 1 }))}
      />
      <AddNumbersModal
        opened={dialog === "add"}
        enterpriseId={enterpriseId}
        onClose={() => setDialog(null)}
      />
      <ImportNumbersModal
        opened={dialog === "import"}
        enterpriseId={enterpriseId}
        onClose={() => setDialog(null)}
      />
    </>
  );
}
