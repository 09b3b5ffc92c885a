import { Anchor, Button, EmptyState } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import type { EnterpriseView } from "../../../shared/contracts/enterprises.ts";
import { CursorListFooter } from "../../components/CursorListFooter.tsx";
import { type Column, DataTable } from "../../components/DataTable.tsx";
import { formatDate } from "../../components/format.ts";
import { IconBuilding, IconPlus } from "../../components/icons.tsx";
import { ListToolbar } from "../../components/ListToolbar.tsx";
import { type CursorListSearch, enterpriseStatuses } from "../../components/list-search.ts";
import { NoMatches } from "../../components/NoMatches.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { RowActionsMenu } from "../../components/RowActionsMenu.tsx";
import { ServiceBadges } from "../../components/ServiceBadges.tsx";
import { statusOptions } from "../../components/StatusBadge.tsx";
import { useCan, useSession } from "../auth/session.ts";
import { regionsQuery } from "../catalog/catalog.api.ts";
import { ConsentBadge } from "../enterprise-portal/EnterpriseDashboard.tsx";
import { StatusWithInvitation } from "../invitations/InvitationStatus.tsx";
import { useLifecycleActions } from "../invitations/lifecycle.tsx";
import { enterprisesQuery } from "./enterprises.api.ts";

const routeApi = getRouteApi("/app/enterprises");

/** Enterprises (seed 3: the reseller's first screen): one customer = one Microsoft 365 tenant. */
export function EnterprisesPage() {
  const session = useSession();
  const search = routeApi.useSearch();
  const navigateList = routeApi.useNavigate();
  const navigate = useNavigate();
  const can = useCan();
  const list = useQuery(enterprisesQuery(search));
  const regions = useQuery(regionsQuery);
  const actionsFor = useLifecycleActions("enterprise");
  const isReseller = session.organization.kind === "reseller";
  const canCreate = isReseller && can("enterprise.manage");
  const canManageAny = can("enterprise.manage");
  const filtered = Boolean(search.q || search.status);
  const setSearch = (patch: CursorListSearch) =>
    void navigateList({ search: (prev) => ({ ...prev, ...patch }), replace: true });
  const regionName = (id: string) => regions.data?.find((r) => r.id === id)?.name ?? id;

  const addButton = (
    <Button component={Link} to="/enterprises/new" leftSection={<IconPlus />}>
      Add Enterprise
    </Button>
  );

  const columns: Column<EnterpriseView>[] = [
    {
      header: "Enterprise",
      render: (e) => (
        <Anchor
          fw={500}
          renderRoot={(props) => (
            <Link {...props} to="/enterprises/$enterpriseId" params={{ enterpriseId: e.id }} />
          )}
        >
          {e.name}
        </Anchor>
      ),
    },
    { header: "Admin e-mail", render: (e) => e.adminEmail },
    { header: "Billing reference", render: (e) => e.billingReference ?? "—" },
    ...(isReseller ? [] : [{ header: "Reseller", render: (e: EnterpriseView) => e.resellerName }]),
    { header: "Services", render: (e) => <ServiceBadges services={e.services} /> },
    {
      header: "SBC regions",
      // By name: the ids come sorted by id, which would order the names at random.
      render: (e) =>
        e.regionIds.length
          ? e.regionIds
              .map(regionName)
              .sort((a, b) => a.localeCompare(b))
              .join(", ")
          : "—",
    },
    {
      header: "Status",
      render: (e) => <StatusWithInvitation status={e.status} invitation={e.invitation} />,
    },
    {
      header: "Management consent",
      render: (e) =>
        e.managementConsent === "not_requested" ? (
          "—"
        ) : (
          <ConsentBadge state={e.managementConsent} />
        ),
    },
    { header: "Added", nowrap: true, render: (e) => formatDate(e.createdAt) },
  ];
  if (canManageAny) {
    columns.push({
      header: "Actions",
      hideHeader: true,
      width: 56,
      render: (e) => (
        <RowActionsMenu
          name={e.name}
          actions={actionsFor(
            {
              id: e.id,
              name: e.name,
              status: e.status,
              email: e.adminEmail,
              abilities: e.abilities,
            },
            {
              onEdit: () =>
                void navigate({
                  to: "/enterprises/$enterpriseId/edit",
                  params: { enterpriseId: e.id },
                }),
            },
          )}
        />
      ),
    });
  }

  return (
    <>
      <PageHeader
        title="Enterprises"
        description={
          isReseller
            ? "Your customers. Each enterprise's Microsoft Global Administrator receives an invitation to connect their Teams tenant."
            : "Enterprises of your resellers (read-only)."
        }
        actions={canCreate ? addButton : null}
      />
      <ListToolbar
        search={search.q ?? ""}
        onSearchChange={(q) => setSearch({ q: q || undefined, cursor: undefined })}
        searchPlaceholder="Name or admin e-mail"
        statusOptions={statusOptions(enterpriseStatuses)}
        status={search.status}
        onStatusChange={(status) => setSearch({ status, cursor: undefined })}
      />
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      <DataTable<EnterpriseView>
        label="Enterprises"
        rows={list.data?.items}
        loading={list.isPending}
        rowKey={(e) => e.id}
        minWidth={900}
        columns={columns}
        empty={
          filtered ? (
            <NoMatches
              what="enterprises"
              onClear={() => setSearch({ q: undefined, status: undefined, cursor: undefined })}
            />
          ) : (
            <EmptyState
              icon={<IconBuilding size={28} />}
              withIndicatorBackground
              title="No enterprises yet"
              description={
                canCreate
                  ? "Add your first customer. Their Microsoft Global Administrator gets an e-mail to connect the tenant."
                  : "Enterprises appear here once your resellers add them."
              }
            >
              {canCreate ? <EmptyState.Actions>{addButton}</EmptyState.Actions> : null}
            </EmptyState>
          )
        }
      />
      <CursorListFooter
        list={list.data}
        hasCursor={Boolean(search.cursor)}
        onCursorChange={(cursor) => setSearch({ cursor })}
      />
    </>
  );
}
