import { Group, Text, ThemeIcon } from "@mantine/core";

/** The product mark: used in the header and above the sign-in card. */
export function Brand({ size = "md" }: { size?: "md" | "lg" }) {
  return (
    <Group gap={8} wrap="nowrap">
      <ThemeIcon size={size === "lg" ? 36 : 28} radius="md" variant="filled" aria-hidden="true">
        <Text fw={800} fz={size === "lg" ? 20 : 16} lh={1}>
          T
        </Text>
      </ThemeIcon>
      <Text fw={700} fz={size === "lg" ? 22 : 18} c="dark.7">
        Teamgate
      </Text>
    </Group>
  );
}
