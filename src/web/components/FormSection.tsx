import { Divider, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";

/** A titled group of fields inside a long form. */
export function FormSection({
  title,
  description,
  children,
  first,
}: {
  title: string;
  description?: ReactNode;
  children: ReactNode;
  first?: boolean;
}) {
  return (
    <Stack gap="md">
      {first ? null : <Divider />}
      <div>
        <Title order={2} fz="h5">
          {title}
        </Title>
        {description ? (
          <Text size="sm" c="dimmed">
            {description}
          </Text>
        ) : null}
      </div>
      {children}
    </Stack>
  );
}
