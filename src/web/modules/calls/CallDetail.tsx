import { Badge, Button, Code, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { type ReactNode, useId, useState } from "react";
import type { CallView, SipMessageView } from "../../../shared/contracts/calls.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { formatDateTime } from "../../components/format.ts";
import { IconArrowLeft, IconArrowRight } from "../../components/icons.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { PageLoader } from "../../components/PageLoader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { callColumns } from "./CallsList.tsx";
import { callQuery } from "./calls.api.ts";
import { formatClock } from "./calls.format.ts";

/** One SIP message: time, leg, direction, first line; its full text on demand. */
function SipMessage({ message }: { message: SipMessageView }) {
  const [isOpen, setOpen] = useState(false);
  const textId = useId();
  const isOut = message.direction === "out";
  const direction = isOut ? "sent" : "received";
  return (
    <Paper withBorder radius="sm" p="xs">
      <Group gap="sm" wrap="nowrap" align="center">
        <Text size="sm" ff="monospace" c="dimmed" style={{ whiteSpace: "nowrap" }}>
          {formatClock(message.at)}
        </Text>
        <Badge variant="light" radius="sm" color={message.leg === "pbx" ? "grape" : "blue"}>
          {message.leg}
        </Badge>
        <Group gap={4} wrap="nowrap" c={isOut ? "teal" : "indigo"}>
          {isOut ? <IconArrowRight size={16} /> : <IconArrowLeft size={16} />}
          <Text size="xs">{isOut ? "Sent" : "Received"}</Text>
        </Group>
        <Text size="sm" ff="monospace" style={{ flex: 1, overflowWrap: "anywhere" }}>
          {message.firstLine}
        </Text>
        <Button
          size="compact-xs"
          variant="subtle"
          aria-expanded={isOpen}
          aria-controls={textId}
          aria-label={`${isOpen ? "Hide" : "Show"} the full message ${direction} at ${formatClock(message.at)}: ${message.firstLine}`}
          onClick={() => setOpen((open) => !open)}
        >
          {isOpen ? "Hide" : "Show"}
        </Button>
      </Group>
      <Text size="xs" c="dimmed" mt={4}>
        {message.source} → {message.destination}
      </Text>
      {isOpen ? (
        <Code
          block
          id={textId}
          mt="xs"
          style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}
        >
          {message.message}
        </Code>
      ) : null}
    </Paper>
  );
}

interface CallDetailProps {
  enterpriseId: string;
  callId: string;
  /** The link back to the list, above the title. */
  back: ReactNode;
}

/** A call (SPEC §2.7): its legs with their outcome, and its SIP messages in time order. */
export function CallDetail({ enterpriseId, callId, back }: CallDetailProps) {
  const call = useQuery(callQuery(enterpriseId, callId));
  if (call.isPending) return <PageLoader />;
  if (call.isError)
    return (
      <>
        {back}
        <QueryError error={call.error} onRetry={() => void call.refetch()} />
      </>
    );
  const { legs, messages } = call.data;
  const first = legs[0];
  return (
    <>
      {back}
      <PageHeader
        title={
          first ? `Call from ${first.caller || "unknown"} to ${first.callee || "unknown"}` : "Call"
        }
        description={
          <>
            {first ? `${formatDateTime(first.startedAt)} · ` : null}Call-ID <Code>{callId}</Code>
          </>
        }
      />
      <Title order={2} fz="h4" mb="sm">
        Legs
      </Title>
      <DataTable<CallView>
        label="Legs"
        rows={legs}
        loading={false}
        rowKey={(l) => l.id}
        minWidth={1100}
        columns={[
          { header: "Leg", render: (l) => l.leg },
          ...callColumns((l) => formatDateTime(l.startedAt)),
          { header: "User", render: (l) => l.userName ?? (l.userId ? "Removed user" : "—") },
        ]}
        empty={null}
      />
      <Title order={2} fz="h4" mt="xl" mb="sm">
        SIP messages
      </Title>
      {messages.length === 0 ? (
        <Text size="sm" c="dimmed">
          No SIP messages were kept for this call.
        </Text>
      ) : (
        <Stack
          gap="xs"
          component="ol"
          p={0}
          style={{ listStyle: "none" }}
          aria-label="SIP messages"
        >
          {messages.map((m) => (
            <li key={`${m.leg}-${m.seq}`}>
              <SipMessage message={m} />
            </li>
          ))}
        </Stack>
      )}
    </>
  );
}
