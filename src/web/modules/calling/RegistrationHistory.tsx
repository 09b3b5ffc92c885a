import { Center, EmptyState, Loader, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { maxRegistrationHistory } from "../../../shared/contracts/calling.ts";
import { formatDateTime } from "../../components/format.ts";
import { IconPhone } from "../../components/icons.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { Card } from "../enterprise-portal/DashboardCard.tsx";
import { RegistrationBadge } from "./CallingBadges.tsx";
import { registrationHistoryQuery } from "./calling.api.ts";

/**
 * A PBX user's registration history (SPEC §2.6): each change the gateway reported, newest first,
 * with the PBX's SIP code and reason for a failure, the reporting node and the time.
 */
export function RegistrationHistoryCard({
  enterpriseId,
  userId,
}: {
  enterpriseId: string;
  userId: string;
}) {
  const history = useQuery(registrationHistoryQuery(enterpriseId, userId));
  return (
    <Card title="Registration history">
      {history.isPending ? (
        <Center py="md">
          <Loader size="sm" aria-label="Loading the registration history" />
        </Center>
      ) : history.isError ? (
        <QueryError error={history.error} onRetry={() => void history.refetch()} />
      ) : history.data.items.length === 0 ? (
        <EmptyState
          icon={<IconPhone size={28} />}
          withIndicatorBackground
          title="No registration yet"
          description="A gateway node of the user's voice route registers the device to the PBX; each change it reports (registered, failed, unregistered) appears here."
        />
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table striped withTableBorder captionSide="top">
            <Table.Caption>
              Changes reported by the gateway, newest first (the last {maxRegistrationHistory} are
              kept)
            </Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Time</Table.Th>
                <Table.Th scope="col">State</Table.Th>
                <Table.Th scope="col">SIP response</Table.Th>
                <Table.Th scope="col">Gateway node</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {history.data.items.map((event) => (
                <Table.Tr key={event.id}>
                  <Table.Td>
                    <time dateTime={event.at}>{formatDateTime(event.at)}</time>
                  </Table.Td>
                  <Table.Td>
                    <RegistrationBadge state={event.state} />
                  </Table.Td>
                  <Table.Td>
                    {event.code !== null || event.reason ? (
                      <Text size="sm" style={{ overflowWrap: "anywhere" }}>
                        {event.code !== null ? `SIP ${event.code}` : "Error"}
                        {event.reason ? ` ${event.reason}` : ""}
                      </Text>
                    ) : (
                      <Text size="sm" c="dimmed">
                        —
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{event.node.name}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}
