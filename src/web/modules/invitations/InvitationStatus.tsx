import { Stack, Text } from "@mantine/core";
import type { InvitationSummary } from "../../../shared/contracts/common.ts";
import { formatDateTime } from "../../components/format.ts";
import { StatusBadge } from "../../components/StatusBadge.tsx";

/** What happened to the invitation e-mail: queued, sent, failed (with the reason) or expired. */
export function InvitationMailState({ invitation }: { invitation: InvitationSummary }) {
  if (invitation.usedAt) {
    return (
      <Text size="xs" c="dimmed">
        Invitation accepted {formatDateTime(invitation.usedAt)}
      </Text>
    );
  }
  if (new Date(invitation.expiresAt).getTime() < Date.now()) {
    return (
      <Text size="xs" c="orange.8">
        Invitation expired {formatDateTime(invitation.expiresAt)}; resend it
      </Text>
    );
  }
  switch (invitation.mailState) {
    case "queued":
      return (
        <Text size="xs" c="dimmed">
          Invitation e-mail queued
        </Text>
      );
    case "sent":
      return (
        <Text size="xs" c="dimmed">
          Invitation sent {formatDateTime(invitation.sentAt)}
        </Text>
      );
    case "failed":
      return (
        <Text size="xs" c="red.8">
          Invitation e-mail failed{invitation.mailError ? `: ${invitation.mailError}` : ""}
        </Text>
      );
  }
}

/** The status badge, plus the invitation's mail state while the record is still invited. */
export function StatusWithInvitation({
  status,
  invitation,
}: {
  status: string;
  invitation: InvitationSummary | null;
}) {
  return (
    <Stack gap={4} align="flex-start">
      <StatusBadge status={status} />
      {status === "invited" && invitation ? <InvitationMailState invitation={invitation} /> : null}
    </Stack>
  );
}
