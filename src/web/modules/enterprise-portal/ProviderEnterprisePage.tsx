import { Anchor, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { EnterpriseDashboard } from "./EnterpriseDashboard.tsx";
import { overviewQuery } from "./enterprise-portal.api.ts";
import { UsersTable } from "./UsersTable.tsx";

const routeApi = getRouteApi("/app/enterprises/$enterpriseId");

/**
 * `/enterprises/{id}` for the service provider: the enterprise's dashboard as its admins see it
 * (registration, Teams admin role, management consent, user sync) and its synced users.
 */
export function ProviderEnterprisePage() {
  const { enterpriseId } = routeApi.useParams();
  const search = routeApi.useSearch();
  const navigate = routeApi.useNavigate();
  // The users follow the dashboard: nothing more to show when the enterprise could not be loaded.
  const overview = useQuery(overviewQuery(enterpriseId));
  return (
    <>
      <EnterpriseDashboard
        enterpriseId={enterpriseId}
        audience="provider"
        before={
          <Anchor component={Link} to="/enterprises" size="sm" mb="xs" display="inline-block">
            ← Enterprises
          </Anchor>
        }
      />
      {overview.data ? (
        <>
          <Title order={2} fz="h4" mt="xl" mb="md">
            Users
          </Title>
          <UsersTable
            enterpriseId={enterpriseId}
            search={search}
            onSearchChange={(patch) =>
              void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true })
            }
          />
        </>
      ) : null}
    </>
  );
}
