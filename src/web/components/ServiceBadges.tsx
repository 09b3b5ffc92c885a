import { Badge, Group, Text } from "@mantine/core";
import { type Service, serviceLabels } from "../../shared/contracts/common.ts";

/** The services an organization or enterprise has ("PBX Connector", "SIP Trunk"). */
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
        <Badge key={s} variant="outline" color="gray" radius="sm" tt="none">
          {serviceLabels[s]}
        </Badge>
      ))}
    </Group>
  );
}
