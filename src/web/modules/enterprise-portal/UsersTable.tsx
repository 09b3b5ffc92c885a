import { Badge, EmptyState, Select, Stack, Switch, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import {
  UserCallingFilter,
  UserLicenceFilter,
  type UserSummary,
} from "../../../shared/contracts/users.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { IconUsers } from "../../components/icons.tsx";
import { ListFooter } from "../../components/ListFooter.tsx";
import { ListToolbar } from "../../components/ListToolbar.tsx";
import { NoMatches } from "../../components/NoMatches.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import {
  CallingStatusBadge,
  RegistrationBadge,
  ServiceBadge,
  TeamsStateBadge,
} from "../calling/CallingBadges.tsx";
import { usersQuery } from "./enterprise-portal.api.ts";
import type { UsersSearch } from "./users-search.ts";

const anyLicence = "any";
const licenceOptions: { value: string; label: string }[] = [
  { value: anyLicence, label: "Any licence" },
  { value: "teams", label: "Teams" },
  { value: "teams_phone", label: "Teams Phone" },
  { value: "none", label: "No Teams licence" },
];

const anyCalling = "any";
const callingOptions: { value: string; label: string }[] = [
  { value: anyCalling, label: "Any" },
  { value: "configured", label: "Configured" },
  { value: "not_configured", label: "Not configured" },
  { value: "disabled", label: "Disabled" },
  { value: "deleted", label: "Deleted" },
];

interface UsersTableProps {
  enterpriseId: string;
  search: UsersSearch;
  onSearchChange(patch: UsersSearch): void;
  /** What the empty state offers while no user has been synced (a link, a Sync now button). */
  emptyActions?: ReactNode;
  /** The user's name as a link to its page (each audience routes it its own way). */
  renderName(user: UserSummary): ReactNode;
}

function Dash() {
  return (
    <Text size="sm" c="dimmed">
      —
    </Text>
  );
}

function Licences({ user }: { user: UserSummary }) {
  const held = [
    user.teamsLicensed ? "Teams" : null,
    user.teamsPhoneLicensed ? "Teams Phone" : null,
  ];
  const names = held.filter((name) => name !== null);
  if (names.length === 0)
    return (
      <Text size="sm" c="dimmed">
        None
      </Text>
    );
  return (
    <Stack gap={4} align="flex-start">
      {names.map((name) => (
        <Badge
          key={name}
          color="blue"
          variant="light"
          radius="sm"
          style={{ minWidth: "max-content" }}
        >
          {name}
        </Badge>
      ))}
    </Stack>
  );
}

function UserStatus({ user }: { user: UserSummary }) {
  if (user.removedAt) {
    return (
      <Badge color="gray" variant="light" radius="sm" style={{ minWidth: "max-content" }}>
        Removed
      </Badge>
    );
  }
  if (!user.accountEnabled) {
    return (
      <Badge color="yellow" variant="light" radius="sm" style={{ minWidth: "max-content" }}>
        Sign-in blocked
      </Badge>
    );
  }
  return (
    <Badge color="teal" variant="light" radius="sm" style={{ minWidth: "max-content" }}>
      Active
    </Badge>
  );
}

/**
 * The synced Microsoft 365 users of an enterprise with their calling configuration in brief:
 * search, licence and calling filters, removed users on request, paging. The search lives with the page that shows the table (its URL).
 */
export function UsersTable({
  enterpriseId,
  search,
  onSearchChange,
  emptyActions,
  renderName,
}: UsersTableProps) {
  const list = useQuery(usersQuery(enterpriseId, search));
  const filtered = Boolean(search.q || search.licence || search.calling || search.removed);

  return (
    <Stack gap={0}>
      <ListToolbar
        search={search.q ?? ""}
        searchLabel="Search users"
        onSearchChange={(q) => onSearchChange({ q: q || undefined, page: undefined })}
        searchPlaceholder="Name, sign-in name or e-mail"
      >
        <Select
          label="Licence"
          data={licenceOptions}
          value={search.licence ?? anyLicence}
          onChange={(value) => {
            const licence = UserLicenceFilter.safeParse(value);
            onSearchChange({
              licence: licence.success ? licence.data : undefined,
              page: undefined,
            });
          }}
          allowDeselect={false}
          w={{ base: "100%", sm: 200 }}
        />
        <Select
          label="Calling"
          data={callingOptions}
          value={search.calling ?? anyCalling}
          onChange={(value) => {
            const calling = UserCallingFilter.safeParse(value);
            onSearchChange({
              calling: calling.success ? calling.data : undefined,
              page: undefined,
            });
          }}
          allowDeselect={false}
          w={{ base: "100%", sm: 180 }}
        />
        <Switch
          label="Show removed users"
          checked={Boolean(search.removed)}
          onChange={(event) =>
            onSearchChange({ removed: event.currentTarget.checked || undefined, page: undefined })
          }
          mb={8}
        />
      </ListToolbar>
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      <DataTable<UserSummary>
        label="Users"
        rows={list.data?.items}
        loading={list.isPending}
        rowKey={(u) => u.id}
        minWidth={1080}
        columns={[
          {
            header: "Name",
            render: (u) => (
              <Stack gap={0}>
                {renderName(u)}
                <Text size="xs" c="dimmed" style={{ wordBreak: "break-all" }}>
                  {u.userPrincipalName}
                </Text>
                {u.mail && u.mail.toLowerCase() !== u.userPrincipalName.toLowerCase() ? (
                  <Text size="xs" c="dimmed" style={{ wordBreak: "break-all" }}>
                    {u.mail}
                  </Text>
                ) : null}
              </Stack>
            ),
          },
          { header: "Licences", render: (u) => <Licences user={u} /> },
          { header: "Account", render: (u) => <UserStatus user={u} /> },
          {
            header: "Calling",
            render: (u) =>
              u.calling ? (
                <Stack gap={4} align="flex-start">
                  <ServiceBadge service={u.calling.service} />
                  <CallingStatusBadge status={u.calling.status} />
                </Stack>
              ) : (
                <Text size="sm" c="dimmed">
                  Not configured
                </Text>
              ),
          },
          {
            header: "Phone number",
            nowrap: true,
            render: (u) => (u.calling ? <Text size="sm">{u.calling.phoneNumber}</Text> : <Dash />),
          },
          {
            header: "SIP user",
            render: (u) =>
              u.calling?.sipUser ? (
                <Text size="sm" style={{ wordBreak: "break-all" }}>
                  {u.calling.sipUser}
                </Text>
              ) : (
                <Dash />
              ),
          },
          {
            header: "Teams provisioning",
            render: (u) =>
              u.calling ? <TeamsStateBadge state={u.calling.teamsState} /> : <Dash />,
          },
          {
            header: "PBX registration",
            render: (u) =>
              u.calling?.registrationState ? (
                <RegistrationBadge state={u.calling.registrationState} />
              ) : (
                <Dash />
              ),
          },
        ]}
        empty={
          filtered ? (
            <NoMatches
              what="users"
              onClear={() =>
                onSearchChange({
                  q: undefined,
                  licence: undefined,
                  calling: undefined,
                  removed: undefined,
                  page: undefined,
                })
              }
            />
          ) : (
            <EmptyState
              icon={<IconUsers size={28} />}
              withIndicatorBackground
              title="No users synced yet"
              description="Users appear here once the first user sync has run. A sync starts after the user groups are chosen, every few hours, and on request."
            >
              {emptyActions ? <EmptyState.Actions>{emptyActions}</EmptyState.Actions> : null}
            </EmptyState>
          )
        }
      />
      <ListFooter list={list.data} onPageChange={(page) => onSearchChange({ page })} />
    </Stack>
  );
}
