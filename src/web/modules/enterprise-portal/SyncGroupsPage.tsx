import {
  Alert,
  Button,
  Checkbox,
  CloseButton,
  Group,
  Paper,
  Skeleton,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import type { SyncGroupsView, SyncGroupView } from "../../../shared/contracts/enterprise-portal.ts";
import { isApiError } from "../../api/client.ts";
import type { FormFailure } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { IconCircleCheck, IconInfo, IconSearch } from "../../components/icons.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { PageLoader } from "../../components/PageLoader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { useEnterpriseSession } from "../auth/session.ts";
import {
  directoryGroupsQuery,
  syncGroupsQuery,
  useUpdateSyncGroups,
} from "./enterprise-portal.api.ts";

const routeApi = getRouteApi("/enterprise/groups");

/**
 * "Manage user groups" (SPEC §3.3): the Microsoft 365 groups whose members Teamgate syncs; none
 * chosen means every user. First seen right after registration, then reachable from the dashboard.
 */
export function SyncGroupsPage() {
  const session = useEnterpriseSession();
  const { registered } = routeApi.useSearch();
  const current = useQuery(syncGroupsQuery(session.enterprise.id));

  return (
    <>
      <PageHeader
        title="Manage user groups"
        description="Choose the Microsoft 365 groups whose members Teamgate syncs and can give Teams phone numbers."
      />
      {registered ? (
        <Alert
          color="teal"
          variant="light"
          icon={<IconCircleCheck />}
          title="Your organization is registered"
          mb="lg"
        >
          {session.enterprise.name} is now connected to Teamgate and your service provider sees it
          as registered. Next, choose which users to sync: pick one or more groups, or save with
          none chosen to sync everyone.
        </Alert>
      ) : null}
      {current.isError ? (
        <QueryError error={current.error} onRetry={() => void current.refetch()} />
      ) : current.data ? (
        <GroupsForm
          enterpriseId={session.enterprise.id}
          initial={current.data}
          firstTime={Boolean(registered) || current.data.chosenAt === null}
        />
      ) : (
        <PageLoader />
      )}
    </>
  );
}

function GroupsForm({
  enterpriseId,
  initial,
  firstTime,
}: {
  enterpriseId: string;
  initial: SyncGroupsView;
  firstTime: boolean;
}) {
  const navigate = useNavigate();
  const save = useUpdateSyncGroups(enterpriseId);
  const [chosen, setChosen] = useState<SyncGroupView[]>(initial.groups);
  const [text, setText] = useState("");
  const [q] = useDebouncedValue(text.trim(), 300);
  const found = useQuery(directoryGroupsQuery(enterpriseId, q));
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const [groupErrors, setGroupErrors] = useState<Record<string, string>>({});

  const isChosen = (id: string) => chosen.some((g) => g.id === id);
  const toggle = (group: SyncGroupView, on: boolean) =>
    setChosen((list) =>
      on
        ? list.some((g) => g.id === group.id)
          ? list
          : [...list, group]
        : list.filter((g) => g.id !== group.id),
    );

  const submit = () => {
    setFailure(null);
    setGroupErrors({});
    save.mutate(
      { groupIds: chosen.map((g) => g.id) },
      {
        onSuccess: () => {
          notifications.show({
            color: "teal",
            message: "User groups saved. A user sync has started.",
          });
          void navigate({ to: "/enterprise" });
        },
        onError: (error) => {
          if (!isApiError(error)) {
            setFailure({ message: "Something unexpected happened. Try again.", details: [] });
            return;
          }
          const byGroup: Record<string, string> = {};
          const details: string[] = [];
          for (const [path, message] of Object.entries(error.fields)) {
            const index = Number(path.split(".")[1]);
            const group = Number.isInteger(index) ? chosen[index] : undefined;
            if (group) {
              byGroup[group.id] = message;
              details.push(`${group.displayName}: ${message}`);
            } else details.push(message);
          }
          setGroupErrors(byGroup);
          setFailure({ message: error.message, details });
        },
      },
    );
  };

  return (
    <Stack gap="lg" maw={760}>
      <FormAlert failure={failure} />
      <Paper withBorder radius="md" p="lg" component="section" aria-labelledby="chosen-groups">
        <Title order={2} fz="h4" id="chosen-groups" mb="sm">
          Chosen groups
        </Title>
        {chosen.length === 0 ? (
          <Alert color="blue" variant="light" icon={<IconInfo />}>
            No group chosen: all users of your organization are synced.
          </Alert>
        ) : (
          <Stack gap="xs" component="ul" m={0} p={0} style={{ listStyle: "none" }}>
            {chosen.map((g) => (
              <Group
                key={g.id}
                component="li"
                justify="space-between"
                wrap="nowrap"
                px="sm"
                py={6}
                style={{
                  border: "1px solid var(--mantine-color-gray-3)",
                  borderRadius: "var(--mantine-radius-md)",
                }}
              >
                <Stack gap={0}>
                  <Text size="sm" fw={500}>
                    {g.displayName}
                  </Text>
                  {groupErrors[g.id] ? (
                    <Text size="xs" c="red">
                      {groupErrors[g.id]}
                    </Text>
                  ) : null}
                </Stack>
                <CloseButton
                  size="sm"
                  aria-label={`Remove ${g.displayName}`}
                  onClick={() => toggle(g, false)}
                />
              </Group>
            ))}
          </Stack>
        )}
        <Text size="sm" c="dimmed" mt="sm">
          Members of the chosen groups are synced. Users who are no longer in any chosen group are
          marked as removed at the next sync.
        </Text>
      </Paper>

      <Paper withBorder radius="md" p="lg" component="section" aria-labelledby="find-groups">
        <Title order={2} fz="h4" id="find-groups" mb="sm">
          Find groups
        </Title>
        <TextInput
          label="Search groups"
          description="The beginning of a group name, as in Microsoft 365."
          leftSection={<IconSearch size={16} />}
          type="search"
          value={text}
          onChange={(event) => setText(event.currentTarget.value)}
          maxLength={100}
          mb="md"
        />
        {found.isError ? (
          <QueryError error={found.error} onRetry={() => void found.refetch()} />
        ) : !found.data ? (
          <Stack gap="xs" aria-busy="true" aria-label="Loading groups">
            <Skeleton height={20} width="50%" />
            <Skeleton height={20} width="40%" />
            <Skeleton height={20} width="45%" />
          </Stack>
        ) : found.data.items.length === 0 ? (
          <Text size="sm" c="dimmed">
            {q ? `No group name starts with “${q}”.` : "Your organization has no groups."}
          </Text>
        ) : (
          <Stack gap="sm" role="group" aria-label="Groups found" aria-busy={found.isFetching}>
            {found.data.items.map((g) => (
              <Checkbox
                key={g.id}
                label={g.displayName}
                description={g.description ?? undefined}
                checked={isChosen(g.id)}
                onChange={(event) =>
                  toggle({ id: g.id, displayName: g.displayName }, event.currentTarget.checked)
                }
              />
            ))}
            {found.data.more ? (
              <Text size="sm" c="dimmed">
                More groups match. Type more of the name to narrow the search.
              </Text>
            ) : null}
          </Stack>
        )}
      </Paper>

      <Group>
        <Button onClick={submit} loading={save.isPending}>
          {firstTime ? "Save and continue" : "Save"}
        </Button>
      </Group>
    </Stack>
  );
}
