import { EmptyState, Stack, Text } from "@mantine/core";
import type { AuditEntryView } from "../../../shared/contracts/audit.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { formatDateTime } from "../../components/format.ts";
import { IconHistory } from "../../components/icons.tsx";
import { actionInWords, splitActor } from "./activity.ts";

interface ActivityTableProps {
  label: string;
  rows: AuditEntryView[] | undefined;
  loading: boolean;
}

/** An enterprise's activity: when, who, what (in words) and on which record. */
export function ActivityTable({ label, rows, loading }: ActivityTableProps) {
  return (
    <DataTable<AuditEntryView>
      label={label}
      rows={rows}
      loading={loading}
      rowKey={(e) => e.id}
      minWidth={640}
      columns={[
        { header: "When", nowrap: true, render: (e) => formatDateTime(e.at) },
        {
          header: "Who",
          render: (e) => {
            const who = splitActor(e.actor.label);
            return (
              <Stack gap={0}>
                <Text size="sm">{who.name}</Text>
                {who.email ? (
                  <Text size="xs" c="dimmed">
                    {who.email}
                  </Text>
                ) : null}
              </Stack>
            );
          },
        },
        { header: "Action", render: (e) => <Text size="sm">{actionInWords(e.action)}</Text> },
        {
          header: "Target",
          render: (e) => (
            <Stack gap={0}>
              <Text size="sm">{e.target.label ?? e.target.id}</Text>
              <Text size="xs" c="dimmed">
                {e.target.type.replaceAll("_", " ")}
              </Text>
            </Stack>
          ),
        },
      ]}
      empty={
        <EmptyState
          icon={<IconHistory size={28} />}
          withIndicatorBackground
          title="Nothing recorded yet"
          description="Sign-ins, consents and changes to this enterprise appear here."
        />
      }
    />
  );
}
