import { Alert, Button, Code, CopyButton, Group, Modal, Stack, Text } from "@mantine/core";
import type { AdminWithTemporaryPassword } from "../../../shared/contracts/organizations.ts";
import { IconCheck, IconCopy, IconLock } from "../../components/icons.tsx";

interface TemporaryPasswordModalProps {
  result: AdminWithTemporaryPassword | null;
  /** Why there is a new password: the admin was just added, or their password was reset. */
  reason: "created" | "reset";
  onClose(): void;
}

/** Shows a temporary password once, with a copy button; it is not stored anywhere to show again. */
export function TemporaryPasswordModal({ result, reason, onClose }: TemporaryPasswordModalProps) {
  return (
    <Modal
      opened={result !== null}
      onClose={onClose}
      title={result ? `Temporary password for ${result.admin.name}` : "Temporary password"}
      centered
      closeOnClickOutside={false}
      size="lg"
    >
      {result ? (
        <Stack gap="md">
          <Text size="sm">
            {reason === "created"
              ? `${result.admin.name} can now sign in as `
              : `${result.admin.name}'s password was reset. They sign in as `}
            <strong>{result.admin.username}</strong> or <strong>{result.admin.email}</strong> with
            this temporary password:
          </Text>
          <Group gap="sm" wrap="nowrap">
            <Code
              block
              fz="lg"
              style={{ flex: 1, letterSpacing: "0.04em", userSelect: "all" }}
              aria-label="Temporary password"
            >
              {result.temporaryPassword}
            </Code>
            <CopyButton value={result.temporaryPassword}>
              {({ copied, copy }) => (
                <Button
                  variant={copied ? "light" : "filled"}
                  color={copied ? "teal" : undefined}
                  leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                  onClick={copy}
                  aria-live="polite"
                >
                  {copied ? "Copied" : "Copy password"}
                </Button>
              )}
            </CopyButton>
          </Group>
          <Alert color="yellow" variant="light" icon={<IconLock />}>
            This password is shown only once. Pass it on through a safe channel. It must be changed
            at the first sign-in.
          </Alert>
          <Group justify="flex-end">
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  );
}
