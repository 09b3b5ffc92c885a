import { Button, EmptyState, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import type { OrganizationView } from "../../../shared/contracts/organizations.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { formatDate } from "../../components/format.ts";
import { IconBuildings, IconPlus, IconUsers } from "../../components/icons.tsx";
import { ListFooter } from "../../components/ListFooter.tsx";
import { ListToolbar } from "../../components/ListToolbar.tsx";
import { type ListSearch, organizationStatuses } from "../../components/list-search.ts";
import { NoMatches } from "../../components/NoMatches.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { RowActionsMenu } from "../../components/RowActionsMenu.tsx";
import { statusOptions } from "../../components/StatusBadge.tsx";
import { useCan } from "../auth/session.ts";
import { StatusWithInvitation } from "../invitations/InvitationStatus.tsx";
import { useLifecycleActions } from "../invitations/lifecycle.tsx";
import { masterResellersQuery } from "./master-resellers.api.ts";

const routeApi = getRouteApi("/app/master-resellers");

/** The operator's channel partners: each master reseller signs in to the portal and adds resellers. */
export function MasterResellersPage() {
  const search = routeApi.useSearch();
  const navigateList = routeApi.useNavigate();
  const navigate = useNavigate();
  const can = useCan();
  const list = useQuery(masterResellersQuery(search));
  const actionsFor = useLifecycleActions("master_reseller");
  const canCreate = can("master_reseller.manage");
  const filtered = Boolean(search.q || search.status);
  const setSearch = (patch: ListSearch) =>
    void navigateList({ search: (prev) => ({ ...prev, ...patch }), replace: true });

  return (
    <>
      <PageHeader
        title="Master resellers"
        description="Channel partners with their own portal access. Each receives an activation e-mail and then adds its resellers."
        actions={
          canCreate ? (
            <Button component={Link} to="/master-resellers/new" leftSection={<IconPlus />}>
              Add Master Reseller
            </Button>
          ) : null
        }
      />
      <ListToolbar
        search={search.q ?? ""}
        onSearchChange={(q) => setSearch({ q: q || undefined, page: undefined })}
        searchPlaceholder="Company or e-mail"
        statusOptions={statusOptions(organizationStatuses)}
        status={search.status}
        onStatusChange={(status) => setSearch({ status, page: undefined })}
      />
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      <DataTable<OrganizationView>
        label="Master resellers"
        rows={list.data?.items}
        loading={list.isPending}
        rowKey={(o) => o.id}
        columns={[
          {
            header: "Company",
            render: (o) => (
              <Stack gap={0}>
                <Text fw={500}>{o.name}</Text>
                {o.contactName ? (
                  <Text size="xs" c="dimmed">
                    {o.contactName}
                  </Text>
                ) : null}
              </Stack>
            ),
          },
          { header: "E-mail", render: (o) => o.email },
          {
            header: "Status",
            render: (o) => <StatusWithInvitation status={o.status} invitation={o.invitation} />,
          },
          { header: "Billing reference", render: (o) => o.billingReference ?? "—" },
          { header: "Added", nowrap: true, render: (o) => formatDate(o.createdAt) },
          {
            header: "Actions",
            hideHeader: true,
            width: 56,
            render: (o) => (
              <RowActionsMenu
                name={o.name}
                actions={actionsFor(o, {
                  onEdit: () =>
                    void navigate({
                      to: "/master-resellers/$masterResellerId/edit",
                      params: { masterResellerId: o.id },
                    }),
                  extra: [
                    ...(o.abilities.includes("master_reseller.manage_admins")
                      ? [
                          {
                            label: "Admins",
                            icon: <IconUsers size={16} />,
                            onClick: () =>
                              void navigate({
                                to: "/master-resellers/$masterResellerId/admins",
                                params: { masterResellerId: o.id },
                              }),
                          },
                        ]
                      : []),
                    ...(o.abilities.includes("master_reseller.add_reseller")
                      ? [
                          {
                            label: "Add reseller",
                            icon: <IconPlus size={16} />,
                            onClick: () =>
                              void navigate({ to: "/resellers/new", search: { masterId: o.id } }),
                          },
                        ]
                      : []),
                  ],
                })}
              />
            ),
          },
        ]}
        empty={
          filtered ? (
            <NoMatches
              what="master resellers"
              onClear={() => setSearch({ q: undefined, status: undefined, page: undefined })}
            />
          ) : (
            <EmptyState
              icon={<IconBuildings size={28} />}
              withIndicatorBackground
              title="No master resellers yet"
              description="Add a channel partner; they receive an e-mail to activate their portal account."
            >
              {canCreate ? (
                <EmptyState.Actions>
                  <Button component={Link} to="/master-resellers/new" leftSection={<IconPlus />}>
                    Add Master Reseller
                  </Button>
                </EmptyState.Actions>
              ) : null}
            </EmptyState>
          )
        }
      />
      <ListFooter list={list.data} onPageChange={(page) => setSearch({ page })} />
    </>
  );
}
