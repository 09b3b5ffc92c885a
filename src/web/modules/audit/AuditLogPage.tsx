import { ActionIcon, Code, EmptyState, SimpleGrid, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { useState } from "react";
import type { AuditEntryView } from "../../../shared/contracts/audit.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { formatDateTime } from "../../components/format.ts";
import { IconChevronDown, IconChevronRight, IconHistory } from "../../components/icons.tsx";
import { ListFooter } from "../../components/ListFooter.tsx";
import { ListToolbar } from "../../components/ListToolbar.tsx";
import type { ListSearch } from "../../components/list-search.ts";
import { PageHeader } from "../../components/PageHeader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { auditQuery } from "./audit.api.ts";

const routeApi = getRouteApi("/app/audit");

function hasChanges(entry: AuditEntryView): boolean {
  return entry.before != null || entry.after != null;
}

function Json({ title, value }: { title: string; value: unknown }) {
  return (
    <Stack gap={4}>
      <Text size="xs" fw={600} c="dimmed" tt="uppercase">
        {title}
      </Text>
      {value == null ? (
        <Text size="sm" c="dimmed">
          Nothing
        </Text>
      ) : (
        <Code block fz="xs" style={{ maxHeight: 320, overflow: "auto" }}>
          {JSON.stringify(value, null, 2)}
        </Code>
      )}
    </Stack>
  );
}

/** "Name <e-mail>" on two lines, so the table stays narrow. */
function Actor({ label }: { label: string }) {
  const match = /^(.*?)\s*<([^>]+)>$/.exec(label);
  if (!match) return <Text size="sm">{label}</Text>;
  return (
    <Stack gap={0}>
      <Text size="sm">{match[1]}</Text>
      <Text size="xs" c="dimmed">
        {match[2]}
      </Text>
    </Stack>
  );
}

/** Every change made in the user's subtree: who, what, on which record, from where, when. */
export function AuditLogPage() {
  const search = routeApi.useSearch();
  const navigateList = routeApi.useNavigate();
  const list = useQuery(auditQuery(search));
  const [open, setOpen] = useState<Set<string>>(new Set());
  const setSearch = (patch: ListSearch) =>
    void navigateList({ search: (prev) => ({ ...prev, ...patch }), replace: true });
  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change made in your part of the platform, newest first."
      />
      <ListToolbar
        search={search.q ?? ""}
        onSearchChange={(q) => setSearch({ q: q || undefined, page: undefined })}
        searchPlaceholder="Action or target"
      />
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      <DataTable<AuditEntryView>
        label="Audit log"
        rows={list.data?.items}
        loading={list.isPending}
        rowKey={(e) => e.id}
        minWidth={860}
        expansion={(e) =>
          open.has(e.id) ? (
            <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md" id={`audit-${e.id}`}>
              <Json title="Before" value={e.before} />
              <Json title="After" value={e.after} />
            </SimpleGrid>
          ) : null
        }
        columns={[
          {
            header: "Details",
            hideHeader: true,
            width: 44,
            render: (e) =>
              hasChanges(e) ? (
                <ActionIcon
                  variant="subtle"
                  color="gray"
                  aria-expanded={open.has(e.id)}
                  aria-controls={open.has(e.id) ? `audit-${e.id}` : undefined}
                  aria-label={`${open.has(e.id) ? "Hide" : "Show"} changes of ${e.action} on ${e.target.label ?? e.target.id}`}
                  onClick={() => toggle(e.id)}
                >
                  {open.has(e.id) ? <IconChevronDown /> : <IconChevronRight />}
                </ActionIcon>
              ) : null,
          },
          {
            header: "When",
            render: (e) => (
              <Text size="sm" style={{ whiteSpace: "nowrap" }}>
                {formatDateTime(e.at)}
              </Text>
            ),
          },
          { header: "Who", render: (e) => <Actor label={e.actor.label} /> },
          {
            header: "Action",
            render: (e) => (
              <Text size="xs" ff="monospace" style={{ wordBreak: "break-word" }}>
                {e.action}
              </Text>
            ),
          },
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
          {
            header: "From where",
            render: (e) => (
              <Text size="sm" ff="monospace">
                {e.clientAddress ?? "—"}
              </Text>
            ),
          },
        ]}
        empty={
          <EmptyState
            icon={<IconHistory size={28} />}
            withIndicatorBackground
            title={search.q ? "No entries match" : "Nothing recorded yet"}
            description={
              search.q
                ? "Try another search."
                : "Changes appear here as soon as anyone in your organization makes them."
            }
          />
        }
      />
      <ListFooter list={list.data} onPageChange={(page) => setSearch({ page })} />
    </>
  );
}
