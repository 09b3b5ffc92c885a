import {
  Anchor,
  Badge,
  Button,
  CloseButton,
  EmptyState,
  Group,
  Select,
  Text,
  TextInput,
} from "@mantine/core";
import { useInfiniteQuery } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import {
  type CallDirection,
  type CallDisposition,
  type CallView,
  callDispositionLabels,
  callDispositions,
} from "../../../shared/contracts/calls.ts";
import { isApiError } from "../../api/client.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { formatDateTime } from "../../components/format.ts";
import { IconPhone } from "../../components/icons.tsx";
import { ListToolbar } from "../../components/ListToolbar.tsx";
import { NoMatches } from "../../components/NoMatches.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { type CallListFilter, callListQuery, noCallFilter } from "./calls.api.ts";
import { formatDuration, sipOutcomeOf } from "./calls.format.ts";

const any = "any";
const directionOptions = [
  { value: any, label: "Both directions" },
  { value: "inbound", label: "Inbound (to Teams)" },
  { value: "outbound", label: "Outbound (from Teams)" },
];
const dispositionOptions = [
  { value: any, label: "All outcomes" },
  ...callDispositions.map((d) => ({ value: d, label: callDispositionLabels[d] })),
];

const dispositionColors: Record<CallDisposition, string> = {
  answered: "teal",
  busy: "yellow",
  no_answer: "gray",
  cancelled: "gray",
  failed: "red",
};

export function DirectionLabel({ direction }: { direction: CallDirection }) {
  return <Text size="sm">{direction === "inbound" ? "Inbound" : "Outbound"}</Text>;
}

export function DispositionBadge({ call }: { call: CallView }) {
  return (
    <Badge color={dispositionColors[call.disposition]} variant="light" radius="sm">
      {callDispositionLabels[call.disposition]}
    </Badge>
  );
}

const hangupLabels = { caller: "Caller", callee: "Callee", gateway: "Gateway" } as const;

/** The columns the list and a call's legs share. */
export function callColumns(renderTime: (call: CallView) => ReactNode) {
  return [
    { header: "Started", nowrap: true, render: renderTime },
    {
      header: "Duration",
      nowrap: true,
      render: (c: CallView) => formatDuration(c.durationSeconds),
    },
    { header: "Direction", render: (c: CallView) => <DirectionLabel direction={c.direction} /> },
    { header: "Caller", render: (c: CallView) => <Text size="sm">{c.caller || "—"}</Text> },
    { header: "Callee", render: (c: CallView) => <Text size="sm">{c.callee || "—"}</Text> },
    { header: "Outcome", render: (c: CallView) => <DispositionBadge call={c} /> },
    { header: "SIP", nowrap: true, render: (c: CallView) => sipOutcomeOf(c) },
    {
      header: "Hung up by",
      render: (c: CallView) => (c.hangupSide ? hangupLabels[c.hangupSide] : "—"),
    },
    { header: "Codec", render: (c: CallView) => c.codec ?? "—" },
    { header: "Region", render: (c: CallView) => c.regionName ?? c.regionId },
    { header: "Node", render: (c: CallView) => c.nodeName ?? c.nodeId },
  ];
}

interface CallsListProps {
  enterpriseId: string;
  /** A link to the call's page with this text (its start time) and accessible name. */
  renderCallLink(call: CallView, link: { text: string; label: string }): ReactNode;
}

/**
 * The enterprise's calls (SPEC §2.7), newest first: filters by day, direction, outcome, number
 * and user, and "Load more" for older calls (keyset paging on the server).
 */
export function CallsList({ enterpriseId, renderCallLink }: CallsListProps) {
  const [filter, setFilter] = useState<CallListFilter>(noCallFilter);
  const list = useInfiniteQuery(callListQuery(enterpriseId, filter));
  const rows = list.data?.pages.flatMap((p) => p.items);
  const filtered = JSON.stringify(filter) !== JSON.stringify(noCallFilter);
  const patch = (change: Partial<CallListFilter>) => setFilter((f) => ({ ...f, ...change }));
  // A refused filter (To before From) names its field: shown under that input.
  const fieldErrors = isApiError(list.error) ? list.error.fields : {};

  return (
    <>
      <ListToolbar
        search={filter.q}
        searchLabel="Caller or callee"
        searchPlaceholder="Digits or a SIP address"
        onSearchChange={(q) => patch({ q })}
      >
        <TextInput
          type="date"
          label="From (UTC)"
          value={filter.from}
          onChange={(event) => patch({ from: event.currentTarget.value })}
          error={fieldErrors.from}
          w={{ base: "100%", sm: 170 }}
        />
        <TextInput
          type="date"
          label="To (UTC)"
          value={filter.to}
          onChange={(event) => patch({ to: event.currentTarget.value })}
          error={fieldErrors.to}
          w={{ base: "100%", sm: 170 }}
        />
        <Select
          label="Direction"
          data={directionOptions}
          value={filter.direction ?? any}
          onChange={(value) =>
            patch({ direction: value && value !== any ? (value as CallDirection) : undefined })
          }
          allowDeselect={false}
          w={{ base: "100%", sm: 200 }}
        />
        <Select
          label="Outcome"
          data={dispositionOptions}
          value={filter.disposition ?? any}
          onChange={(value) =>
            patch({
              disposition: value && value !== any ? (value as CallDisposition) : undefined,
            })
          }
          allowDeselect={false}
          w={{ base: "100%", sm: 170 }}
        />
      </ListToolbar>
      {filter.user ? (
        <Group gap="xs" mb="md">
          <Text size="sm">
            Calls of <strong>{filter.user.name}</strong>
          </Text>
          <CloseButton
            size="sm"
            aria-label={`Show every user's calls, not only ${filter.user.name}'s`}
            onClick={() => patch({ user: undefined })}
          />
        </Group>
      ) : null}
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      <DataTable<CallView>
        label="Calls"
        rows={rows}
        loading={list.isPending}
        rowKey={(c) => c.id}
        minWidth={1100}
        columns={[
          ...callColumns((c) =>
            renderCallLink(c, {
              text: formatDateTime(c.startedAt),
              label: `Call of ${formatDateTime(c.startedAt)} from ${c.caller || "unknown"} to ${c.callee || "unknown"}`,
            }),
          ).slice(0, 5),
          {
            header: "User",
            render: (c) =>
              c.userId ? (
                <Anchor
                  component="button"
                  type="button"
                  size="sm"
                  aria-label={`Show only the calls of ${c.userName ?? "this user"}`}
                  onClick={() =>
                    patch({ user: { id: c.userId!, name: c.userName ?? "a removed user" } })
                  }
                >
                  {c.userName ?? "Removed user"}
                </Anchor>
              ) : (
                <Text size="sm" c="dimmed">
                  —
                </Text>
              ),
          },
          ...callColumns(() => null).slice(5),
          { header: "SIP trace", render: (c) => (c.hasTrace ? "Kept" : "—") },
        ]}
        empty={
          filtered ? (
            <NoMatches what="calls" onClear={() => setFilter(noCallFilter)} />
          ) : (
            <EmptyState
              icon={<IconPhone size={28} />}
              withIndicatorBackground
              title="No calls yet"
              description="Calls appear here once users are configured for calling and their devices are registered."
            />
          )
        }
      />
      {list.hasNextPage ? (
        <Group justify="center" mt="md">
          <Button
            variant="default"
            loading={list.isFetchingNextPage}
            onClick={() => void list.fetchNextPage()}
          >
            Load more calls
          </Button>
        </Group>
      ) : null}
      {rows ? (
        <Text size="sm" c="dimmed" mt="sm" aria-live="polite">
          {rows.length === 1 ? "1 call shown" : `${rows.length.toLocaleString("en")} calls shown`}
          {list.hasNextPage ? ", older calls follow" : ""}
        </Text>
      ) : null}
    </>
  );
}
