import { Anchor, Button, Group, SimpleGrid, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { useState } from "react";
import { IconHistory } from "../../components/icons.tsx";
import { ServiceBadges } from "../../components/ServiceBadges.tsx";
import { useCan } from "../auth/session.ts";
import { UserCalling } from "../calling/UserCalling.tsx";
import { UsersCsvActions } from "../calling/UsersCsvActions.tsx";
import { regionsQuery } from "../catalog/catalog.api.ts";
import { enterpriseQuery } from "../enterprises/enterprises.api.ts";
import { PhoneNumbers } from "../numbers/PhoneNumbers.tsx";
import { PbxLocations } from "../pbx/PbxLocations.tsx";
import { Card, Fact } from "./DashboardCard.tsx";
import { EnterpriseDashboard } from "./EnterpriseDashboard.tsx";
import { overviewQuery } from "./enterprise-portal.api.ts";
import { UsersTable } from "./UsersTable.tsx";

const routeApi = getRouteApi("/app/enterprises/$enterpriseId");
const userRouteApi = getRouteApi("/app/enterprises/$enterpriseId/users/$userId");

/**
 * `/enterprises/{id}` for the service provider: the enterprise's dashboard as its admins see it
 * (registration, Teams admin role, management consent, user sync), what the provider entered for
 * it (billing reference, user limit, services, regions), its PBX locations and its synced users.
 */
export function ProviderEnterprisePage() {
  const { enterpriseId } = routeApi.useParams();
  const search = routeApi.useSearch();
  const navigate = routeApi.useNavigate();
  // The users follow the dashboard: nothing more to show when the enterprise could not be loaded.
  const overview = useQuery(overviewQuery(enterpriseId));
  const [pbxPage, setPbxPage] = useState<number | undefined>(undefined);
  const can = useCan();
  return (
    <>
      <EnterpriseDashboard
        enterpriseId={enterpriseId}
        audience="provider"
        before={
          <Group justify="space-between" mb="xs">
            <Anchor component={Link} to="/enterprises" size="sm">
              ← Enterprises
            </Anchor>
            {can("calls.read") ? (
              <Button
                variant="default"
                size="xs"
                leftSection={<IconHistory size={16} />}
                renderRoot={(props) => (
                  <Link
                    {...props}
                    to="/enterprises/$enterpriseId/calls"
                    params={{ enterpriseId }}
                  />
                )}
              >
                Calls
              </Button>
            ) : null}
          </Group>
        }
        aside={<EnterpriseDetails enterpriseId={enterpriseId} />}
      />
      {overview.data ? (
        <>
          <PbxLocations
            enterpriseId={enterpriseId}
            page={pbxPage}
            onPageChange={setPbxPage}
            renderActions={(add) => (
              <Group justify="space-between" mt="xl" mb="md">
                <Title order={2} fz="h4">
                  PBX locations
                </Title>
                {add}
              </Group>
            )}
          />
          <PhoneNumbers
            enterpriseId={enterpriseId}
            renderActions={(actions) => (
              <Group justify="space-between" mt="xl" mb="md">
                <Title order={2} fz="h4">
                  Phone numbers
                </Title>
                {actions}
              </Group>
            )}
          />
          <Group justify="space-between" mt="xl" mb="md">
            <Title order={2} fz="h4">
              Users
            </Title>
            <UsersCsvActions enterpriseId={enterpriseId} canConfigure={can("users.configure")} />
          </Group>
          <UsersTable
            enterpriseId={enterpriseId}
            search={search}
            renderName={(user) => (
              <Anchor
                fw={500}
                renderRoot={(props) => (
                  <Link
                    {...props}
                    to="/enterprises/$enterpriseId/users/$userId"
                    params={{ enterpriseId, userId: user.id }}
                  />
                )}
              >
                {user.displayName}
              </Anchor>
            )}
            onSearchChange={(patch) =>
              void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true })
            }
          />
        </>
      ) : null}
    </>
  );
}

/** `/enterprises/{id}/users/{userId}` for the service provider: one user of the enterprise. */
export function ProviderUserPage() {
  const { enterpriseId, userId } = userRouteApi.useParams();
  return (
    <UserCalling
      enterpriseId={enterpriseId}
      userId={userId}
      audience="provider"
      back={
        <Anchor
          size="sm"
          mb="xs"
          display="inline-block"
          renderRoot={(props) => (
            <Link {...props} to="/enterprises/$enterpriseId" params={{ enterpriseId }} />
          )}
        >
          ← Enterprise
        </Anchor>
      }
    />
  );
}

/** What the provider entered for the enterprise ("Add Enterprise" / Edit). */
function EnterpriseDetails({ enterpriseId }: { enterpriseId: string }) {
  const record = useQuery(enterpriseQuery(enterpriseId));
  const regions = useQuery(regionsQuery);
  if (!record.data) return null;
  const e = record.data;
  const regionNames = e.regionIds
    .map((id) => regions.data?.find((r) => r.id === id)?.name ?? id)
    .sort((a, b) => a.localeCompare(b));
  const dash = (
    <Text size="sm" c="dimmed">
      —
    </Text>
  );
  return (
    <Card title="Details">
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
        <Fact label="Billing reference">
          {e.billingReference ? <Text size="sm">{e.billingReference}</Text> : dash}
        </Fact>
        <Fact label="User limit">
          <Text size="sm">{e.userLimit === null ? "Unlimited" : e.userLimit}</Text>
        </Fact>
        <Fact label="Services">
          <ServiceBadges services={e.services} />
        </Fact>
        <Fact label="SBC regions">
          {regionNames.length ? <Text size="sm">{regionNames.join(", ")}</Text> : dash}
        </Fact>
        <div style={{ gridColumn: "1 / -1" }}>
          <Fact label="Admin e-mail">
            <Text size="sm" style={{ overflowWrap: "anywhere" }}>
              {e.adminEmail}
            </Text>
          </Fact>
        </div>
      </SimpleGrid>
    </Card>
  );
}
