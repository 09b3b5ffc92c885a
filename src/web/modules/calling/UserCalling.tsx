import {
  Alert,
  Badge,
  Button,
  EmptyState,
  Group,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQuery } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import type { CallingAbility, CallingView } from "../../../shared/contracts/calling.ts";
import type { UserSummary } from "../../../shared/contracts/users.ts";
import { confirmAction } from "../../components/confirm.tsx";
import { formatDateTime } from "../../components/format.ts";
import { IconAlertCircle, IconPhone } from "../../components/icons.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { PageLoader } from "../../components/PageLoader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { Card, Fact, failureText } from "../enterprise-portal/DashboardCard.tsx";
import { overviewQuery } from "../enterprise-portal/enterprise-portal.api.ts";
import {
  CallingStatusBadge,
  RegistrationBadge,
  ServiceBadge,
  TeamsStateBadge,
} from "./CallingBadges.tsx";
import { ConfigureUserModal } from "./ConfigureUserModal.tsx";
import {
  type CallingAudience,
  type CallingSwitch,
  useDeleteCalling,
  usePushUserToTeams,
  useRestoreCalling,
  userDetailQuery,
  useSetCallingSwitch,
} from "./calling.api.ts";
import { RegistrationHistoryCard } from "./RegistrationHistory.tsx";
import { SipPasswordModal } from "./SipPasswordModal.tsx";

interface UserCallingProps {
  enterpriseId: string;
  userId: string;
  audience: CallingAudience;
  /** A link back to where the person came from (the Users list). */
  back: ReactNode;
}

/**
 * One user's page (SPEC §2.6): licences, the calling configuration and its actions, PBX
 * registration (with its history, for a PBX user) and Teams provisioning. Buttons follow the server's abilities; while the push to
 * Teams is under way the page polls, so "Pushing…" turns "In Teams" by itself.
 */
export function UserCalling({ enterpriseId, userId, audience, back }: UserCallingProps) {
  const detail = useQuery(userDetailQuery(enterpriseId, userId));
  if (detail.isPending) return <PageLoader />;
  if (detail.isError)
    return (
      <>
        {back}
        <QueryError error={detail.error} onRetry={() => void detail.refetch()} />
      </>
    );
  const { user, calling, abilities } = detail.data;
  return (
    <>
      {back}
      <PageHeader title={user.displayName} description={user.userPrincipalName} />
      <Group gap="xs" mt={-8} mb="lg">
        <Badge color={user.teamsLicensed ? "blue" : "gray"} variant="light" radius="sm">
          {user.teamsLicensed ? "Teams" : "No Teams licence"}
        </Badge>
        <Badge color={user.teamsPhoneLicensed ? "blue" : "gray"} variant="light" radius="sm">
          {user.teamsPhoneLicensed ? "Teams Phone" : "No Teams Phone licence"}
        </Badge>
        {user.removedAt ? (
          <Badge color="gray" variant="light" radius="sm">
            Removed from the tenant
          </Badge>
        ) : !user.accountEnabled ? (
          <Badge color="yellow" variant="light" radius="sm">
            Sign-in blocked
          </Badge>
        ) : null}
      </Group>
      <Stack gap="lg">
        <CallingCard
          enterpriseId={enterpriseId}
          audience={audience}
          user={user}
          calling={calling}
          abilities={abilities}
        />
        {calling ? (
          <StatusCard
            enterpriseId={enterpriseId}
            userId={user.id}
            calling={calling}
            abilities={abilities}
          />
        ) : null}
        {calling?.device ? (
          <RegistrationHistoryCard enterpriseId={enterpriseId} userId={user.id} />
        ) : null}
      </Stack>
    </>
  );
}

interface CardProps {
  enterpriseId: string;
  audience: CallingAudience;
  user: UserSummary;
  calling: CallingView | null;
  abilities: CallingAbility[];
}

const switchMessages: Record<CallingSwitch, string> = {
  "disable-calling": "Calling disabled",
  "enable-calling": "Calling enabled",
  disable: "User disabled",
  enable: "User enabled",
};

function CallingCard({ enterpriseId, audience, user, calling, abilities }: CardProps) {
  const [editing, setEditing] = useState(false);
  const [changingPassword, setChangingPassword] = useState(false);
  const setSwitch = useSetCallingSwitch(enterpriseId, user.id);
  const remove = useDeleteCalling(enterpriseId, user.id);
  const restore = useRestoreCalling(enterpriseId, user.id);
  // A provider without the enterprise's management consent only deletes softly (SPEC §2.6).
  const overview = useQuery({ ...overviewQuery(enterpriseId), enabled: audience === "provider" });
  const deletesSoftly =
    audience === "provider" && overview.data?.managementConsent.state !== "granted";
  const may = (ability: CallingAbility) => abilities.includes(ability);
  const report = (message: string) => ({
    onSuccess: () => notifications.show({ color: "teal", message }),
    onError: (error: unknown) => notifications.show({ color: "red", message: failureText(error) }),
  });
  const flip = (change: CallingSwitch) =>
    setSwitch.mutate(
      change,
      report(`${user.displayName}: ${switchMessages[change].toLowerCase()}`),
    );

  const confirmDisableCalling = () =>
    confirmAction({
      title: `Disable calling for ${user.displayName}?`,
      message:
        "Calls to and from Teams through the PBX stop. The configuration, number and SIP user are kept; Enable calling brings them back.",
      confirmLabel: "Disable calling",
      danger: true,
      onConfirm: () => flip("disable-calling"),
    });
  const confirmDisableUser = () =>
    confirmAction({
      title: `Disable ${user.displayName}?`,
      message:
        "The user stops calling and its device is unregistered. Its phone number and extension are kept for it; a disabled user can be enabled again or deleted.",
      confirmLabel: "Disable user",
      danger: true,
      onConfirm: () => flip("disable"),
    });
  const confirmDelete = () =>
    confirmAction({
      title: `Delete ${user.displayName}'s calling configuration?`,
      message: deletesSoftly
        ? "Without the enterprise's management consent the deletion is soft: the user is marked deleted and stays restorable until an enterprise admin next signs in, which removes it from Teams for good and frees its number."
        : "The configuration and device are deleted, the number is freed and the user is removed from Teams calling. This cannot be undone.",
      confirmLabel: "Delete",
      danger: true,
      onConfirm: () =>
        remove.mutate(undefined, {
          onSuccess: (result) =>
            notifications.show({
              color: "teal",
              message: result.soft
                ? `${user.displayName} deleted; restorable until an enterprise admin signs in`
                : `${user.displayName}'s calling configuration deleted`,
            }),
          onError: (error) => notifications.show({ color: "red", message: failureText(error) }),
        }),
    });

  const busy = setSwitch.isPending || remove.isPending || restore.isPending;
  const actions = (
    <Group gap="xs">
      {calling && may("calling.configure") ? (
        <Button variant="default" size="xs" onClick={() => setEditing(true)}>
          Edit
        </Button>
      ) : null}
      {may("calling.change_password") ? (
        <Button variant="default" size="xs" onClick={() => setChangingPassword(true)}>
          Change SIP password
        </Button>
      ) : null}
      {may("calling.disable_calling") ? (
        <Button variant="default" size="xs" disabled={busy} onClick={confirmDisableCalling}>
          Disable calling
        </Button>
      ) : null}
      {may("calling.enable_calling") ? (
        <Button variant="default" size="xs" disabled={busy} onClick={() => flip("enable-calling")}>
          Enable calling
        </Button>
      ) : null}
      {may("calling.disable") ? (
        <Button variant="default" size="xs" disabled={busy} onClick={confirmDisableUser}>
          Disable user
        </Button>
      ) : null}
      {may("calling.enable") ? (
        <Button variant="default" size="xs" disabled={busy} onClick={() => flip("enable")}>
          Enable user
        </Button>
      ) : null}
      {may("calling.delete") ? (
        <Button color="red" variant="light" size="xs" disabled={busy} onClick={confirmDelete}>
          Delete
        </Button>
      ) : null}
      {may("calling.restore") ? (
        <Button
          size="xs"
          loading={restore.isPending}
          onClick={() => restore.mutate(undefined, report(`${user.displayName} restored`))}
        >
          Restore
        </Button>
      ) : null}
    </Group>
  );

  return (
    <Card title="Calling" actions={calling ? actions : null}>
      {calling ? (
        <CallingFacts calling={calling} />
      ) : !user.teamsPhoneLicensed ? (
        <Alert
          color="yellow"
          variant="light"
          icon={<IconAlertCircle />}
          title="No Teams Phone licence"
        >
          {user.displayName} has no Teams Phone licence, so it cannot be configured for calling.
          Assign a Teams Phone licence in Microsoft 365, sync the users, then come back here.
        </Alert>
      ) : (
        <EmptyState
          icon={<IconPhone size={28} />}
          withIndicatorBackground
          title="Not configured for calling"
          description="Configure the user as a PBX user (registered to the PBX as a SIP device) or a trunk user, with a phone number, to let it call through the PBX from Teams."
        >
          {may("calling.configure") ? (
            <EmptyState.Actions>
              <Button onClick={() => setEditing(true)}>Configure for calling</Button>
            </EmptyState.Actions>
          ) : null}
        </EmptyState>
      )}
      <ConfigureUserModal
        opened={editing}
        enterpriseId={enterpriseId}
        audience={audience}
        user={user}
        calling={calling}
        onClose={() => setEditing(false)}
      />
      <SipPasswordModal
        opened={changingPassword}
        enterpriseId={enterpriseId}
        userId={user.id}
        userName={user.displayName}
        onClose={() => setChangingPassword(false)}
      />
    </Card>
  );
}

const callerNameLabels = { TRANSPARENT: "Transparent", OTHER: "Other" } as const;
const forwardedCallerIdLabels = {
  USER_CALLER_ID: "The user's caller ID",
  TRANSPARENT: "Transparent (the original caller)",
} as const;

function Value({ children }: { children: ReactNode }) {
  return (
    <Text size="sm" style={{ overflowWrap: "anywhere" }}>
      {children}
    </Text>
  );
}

/** The configuration as saved (the password only as "stored"). */
function CallingFacts({ calling }: { calling: CallingView }) {
  const isPbx = calling.service === "pbx";
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="md">
      <Fact label="Service">
        <ServiceBadge service={calling.service} />
      </Fact>
      <Fact label="Status">
        <CallingStatusBadge status={calling.status} />
        {calling.deletedAt ? (
          <Text size="xs" c="dimmed">
            Deleted {formatDateTime(calling.deletedAt)}
          </Text>
        ) : calling.disabledAt ? (
          <Text size="xs" c="dimmed">
            Disabled {formatDateTime(calling.disabledAt)}
          </Text>
        ) : null}
      </Fact>
      <Fact label="PBX location">
        <Value>{calling.pbxLocationName}</Value>
      </Fact>
      <Fact label="Voice route (SBC region)">
        <Value>{calling.regionName}</Value>
      </Fact>
      {isPbx ? (
        <Fact label="SIP user">
          <Value>{calling.sipUser ?? "—"}</Value>
        </Fact>
      ) : null}
      <Fact label={isPbx ? "Phone number" : "Phone number (default DID)"}>
        <Value>{calling.phoneNumber}</Value>
      </Fact>
      {isPbx ? null : (
        <Fact label="Forwarded DIDs">
          <Value>{calling.forwardedDids.length ? calling.forwardedDids.join(", ") : "None"}</Value>
        </Fact>
      )}
      <Fact label="Teams voicemail">
        <Value>{calling.teamsVoicemail ? "On" : "Off (PBX voicemail and queues)"}</Value>
      </Fact>
      <Fact label="Default dial plan">
        <Value>{calling.assignDialPlan ? "Assigned" : "Not assigned"}</Value>
      </Fact>
      <Fact label="Caller name">
        <Value>
          {callerNameLabels[calling.callerNamePolicy]}
          {calling.callerNamePolicy === "OTHER" && calling.callerName
            ? `: ${calling.callerName}`
            : ""}
        </Value>
      </Fact>
      <Fact label="Caller ID on forwarded calls">
        <Value>{forwardedCallerIdLabels[calling.forwardedCallerId]}</Value>
      </Fact>
      <Fact label="Tag">
        <Value>{calling.tag ?? "—"}</Value>
      </Fact>
      {calling.device ? (
        <>
          <Fact label="SIP auth ID">
            <Value>{calling.device.sipAuthId}</Value>
          </Fact>
          <Fact label="SIP password">
            <Value>Stored (never shown)</Value>
          </Fact>
        </>
      ) : null}
      <Fact label="Last changed">
        <Value>{formatDateTime(calling.updatedAt)}</Value>
      </Fact>
    </SimpleGrid>
  );
}

function When({ at }: { at: string | null }) {
  return at ? (
    <Text size="xs" c="dimmed">
      {formatDateTime(at)}
    </Text>
  ) : null;
}

/** PBX registration and Teams provisioning, each with its time stamps. */
function StatusCard({
  enterpriseId,
  userId,
  calling,
  abilities,
}: {
  enterpriseId: string;
  userId: string;
  calling: CallingView;
  abilities: CallingAbility[];
}) {
  const push = usePushUserToTeams(enterpriseId, userId);
  const { teams, device } = calling;
  const registration = device?.registration;
  const retry = () =>
    push.mutate(undefined, {
      onSuccess: () => notifications.show({ color: "teal", message: "Pushing to Teams" }),
      onError: (error) => notifications.show({ color: "red", message: failureText(error) }),
    });
  return (
    <Card title="Status">
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xl">
        <Stack gap="sm">
          <Title order={3} fz="h5">
            PBX registration
          </Title>
          {registration ? (
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
              <Fact label="State">
                <RegistrationBadge state={registration.state} />
                <When at={registration.reportedAt} />
              </Fact>
              <Fact label="Last success">
                <Value>
                  {registration.lastRegisteredAt
                    ? formatDateTime(registration.lastRegisteredAt)
                    : "Never"}
                </Value>
              </Fact>
              <div style={{ gridColumn: "1 / -1" }}>
                <Fact label="Last error">
                  {registration.state === "failed" || registration.code !== null ? (
                    <>
                      <Value>
                        {registration.code !== null ? `SIP ${registration.code}` : "Error"}
                        {registration.reason ? ` ${registration.reason}` : ""}
                      </Value>
                      <When at={registration.reportedAt} />
                    </>
                  ) : (
                    <Value>None</Value>
                  )}
                </Fact>
              </div>
            </SimpleGrid>
          ) : (
            <Text size="sm" c="dimmed">
              A trunk user has no device to register: its calls reach the PBX over the trunk.
            </Text>
          )}
        </Stack>
        <Stack gap="sm">
          <Title order={3} fz="h5">
            Teams provisioning
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
            <Fact label="State">
              <TeamsStateBadge state={teams.state} />
              <When at={teams.appliedAt ?? teams.requestedAt} />
            </Fact>
            <Fact label="Number assigned">
              <Value>{teams.number ?? "Not yet"}</Value>
              <When at={teams.numberAssignedAt} />
            </Fact>
            <Fact label="Policy granted">
              <Value>{teams.policyGranted ? "Yes" : "Not yet"}</Value>
              <When at={teams.policyGrantedAt} />
            </Fact>
          </SimpleGrid>
          {teams.state === "waiting" ? (
            <Group gap="sm">
              <Text size="sm" c="dimmed">
                The change reaches Teams once an enterprise admin signs in, or pushes it.
              </Text>
              {abilities.includes("calling.push") && !teams.error ? (
                <Button size="xs" variant="default" loading={push.isPending} onClick={retry}>
                  Push to Teams now
                </Button>
              ) : null}
            </Group>
          ) : null}
          {teams.error ? (
            <Alert color="red" variant="light" icon={<IconAlertCircle />} title="Not in Teams yet">
              <Stack gap="xs" align="flex-start">
                <Text size="sm">{teams.error}</Text>
                {abilities.includes("calling.push") ? (
                  <Button size="xs" loading={push.isPending} onClick={retry}>
                    Retry
                  </Button>
                ) : null}
              </Stack>
            </Alert>
          ) : null}
        </Stack>
      </SimpleGrid>
    </Card>
  );
}
