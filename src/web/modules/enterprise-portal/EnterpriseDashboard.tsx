import {
  Alert,
  Anchor,
  Badge,
  Button,
  Grid,
  Group,
  Loader,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { type ReactNode, useState } from "react";
import type {
  ActionItem,
  ActionItemState,
  EnterpriseOverview,
  ManagementConsentState,
} from "../../../shared/contracts/enterprise-portal.ts";
import type {
  UserSyncCounters,
  UserSyncRunSummary,
  UserSyncStatusValue,
} from "../../../shared/contracts/users.ts";
import type { WorkflowRunStatus } from "../../../shared/contracts/workflows.ts";
import { confirmAction } from "../../components/confirm.tsx";
import { formatDateTime } from "../../components/format.ts";
import { IconArrowRight, IconMicrosoft } from "../../components/icons.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { PageLoader } from "../../components/PageLoader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import { WorkflowSteps } from "../../components/WorkflowSteps.tsx";
import { usePushWaitingToTeams } from "../calling/calling.api.ts";
import { ActivityTable } from "./ActivityTable.tsx";
import { Card, Fact, failureText } from "./DashboardCard.tsx";
import { DirectRoutingCard } from "./DirectRoutingCard.tsx";
import {
  activityQuery,
  isSyncBusy,
  overviewQuery,
  useRetryTeamsAdminRole,
  useSetManagementConsent,
  useStartPermissionsConsent,
  useSyncNow,
} from "./enterprise-portal.api.ts";

/** Who looks at the dashboard: the enterprise's own admin, or its service provider. */
export type DashboardAudience = "enterprise" | "provider";

interface EnterpriseDashboardProps {
  enterpriseId: string;
  audience: DashboardAudience;
  /** Shown above the heading (e.g. a way back to the list). */
  before?: ReactNode;
  /** Cards shown above the connection (e.g. the provider's own details of the enterprise). */
  aside?: ReactNode;
}

const consentStyles: Record<ManagementConsentState, { color: string; label: string }> = {
  granted: { color: "teal", label: "Granted" },
  pending: { color: "yellow", label: "Pending" },
  not_requested: { color: "gray", label: "Not requested" },
};

const itemStyles: Record<ActionItemState, { color: string; label: string }> = {
  todo: { color: "blue", label: "To do" },
  waiting: { color: "yellow", label: "Waiting" },
  done: { color: "teal", label: "Done" },
  failed: { color: "red", label: "Failed" },
};

const syncStyles: Record<UserSyncStatusValue, { color: string; label: string }> = {
  idle: { color: "gray", label: "Idle" },
  queued: { color: "yellow", label: "Queued" },
  running: { color: "blue", label: "Running" },
  failed: { color: "red", label: "Failed" },
};

const roleStates: Record<WorkflowRunStatus, string> = {
  running: "Being assigned",
  waiting: "Being assigned",
  succeeded: "Assigned",
  failed: "Failed",
  undoing: "Being removed",
  undone: "Removed",
};

const triggers: Record<UserSyncRunSummary["trigger"], string> = {
  registration: "after registration",
  manual: "on request",
  scheduled: "scheduled",
  scope_changed: "after the user groups changed",
};

function SmallBadge({ color, children }: { color: string; children: ReactNode }) {
  return (
    <Badge color={color} variant="light" radius="sm" style={{ minWidth: "max-content" }}>
      {children}
    </Badge>
  );
}

/** The management consent state in the words the dashboard uses: Granted, Pending, Not requested. */
export function ConsentBadge({ state }: { state: ManagementConsentState }) {
  const style = consentStyles[state];
  return <SmallBadge color={style.color}>{style.label}</SmallBadge>;
}

/**
 * The enterprise dashboard (SPEC §3.3): what is left to do, the connection to Microsoft 365, the
 * user sync and recent activity. The same view serves the enterprise's admins and its service
 * provider; the overview's abilities decide which buttons show.
 */
export function EnterpriseDashboard({
  enterpriseId,
  audience,
  before,
  aside,
}: EnterpriseDashboardProps) {
  const overview = useQuery(overviewQuery(enterpriseId));
  if (overview.isError && !overview.data) {
    return (
      <>
        {before}
        <QueryError error={overview.error} onRetry={() => void overview.refetch()} />
      </>
    );
  }
  if (!overview.data) return <PageLoader />;
  const data = overview.data;
  return (
    <>
      {before}
      <PageHeader
        title={data.enterprise.name}
        description={
          audience === "enterprise"
            ? `Your organization's connection to Microsoft Teams, provided by ${data.enterprise.resellerName}.`
            : `Customer of ${data.enterprise.resellerName}. What the enterprise has done so far, and what is left.`
        }
        actions={
          <Group gap="md" wrap="wrap">
            <Group gap={6} wrap="nowrap">
              <Text size="sm" c="dimmed">
                Status
              </Text>
              <StatusBadge status={data.enterprise.status} />
            </Group>
            <Group gap={6} wrap="nowrap">
              <Text size="sm" c="dimmed">
                Management consent
              </Text>
              <ConsentBadge state={data.managementConsent.state} />
            </Group>
          </Group>
        }
      />
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Stack gap="lg">
            <ActionItems data={data} audience={audience} />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Stack gap="lg">
            <UserSync data={data} audience={audience} />
            {aside}
            <Connection data={data} />
          </Stack>
        </Grid.Col>
        {data.enterprise.tenantId ? (
          <Grid.Col span={12}>
            <DirectRoutingCard enterpriseId={enterpriseId} />
          </Grid.Col>
        ) : null}
        <Grid.Col span={12}>
          <RecentActivity enterpriseId={enterpriseId} audience={audience} />
        </Grid.Col>
      </Grid>
    </>
  );
}

function ActionItems({
  data,
  audience,
}: {
  data: EnterpriseOverview;
  audience: DashboardAudience;
}) {
  return (
    <Card title="Action items">
      {data.actionItems.length === 0 ? (
        <Text size="sm" c="dimmed">
          Nothing to do right now.
        </Text>
      ) : (
        <Stack gap={0} component="ul" m={0} p={0} style={{ listStyle: "none" }}>
          {data.actionItems.map((item, index) => (
            <Group
              key={item.id}
              component="li"
              align="flex-start"
              wrap="nowrap"
              gap="md"
              py="sm"
              style={index > 0 ? { borderTop: "1px solid var(--mantine-color-gray-2)" } : undefined}
            >
              <div style={{ width: 84, flexShrink: 0 }}>
                <SmallBadge color={itemStyles[item.state].color}>
                  {itemStyles[item.state].label}
                </SmallBadge>
              </div>
              <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
                <Text fw={500} size="sm">
                  {item.title}
                </Text>
                <Text size="sm" c="dimmed">
                  {item.detail}
                </Text>
                <ItemActions item={item} data={data} audience={audience} />
              </Stack>
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  );
}

/** The buttons and links an action item offers, by what the viewer may do. */
function ItemActions({
  item,
  data,
  audience,
}: {
  item: ActionItem;
  data: EnterpriseOverview;
  audience: DashboardAudience;
}) {
  const consent = useSetManagementConsent(data.enterprise.id);
  const retryRole = useRetryTeamsAdminRole(data.enterprise.id);
  const provider = data.enterprise.resellerName;
  const change = (grant: boolean) =>
    consent.mutate(grant, {
      onSuccess: () =>
        notifications.show({
          color: "teal",
          message: grant ? "Management consent granted" : "Management consent revoked",
        }),
      onError: (error) =>
        notifications.show({
          color: "red",
          title: grant ? "Consent not granted" : "Consent not revoked",
          message: failureText(error),
        }),
    });

  if (item.id === "management_consent") {
    const canGrant = data.abilities.includes("management_consent.grant");
    const canRevoke = data.abilities.includes("management_consent.revoke");
    if (!canGrant && !canRevoke) return null;
    return (
      <Group gap="sm" mt={4}>
        {canGrant ? (
          <Button
            size="xs"
            loading={consent.isPending}
            onClick={() =>
              confirmAction({
                title: "Grant management consent?",
                message: (
                  <Stack gap="xs">
                    <Text size="sm">
                      {provider}, your service provider, will be allowed to manage{" "}
                      {data.enterprise.name} in Teamgate on your behalf: choose the user groups to
                      sync, sync your users and set up their Teams phone numbers.
                    </Text>
                    <Text size="sm">
                      Nothing changes in Microsoft 365 until they act, every action is recorded in
                      the activity list, and you can revoke the consent at any time.
                    </Text>
                  </Stack>
                ),
                confirmLabel: "Grant consent",
                onConfirm: () => change(true),
              })
            }
          >
            Grant consent
          </Button>
        ) : null}
        {canRevoke ? (
          <Button
            size="xs"
            variant="default"
            loading={consent.isPending}
            onClick={() =>
              confirmAction({
                title: "Revoke management consent?",
                message: `${provider} will no longer be able to manage ${data.enterprise.name} on your behalf. They keep read access to its registration and sync state.`,
                confirmLabel: "Revoke consent",
                danger: true,
                onConfirm: () => change(false),
              })
            }
          >
            Revoke consent
          </Button>
        ) : null}
      </Group>
    );
  }
  if (
    item.id === "microsoft_permissions" &&
    data.abilities.includes("microsoft_permissions.grant")
  ) {
    return <GrantPermissionsButton enterpriseId={data.enterprise.id} />;
  }
  if (item.id === "teams_admin_role" && data.abilities.includes("teams_admin_role.retry")) {
    return (
      <Group gap="sm" mt={4}>
        <Button
          size="xs"
          variant="default"
          loading={retryRole.isPending}
          onClick={() =>
            retryRole.mutate(undefined, {
              onSuccess: () =>
                notifications.show({ color: "teal", message: "The role assignment is retrying" }),
              onError: (error) =>
                notifications.show({
                  color: "red",
                  title: "Could not retry",
                  message: failureText(error),
                }),
            })
          }
        >
          Retry role assignment
        </Button>
      </Group>
    );
  }
  if (item.id === "teams_push" && data.abilities.includes("users.teams_push")) {
    return <PushToTeamsButton enterpriseId={data.enterprise.id} />;
  }
  if (item.id === "sync_groups" && audience === "enterprise") {
    return (
      <Anchor component={Link} to="/enterprise/groups" size="sm">
        Manage user groups
      </Anchor>
    );
  }
  return null;
}

/** "Push to Teams": every user waiting for an enterprise admin, or failed, is pushed again. */
function PushToTeamsButton({ enterpriseId }: { enterpriseId: string }) {
  const push = usePushWaitingToTeams(enterpriseId);
  return (
    <Group gap="sm" mt={4}>
      <Button
        size="xs"
        loading={push.isPending}
        onClick={() =>
          push.mutate(undefined, {
            onSuccess: ({ queued }) =>
              notifications.show({
                color: "teal",
                message:
                  queued === 1 ? "1 user queued for Teams" : `${queued} users queued for Teams`,
              }),
            onError: (error) =>
              notifications.show({
                color: "red",
                title: "Could not push to Teams",
                message: failureText(error),
              }),
          })
        }
      >
        Push to Teams
      </Button>
    </Group>
  );
}

/**
 * "Grant the new permissions": leaves for Microsoft's admin consent for the tenant, where a Global
 * Administrator accepts; the browser comes back to this dashboard. Busy until the browser is gone.
 */
function GrantPermissionsButton({ enterpriseId }: { enterpriseId: string }) {
  const start = useStartPermissionsConsent(enterpriseId);
  const [leaving, setLeaving] = useState(false);
  return (
    <Group gap="sm" mt={4}>
      <Button
        size="xs"
        leftSection={<IconMicrosoft />}
        loading={start.isPending || leaving}
        onClick={() =>
          start.mutate(undefined, {
            onSuccess: ({ url }) => {
              setLeaving(true);
              window.location.assign(url);
            },
            onError: (error) =>
              notifications.show({
                color: "red",
                title: "Could not start the consent",
                message: failureText(error),
              }),
          })
        }
      >
        Grant the new permissions
      </Button>
    </Group>
  );
}

function Counters({ counters }: { counters: UserSyncCounters }) {
  return (
    <Text size="sm">
      {counters.seen} seen · {counters.created} added · {counters.updated} updated ·{" "}
      {counters.removed} removed
    </Text>
  );
}

function UserSync({ data, audience }: { data: EnterpriseOverview; audience: DashboardAudience }) {
  const syncNow = useSyncNow(data.enterprise.id);
  const sync = data.userSync;
  const busy = isSyncBusy(sync.status);
  const canSync = data.abilities.includes("users.sync");
  const last = sync.lastRun;
  const style = syncStyles[sync.status];

  return (
    <Card
      title="User sync"
      actions={
        canSync ? (
          <Button
            size="xs"
            variant="default"
            loading={syncNow.isPending}
            disabled={busy}
            onClick={() =>
              syncNow.mutate(undefined, {
                onError: (error) =>
                  notifications.show({
                    color: "red",
                    title: "Sync not started",
                    message: failureText(error),
                  }),
              })
            }
          >
            Sync now
          </Button>
        ) : null
      }
    >
      <Stack gap="md">
        <Group gap="sm" aria-live="polite">
          <Text size="sm" c="dimmed">
            Sync status
          </Text>
          <SmallBadge color={style.color}>{style.label}</SmallBadge>
          {busy ? <Loader size="xs" aria-hidden="true" /> : null}
        </Group>
        {busy ? (
          <Stack gap={2}>
            <Text size="sm" fw={500}>
              {sync.status === "queued" ? "Waiting to start…" : "Syncing users…"}
            </Text>
            {sync.currentRun ? <Counters counters={sync.currentRun.counters} /> : null}
          </Stack>
        ) : null}
        <Fact label="Last sync">
          {last ? (
            <Stack gap={2}>
              <Group gap="xs">
                <SmallBadge
                  color={
                    last.status === "failed" ? "red" : last.status === "running" ? "blue" : "teal"
                  }
                >
                  {last.status === "succeeded"
                    ? "Succeeded"
                    : last.status === "failed"
                      ? "Failed"
                      : "Running"}
                </SmallBadge>
                <Text size="sm">
                  {formatDateTime(last.finishedAt ?? last.startedAt)} ({triggers[last.trigger]})
                </Text>
              </Group>
              <Counters counters={last.counters} />
              {last.error ? (
                <Text size="sm" c="red">
                  {last.error}
                </Text>
              ) : null}
            </Stack>
          ) : (
            <Text size="sm" c="dimmed">
              No sync has finished yet.
            </Text>
          )}
        </Fact>
        {sync.status === "failed" && sync.lastError && sync.lastError !== last?.error ? (
          <Alert color="red" variant="light" title="The last sync failed">
            {sync.lastError}
          </Alert>
        ) : null}
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
          <Fact label="Users">
            <Text fw={600}>{sync.userCounts.total}</Text>
          </Fact>
          <Fact label="Teams">
            <Text fw={600}>{sync.userCounts.teams}</Text>
          </Fact>
          <Fact label="Teams Phone">
            <Text fw={600}>{sync.userCounts.teamsPhone}</Text>
          </Fact>
          <Fact label="Removed">
            <Text fw={600}>{sync.userCounts.removed}</Text>
          </Fact>
        </SimpleGrid>
        {sync.nextDueAt ? (
          <Text size="xs" c="dimmed">
            Next scheduled sync: {formatDateTime(sync.nextDueAt)}
          </Text>
        ) : null}
        {audience === "enterprise" ? (
          <Anchor component={Link} to="/enterprise/users" size="sm">
            View synced users <IconArrowRight size={14} />
          </Anchor>
        ) : null}
      </Stack>
    </Card>
  );
}

function Connection({ data }: { data: EnterpriseOverview }) {
  const e = data.enterprise;
  const role = data.teamsAdminRole;
  const consent = data.managementConsent;
  return (
    <Card title="Microsoft 365 connection">
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
        <Fact label="Registration">
          <Group gap="xs">
            <StatusBadge status={e.status} />
            {e.registeredAt ? <Text size="sm">{formatDateTime(e.registeredAt)}</Text> : null}
          </Group>
        </Fact>
        <Fact label="Microsoft 365 organization">
          {e.tenantId ? (
            <Stack gap={0}>
              <Text size="sm">{e.tenantName ?? "—"}</Text>
              <Text size="xs" c="dimmed" ff="monospace" style={{ wordBreak: "break-all" }}>
                {e.tenantId}
              </Text>
            </Stack>
          ) : (
            <Text size="sm" c="dimmed">
              Not registered yet
            </Text>
          )}
        </Fact>
        <Fact label="Teams admin role">
          <Stack gap={4}>
            <Text size="sm">{role ? roleStates[role.status] : "Not assigned yet"}</Text>
            {role ? <WorkflowSteps run={role} label="Steps of the Teams admin role" /> : null}
          </Stack>
        </Fact>
        <Fact label="Management consent">
          <Stack gap={2}>
            <div>
              <ConsentBadge state={consent.state} />
            </div>
            {consent.grantedAt ? (
              <Text size="xs" c="dimmed" style={{ overflowWrap: "anywhere" }}>
                {formatDateTime(consent.grantedAt)}
                {consent.grantedBy ? ` by ${consent.grantedBy}` : ""}
              </Text>
            ) : null}
          </Stack>
        </Fact>
      </SimpleGrid>
      {data.grantedPermissions.length > 0 ? (
        <Fact label="Permissions granted">
          <Text size="xs" c="dimmed" mt={4} style={{ wordBreak: "break-word" }}>
            {data.grantedPermissions.join(", ")}
          </Text>
        </Fact>
      ) : null}
    </Card>
  );
}

function RecentActivity({
  enterpriseId,
  audience,
}: {
  enterpriseId: string;
  audience: DashboardAudience;
}) {
  const activity = useQuery(activityQuery(enterpriseId, 1, 10));
  const link =
    audience === "enterprise" ? (
      <Anchor component={Link} to="/enterprise/activity" size="sm">
        All activity
      </Anchor>
    ) : (
      <Anchor component={Link} to="/audit" size="sm">
        Audit log
      </Anchor>
    );
  return (
    <Stack gap="sm" component="section" aria-label="Recent activity">
      <Group justify="space-between">
        <Title order={2} fz="h4">
          Recent activity
        </Title>
        {link}
      </Group>
      {activity.isError ? (
        <QueryError error={activity.error} onRetry={() => void activity.refetch()} />
      ) : null}
      <ActivityTable
        label="Recent activity"
        rows={activity.data?.items}
        loading={activity.isPending}
      />
    </Stack>
  );
}
