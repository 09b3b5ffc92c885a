import { Badge, Button, Group, Stack, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type { DirectRouteView, DomainState } from "../../../shared/contracts/direct-routing.ts";
import { confirmAction } from "../../components/confirm.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { WorkflowSteps } from "../../components/WorkflowSteps.tsx";
import { Card, failureText } from "./DashboardCard.tsx";
import {
  directRoutingQuery,
  enterpriseQueryKey,
  useRemoveDirectRouting,
  useSetUpDirectRouting,
} from "./enterprise-portal.api.ts";

const domainStates: Record<DomainState, { color: string; label: string }> = {
  pending: { color: "gray", label: "Not added" },
  added: { color: "gray", label: "Added" },
  txt_published: { color: "yellow", label: "TXT published" },
  verified: { color: "blue", label: "Verified" },
  activated: { color: "teal", label: "Activated" },
};

const routeStates: Record<DirectRouteView["status"], { color: string; label: string }> = {
  provisioning: { color: "yellow", label: "Setting up" },
  active: { color: "teal", label: "Active" },
  removing: { color: "gray", label: "Removing" },
};

function Routes({ routes }: { routes: DirectRouteView[] }) {
  return (
    <Table.ScrollContainer minWidth={520}>
      <Table verticalSpacing="xs" aria-label="Derived trunks per SBC region">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>SBC region</Table.Th>
            <Table.Th>Derived trunk FQDN</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Domain</Table.Th>
            <Table.Th>Status</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {routes.map((route) => (
            <Table.Tr key={route.regionId}>
              <Table.Td>{route.regionName}</Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {route.fqdn}
                </Text>
              </Table.Td>
              <Table.Td>
                {route.role === "primary" ? "Primary" : `Failover ${route.priority}`}
              </Table.Td>
              <Table.Td>
                <Badge variant="light" color={domainStates[route.domainState].color}>
                  {domainStates[route.domainState].label}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Badge variant="light" color={routeStates[route.status].color}>
                  {routeStates[route.status].label}
                </Badge>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/**
 * Direct Routing of the enterprise (SPEC §3.5): the derived trunk of each SBC region, the set-up's
 * steps live while it runs, and "Set up Direct Routing" or "Retry" when the viewer may.
 */
export function DirectRoutingCard({ enterpriseId }: { enterpriseId: string }) {
  const view = useQuery(directRoutingQuery(enterpriseId));
  const queryClient = useQueryClient();
  // When a run ends, the rest of the dashboard (status, action item, activity) changed with it.
  const status = view.data?.run?.status;
  const previous = useRef(status);
  useEffect(() => {
    if (previous.current !== status && previous.current !== undefined)
      void queryClient.invalidateQueries({ queryKey: enterpriseQueryKey(enterpriseId) });
    previous.current = status;
  }, [status, enterpriseId, queryClient]);
  const setUp = useSetUpDirectRouting(enterpriseId);
  const remove = useRemoveDirectRouting(enterpriseId);
  if (view.isError && !view.data)
    return (
      <Card title="Direct Routing">
        <QueryError error={view.error} onRetry={() => void view.refetch()} />
      </Card>
    );
  const data = view.data;
  const canSetUp = data?.abilities.includes("direct_routing.set_up") ?? false;
  const canRetry = data?.abilities.includes("direct_routing.retry") ?? false;
  const canRemove = data?.abilities.includes("direct_routing.remove") ?? false;
  const removeButton = canRemove ? (
    <Button
      size="xs"
      variant="default"
      color="red"
      loading={remove.isPending}
      onClick={() =>
        confirmAction({
          title: "Remove Direct Routing?",
          message:
            "Teamgate removes what it created in the Microsoft 365 tenant, last first: the dial plan, voice routing policy, voice route and PSTN usage, the activation users, the TXT records and the domains. Teams calls stop reaching the PBX until Direct Routing is set up again.",
          confirmLabel: "Remove Direct Routing",
          danger: true,
          onConfirm: () =>
            remove.mutate(undefined, {
              onSuccess: () =>
                notifications.show({ color: "teal", message: "Direct Routing is being removed" }),
              onError: (error) =>
                notifications.show({
                  color: "red",
                  title: "Nothing removed",
                  message: failureText(error),
                }),
            }),
        })
      }
    >
      Remove Direct Routing
    </Button>
  ) : null;
  const start = () =>
    setUp.mutate(undefined, {
      onSuccess: () =>
        notifications.show({
          color: "teal",
          message: canRetry ? "Direct Routing set-up continues" : "Direct Routing set-up started",
        }),
      onError: (error) =>
        notifications.show({
          color: "red",
          title: "Nothing started",
          message: failureText(error),
        }),
    });
  const button = canSetUp ? (
    <Button
      size="xs"
      loading={setUp.isPending}
      onClick={() =>
        confirmAction({
          title: "Set up Direct Routing?",
          message:
            "Teamgate adds a domain per SBC region to the Microsoft 365 tenant, verifies it through DNS, creates a licensed user that activates it, then creates the PSTN usage, voice route, voice routing policy and dial plan that send Teams calls to the PBX. Microsoft can take up to a day to activate a new domain; you can leave this page meanwhile.",
          confirmLabel: "Set up Direct Routing",
          onConfirm: start,
        })
      }
    >
      Set up Direct Routing
    </Button>
  ) : canRetry ? (
    <Button size="xs" variant="default" loading={setUp.isPending} onClick={start}>
      Retry the failed step
    </Button>
  ) : null;
  return (
    <Card
      title="Direct Routing"
      actions={
        button || removeButton ? (
          <Group gap="xs">
            {button}
            {removeButton}
          </Group>
        ) : null
      }
    >
      {!data ? (
        <Text size="sm" c="dimmed">
          Loading…
        </Text>
      ) : (
        <Stack gap="md">
          {data.blockedBy && !data.run ? (
            <Text size="sm" c="orange.8">
              {data.blockedBy}.
            </Text>
          ) : null}
          {data.routes.length === 0 ? (
            <Text size="sm" c="dimmed">
              {data.run
                ? "Naming the derived trunks…"
                : "Not set up yet: Teams calls cannot reach the PBX until Direct Routing is set up."}
            </Text>
          ) : (
            <Routes routes={data.routes} />
          )}
          {data.run ? (
            <WorkflowSteps run={data.run} label="Steps of the Direct Routing set-up" />
          ) : null}
        </Stack>
      )}
    </Card>
  );
}
