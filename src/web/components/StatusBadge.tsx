import { Badge } from "@mantine/core";

const styles: Record<string, { color: string; label: string }> = {
  invited: { color: "yellow", label: "Invited" },
  active: { color: "teal", label: "Active" },
  registered: { color: "blue", label: "Registered" },
  disabled: { color: "gray", label: "Disabled" },
  revoked: { color: "red", label: "Revoked" },
};

/** The lifecycle status of an organization, enterprise, region… as a coloured badge. */
export function StatusBadge({ status }: { status: string }) {
  const style = styles[status] ?? { color: "gray", label: status };
  return (
    // At least as wide as its label: in an auto-layout table, a badge (whose label may ellipsize)
    // would otherwise let its column shrink until "Registered" reads "REGISTE…".
    <Badge color={style.color} variant="light" radius="sm" style={{ minWidth: "max-content" }}>
      {style.label}
    </Badge>
  );
}

/** Options for a status filter, in lifecycle order. */
export function statusOptions(statuses: readonly string[]): { value: string; label: string }[] {
  return statuses.map((s) => ({ value: s, label: styles[s]?.label ?? s }));
}
