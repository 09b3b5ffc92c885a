import { Alert, Anchor, Stack, Text, Title } from "@mantine/core";
import { Link } from "@tanstack/react-router";
import { isApiError } from "../../api/client.ts";
import { IconAlertCircle } from "../../components/icons.tsx";

/** A link that cannot be used: missing token, used, expired or replaced by a newer invitation. */
export function InvalidInvitation({ error, signIn }: { error?: unknown; signIn?: boolean }) {
  const gone = !error || isApiError(error, "invitation_invalid") || isApiError(error, "not_found");
  return (
    <Stack gap="lg">
      <Title order={1} fz="h3">
        {gone ? "This invitation link cannot be used" : "Could not open the invitation"}
      </Title>
      <Alert color="red" variant="light" icon={<IconAlertCircle />}>
        {gone ? (
          <Stack gap={6}>
            <Text size="sm">
              {isApiError(error)
                ? error.message
                : "The link is incomplete. Open it from the invitation e-mail again."}
            </Text>
            <Text size="sm">
              If it still does not work, ask whoever invited you to resend the invitation, then use
              the link in the newest e-mail.
            </Text>
          </Stack>
        ) : (
          <Text size="sm">{isApiError(error) ? error.message : "Try again in a moment."}</Text>
        )}
      </Alert>
      {signIn ? (
        <Text size="sm">
          Already activated?{" "}
          <Anchor component={Link} to="/sign-in">
            Sign in
          </Anchor>
        </Text>
      ) : null}
    </Stack>
  );
}
