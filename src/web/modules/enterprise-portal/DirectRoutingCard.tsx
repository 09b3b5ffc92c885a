import { Alert, Badge, Button, Group, Stack, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { type UseMutationResult, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type {
  DirectRouteView,
  DirectRoutingView,
  DomainState,
} from "../../../shared/contracts/direct-routing.ts";
import {
  driftCount,
  driftedSteps,
  type WorkflowRunView,
} from "../../../shared/contracts/workflows.ts";
import { confirmAction } from "../../components/confirm.tsx";
import { formatDateTime } from "../../components/format.ts";
import { QueryError } from "../../components/QueryError.tsx";
import { WorkflowSteps } from "../../components/WorkflowSteps.tsx";
import { Card, failureText } from "./DashboardCard.tsx";
import {
  directRoutingQuery,
  enterpriseQueryKey,
  useCheckDirectRouting,
  useRemoveDirectRouting,
  useRepairDirectRouting,
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
 * Runs one of the card's actions: a toast saying it started (none for `null`), or why nothing
 * happened.
 */
function act(
  mutation: UseMutationResult<DirectRoutingView, Error, void>,
  started: string | null,
  refused: string,
): void {
  mutation.mutate(undefined, {
    onSuccess: () => {
      if (started) notifications.show({ color: "teal", message: started });
    },
    onError: (error) =>
      notifications.show({ color: "red", title: refused, message: failureText(error) }),
  });
}

/**
 * Drift of a finished set-up: when the tenant was last read back and what differs (the details are
 * on the steps), or why the check could not finish.
 */
function DriftSummary({ run }: { run: WorkflowRunView }) {
  const differing = driftedSteps(run);
  const count = driftCount(run);
  if (run.checking)
    return (
      <Text size="sm" c="dimmed" role="status">
        Checking the tenant against the set-up…
      </Text>
    );
  return (
    <Stack gap={4} role="status">
      {count > 0 ? (
        <Alert color="orange" variant="light" title="The tenant differs from the set-up">
          {count === 1 ? "One difference" : `${count} differences`}
          {run.checkedAt ? ` found ${formatDateTime(run.checkedAt)}` : ""}, on the{" "}
          {differing.length === 1 ? "step" : `${differing.length} steps`} marked “Differs” below:
          something Teamgate created was changed or deleted in the Microsoft 365 or Teams admin
          center. Repair runs again only those steps.
        </Alert>
      ) : run.checkedAt ? (
        <Text size="sm" c="dimmed">
          Checked {formatDateTime(run.checkedAt)}: the tenant matches the set-up.
        </Text>
      ) : (
        <Text size="sm" c="dimmed">
          Not checked yet: Teamgate reads the tenant back every hour.
        </Text>
      )}
      {run.checkError ? (
        <Text size="sm" c="red">
          The last check could not finish: {run.checkError}
        </Text>
      ) : null}
    </Stack>
  );
}

/**
 * Direct Routing of the enterprise (SPEC §3.5): the derived trunk of each SBC region, the set-up's
 * steps live while it runs, and "Set up Direct Routing" or "Retry" when the viewer may; once set
 * up, what the last read-back found (drift), "Check now" and "Repair".
 */
export function DirectRoutingCard({ enterpriseId }: { enterpriseId: string }) {
  const view = useQuery(directRoutingQuery(enterpriseId));
  const queryClient = useQueryClient();
  // When a run ends or a check finds the tenant changed (or as set up again), the rest of the
  // dashboard (status, action item, activity) changed with it.
  const run = view.data?.run;
  const state = run ? `${run.status} ${driftCount(run)}` : undefined;
  const previous = useRef(state);
  useEffect(() => {
    if (previous.current !== state && previous.current !== undefined)
      void queryClient.invalidateQueries({ queryKey: enterpriseQueryKey(enterpriseId) });
    previous.current = state;
  }, [state, enterpriseId, queryClient]);
  const setUp = useSetUpDirectRouting(enterpriseId);
  const remove = useRemoveDirectRouting(enterpriseId);
  const check = useCheckDirectRouting(enterpriseId);
  const repair = useRepairDirectRouting(enterpriseId);
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
  const canCheck = data?.abilities.includes("direct_routing.check") ?? false;
  const canRepair = data?.abilities.includes("direct_routing.repair") ?? false;
  const checkButton =
    canCheck || data?.run?.checking ? (
      <Button
        size="xs"
        variant="default"
        loading={check.isPending || data?.run?.checking}
        disabled={!canCheck}
        onClick={() => act(check, null, "Not checked")}
      >
        Check now
      </Button>
    ) : null;
  const repairButton = canRepair ? (
    <Button
      size="xs"
      color="orange"
      loading={repair.isPending}
      onClick={() =>
        confirmAction({
          title: "Repair Direct Routing?",
          message: `Teamgate runs these steps again, each looking before it creates: ${(data?.run
            ? driftedSteps(data.run)
            : []
          )
            .map((step) => step.title.toLowerCase())
            .join(
              "; ",
            )}. What was changed by hand in the tenant is put back as Teamgate set it up.`,
          confirmLabel: "Repair",
          onConfirm: () => act(repair, "Direct Routing is being repaired", "Nothing repaired"),
        })
      }
    >
      Repair
    </Button>
  ) : null;
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
          onConfirm: () => act(remove, "Direct Routing is being removed", "Nothing removed"),
        })
      }
    >
      Remove Direct Routing
    </Button>
  ) : null;
  const start = () =>
    act(
      setUp,
      canRetry
        ? "Direct Routing set-up continues"
        : applying
          ? "Direct Routing is applying the changes"
          : "Direct Routing set-up started",
      "Nothing started",
    );
  const applying = canSetUp && data?.run?.status === "succeeded";
  const button = applying ? (
    <Button
      size="xs"
      loading={setUp.isPending}
      onClick={() =>
        confirmAction({
          title: "Apply the changes to Direct Routing?",
          message: `${data?.pendingChanges.join("; ")}. Teamgate runs the set-up again: the derived trunks of new regions are added, verified and activated, the voice route is corrected in place (primary region first), the trunks of regions taken off are removed from the tenant, and music on hold follows the PBX setting. Calls keep flowing through the regions that stay.`,
          confirmLabel: "Apply the changes",
          onConfirm: start,
        })
      }
    >
      Apply the changes
    </Button>
  ) : canSetUp ? (
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
        button || repairButton || checkButton || removeButton ? (
          <Group gap="xs">
            {button}
            {repairButton}
            {checkButton}
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
          {data.pendingChanges.length > 0 ? (
            <Alert color="blue" variant="light" title="Changes to apply">
              {data.pendingChanges.join("; ")} since Direct Routing was set up.
              {data.abilities.includes("direct_routing.set_up")
                ? " Apply them to update the tenant."
                : " An enterprise admin (or the service provider, with management consent) applies them."}
            </Alert>
          ) : null}
          {data.run?.status === "succeeded" ? <DriftSummary run={data.run} /> : null}
          {data.run ? (
            <WorkflowSteps run={data.run} label="Steps of the Direct Routing set-up" />
          ) : null}
        </Stack>
      )}
    </Card>
  );
}
