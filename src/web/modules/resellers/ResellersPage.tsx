import { Button, EmptyState, Text } from "@mantine/core";
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
import { ServiceBadges } from "../../components/ServiceBadges.tsx";
import { statusOptions } from "../../components/StatusBadge.tsx";
import { useCan, useSession } from "../auth/session.ts";
import { StatusWithInvitation } from "../invitations/InvitationStatus.tsx";
import { useLifecycleActions } from "../invitations/lifecycle.tsx";
import { resellersQuery } from "./resellers.api.ts";

const routeApi = getRouteApi("/app/resellers");

/** The resellers below a master reseller (seed 2: the master reseller's main screen). */
export function ResellersPage() {
  const session = useSession();
  const search = routeApi.useSearch();
  const navigateList = routeApi.useNavigate();
  const navigate = useNavigate();
  const can = useCan();
  const list = useQuery(resellersQuery(search));
  const actionsFor = useLifecycleActions("reseller");
  // Resellers are added under a master reseller: the master reseller's own organization.
  const canCreate = session.organization.kind === "master_reseller" && can("reseller.manage");
  const filtered = Boolean(search.q || search.status);
  const setSearch = (patch: ListSearch) =>
    void navigateList({ search: (prev) => ({ ...prev, ...patch }), replace: true });

  const addButton = (
    <Button component={Link} to="/resellers/new" leftSection={<IconPlus />}>
      Add Reseller
    </Button>
  );

  return (
    <>
      <PageHeader
        title="Resellers"
        description="Partner organizations that provision enterprises. Each activates its account from the e-mail it receives."
        actions={canCreate ? addButton : null}
      />
      <ListToolbar
        search={search.q ?? ""}
        onSearchChange={(q) => setSearch({ q: q || undefined, page: undefined })}
        searchPlaceholder="Name or e-mail"
        statusOptions={statusOptions(organizationStatuses)}
        status={search.status}
        onStatusChange={(status) => setSearch({ status, page: undefined })}
      />
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      <DataTable<OrganizationView>
        label="Resellers"
        rows={list.data?.items}
        loading={list.isPending}
        rowKey={(o) => o.id}
        minWidth={860}
        columns={[
          { header: "Reseller", render: (o) => <Text fw={500}>{o.name}</Text> },
          { header: "E-mail", render: (o) => o.email },
          { header: "Services", render: (o) => <ServiceBadges services={o.services} /> },
          {
            header: "Enterprises",
            render: (o) => (o.enterpriseCount === undefined ? "—" : o.enterpriseCount),
          },
          {
            header: "Status",
            render: (o) => <StatusWithInvitation status={o.status} invitation={o.invitation} />,
          },
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
                      to: "/resellers/$resellerId/edit",
                      params: { resellerId: o.id },
                    }),
                  extra: o.abilities.includes("reseller.manage_admins")
                    ? [
                        {
                          label: "Admins",
                          icon: <IconUsers size={16} />,
                          onClick: () =>
                            void navigate({
                              to: "/resellers/$resellerId/admins",
                              params: { resellerId: o.id },
                            }),
                        },
                      ]
                    : [],
                })}
              />
            ),
          },
        ]}
        empty={
          filtered ? (
            <NoMatches
              what="resellers"
              onClear={() => setSearch({ q: undefined, status: undefined, page: undefined })}
            />
          ) : (
            <EmptyState
              icon={<IconBuildings size={28} />}
              withIndicatorBackground
              title="No resellers yet"
              description="Add a reseller; it receives an e-mail with an invitation code to activate its account."
            >
              {canCreate ? <EmptyState.Actions>{addButton}</EmptyState.Actions> : null}
            </EmptyState>
          )
        }
      />
      <ListFooter list={list.data} onPageChange={(page) => setSearch({ page })} />
    </>
  );
}
