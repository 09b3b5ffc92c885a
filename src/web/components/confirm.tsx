import { Text } from "@mantine/core";
import { modals } from "@mantine/modals";
import type { ReactNode } from "react";

interface ConfirmOptions {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  /** Red confirm button for actions that take something away. */
  danger?: boolean;
  onConfirm(): void;
}

/** Asks before a consequential action; the modal is titled, and Cancel is the safe default. */
export function confirmAction({ title, message, confirmLabel, danger, onConfirm }: ConfirmOptions) {
  modals.openConfirmModal({
    title,
    centered: true,
    children: typeof message === "string" ? <Text size="sm">{message}</Text> : message,
    labels: { confirm: confirmLabel, cancel: "Cancel" },
    confirmProps: danger ? { color: "red" } : {},
    cancelProps: { "data-autofocus": true },
    onConfirm,
  });
}
