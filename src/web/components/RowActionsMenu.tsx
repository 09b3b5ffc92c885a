import { ActionIcon, Menu } from "@mantine/core";
import type { ReactNode } from "react";
import { IconDots } from "./icons.tsx";

export interface RowAction {
  label: string;
  icon?: ReactNode;
  color?: string;
  onClick(): void;
}

/** The "⋮" menu at the end of a table row; renders nothing when the user may do nothing. */
export function RowActionsMenu({ name, actions }: { name: string; actions: RowAction[] }) {
  if (actions.length === 0) return null;
  return (
    <Menu position="bottom-end" withinPortal shadow="md" width={220}>
      <Menu.Target>
        <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${name}`}>
          <IconDots />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        {actions.map((action) => (
          <Menu.Item
            key={action.label}
            leftSection={action.icon}
            color={action.color}
            onClick={action.onClick}
          >
            {action.label}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
