import { Badge, Group, Text } from "@mantine/core";
import { type Service, serviceLabels } from "../../shared/contracts/common.ts";

/**
 * The services an organization or enterprise has ("PBX Connector", "SIP Trunk"). In a narrow
 * table cell the chips wrap onto another line; they never shrink, so their names are never cut.
 */
export function ServiceBadges({ services }: { services: Service[] }) {
  if (services.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  }
  return (
    <Group gap={4}>
      {services.map((s) => (
        <Badge
          key={s}
          variant="outline"
          color="gray"
          radius="sm"
          tt="none"
          // Mantine clips a badge's text to the box; in a squeezed table column that box shrinks
          // below the text. Unclipped, the text itself sets how narrow the column may get.
          styles={{
            root: { flexShrink: 0, overflow: "visible" },
            label: { overflow: "visible", textOverflow: "clip" },
          }}
        >
          {serviceLabels[s]}
        </Badge>
      ))}
    </Group>
  );
}
