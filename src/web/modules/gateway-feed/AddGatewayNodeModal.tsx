import { Alert, Button, CopyButton, Group, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useState } from "react";
import {
  type CreatedGatewayNode,
  CreateGatewayNodeBody,
} from "../../../shared/contracts/gateway.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { IconCheck, IconCopy, IconLock } from "../../components/icons.tsx";
import { useCreateGatewayNode } from "./gateway-nodes.api.ts";

interface AddGatewayNodeModalProps {
  regionId: string;
  regionName: string;
  opened: boolean;
  onClose(): void;
}

/**
 * "Add gateway node": a name, then the node's token, shown once (only its SHA-256 is stored), with
 * the API URL the node's agent calls.
 */
export function AddGatewayNodeModal({
  regionId,
  regionName,
  opened,
  onClose,
}: AddGatewayNodeModalProps) {
  const [created, setCreated] = useState<CreatedGatewayNode | null>(null);
  const close = () => {
    setCreated(null);
    onClose();
  };
  return (
    <Modal
      opened={opened}
      onClose={close}
      title={created ? `Token of ${created.name}` : `Add gateway node to ${regionName}`}
      centered
      size="lg"
      // Once the token is on screen, a stray click must not throw it away.
      closeOnClickOutside={created === null}
    >
      {!opened ? null : created ? (
        <NodeToken node={created} onDone={close} />
      ) : (
        <AddGatewayNodeForm regionId={regionId} onCancel={close} onCreated={setCreated} />
      )}
    </Modal>
  );
}

function AddGatewayNodeForm({
  regionId,
  onCancel,
  onCreated,
}: {
  regionId: string;
  onCancel(): void;
  onCreated(node: CreatedGatewayNode): void;
}) {
  const create = useCreateGatewayNode(regionId);
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({ initialValues: { name: "" } });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const parsed = validateForm(form, CreateGatewayNodeBody, values);
    if (!parsed) return;
    create.mutate(parsed, {
      onSuccess: onCreated,
      onError: (error) => setFailure(placeErrors(form, error)),
    });
  });

  return (
    <form onSubmit={submit} noValidate>
      <FormAlert failure={failure} />
      <Stack gap="md">
        <TextInput
          label="Name"
          placeholder="sbc-use1-a"
          description="Unique in the region; e.g. the host name of the SBC machine."
          required
          data-autofocus
          {...form.getInputProps("name")}
        />
        <Group justify="flex-end" mt="sm">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Add node
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** A read-only, labelled value with a Copy button named after it. */
function CopyableField({ label, value }: { label: string; value: string }) {
  return (
    <Group gap="sm" wrap="nowrap" align="flex-end">
      <TextInput
        label={label}
        value={value}
        readOnly
        styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
        style={{ flex: 1 }}
        onFocus={(event) => event.currentTarget.select()}
      />
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Button
            variant={copied ? "light" : "default"}
            color={copied ? "teal" : undefined}
            leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
            onClick={copy}
            aria-label={copied ? `${label} copied` : `Copy ${label.toLowerCase()}`}
            aria-live="polite"
          >
            {copied ? "Copied" : "Copy"}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}

function NodeToken({ node, onDone }: { node: CreatedGatewayNode; onDone(): void }) {
  // The gateway routes are under the portal's own API (`/api/v1/gateway/…`, ADR 0019).
  const apiUrl = `${window.location.origin}/api/v1`;
  return (
    <Stack gap="md">
      <Text size="sm">
        <strong>{node.name}</strong> is added. Configure its gateway agent with the API URL and this
        token; it sends the token as <code>Authorization: Bearer …</code>.
      </Text>
      <CopyableField label="API URL" value={apiUrl} />
      <CopyableField label="Gateway token" value={node.token} />
      <Alert color="yellow" variant="light" icon={<IconLock />} title="Shown only once">
        This token cannot be shown again: only a fingerprint of it is stored. Copy it now and keep
        it as a secret on the node. If it is lost, revoke the node and add a new one.
      </Alert>
      <Group justify="flex-end">
        <Button onClick={onDone}>Done</Button>
      </Group>
    </Stack>
  );
}
