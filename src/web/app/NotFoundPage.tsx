import { Anchor, Stack, Text, Title } from "@mantine/core";
import { Link } from "@tanstack/react-router";

/** An address the portal does not know. */
export function NotFoundPage() {
  return (
    <Stack gap="sm" py="xl" align="center">
      <Title order={1} fz="h2">
        Page not found
      </Title>
      <Text c="dimmed">There is nothing at this address.</Text>
      <Anchor component={Link} to="/">
        Go to the start page
      </Anchor>
    </Stack>
  );
}
