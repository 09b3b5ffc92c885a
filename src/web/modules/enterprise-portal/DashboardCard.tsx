import { Group, Paper, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { isApiError } from "../../api/client.ts";

/** What a failed dashboard action tells the person: the API's message, or a generic one. */
export function failureText(error: unknown): string {
  return isApiError(error) ? error.message : "Something unexpected happened. Try again.";
}

/** A titled section of the dashboard, a landmark named by its title. */
export function Card({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Paper withBorder radius="md" p="lg" component="section" aria-label={title}>
      <Group justify="space-between" align="center" mb="md" gap="sm">
        <Title order={2} fz="h4">
          {title}
        </Title>
        {actions}
      </Group>
      {children}
    </Paper>
  );
}

/** One labelled fact of a card ("Registration", "Billing reference"…). */
export function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase">
        {label}
      </Text>
      <div>{children}</div>
    </Stack>
  );
}
