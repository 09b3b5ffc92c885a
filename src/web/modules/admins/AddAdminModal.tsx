import { Button, Group, Modal, Stack, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useState } from "react";
import {
  type AdminWithTemporaryPassword,
  CreateAdminBody,
} from "../../../shared/contracts/organizations.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { useCreateAdmin } from "./admins.api.ts";

interface AddAdminModalProps {
  orgId: string;
  opened: boolean;
  onClose(): void;
  onCreated(result: AdminWithTemporaryPassword): void;
}

/** "Add admin": name, e-mail and username; the server issues a temporary password. */
export function AddAdminModal({ orgId, opened, onClose, onCreated }: AddAdminModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="Add admin" centered>
      {opened ? <AddAdminForm orgId={orgId} onCancel={onClose} onCreated={onCreated} /> : null}
    </Modal>
  );
}

function AddAdminForm({
  orgId,
  onCancel,
  onCreated,
}: {
  orgId: string;
  onCancel(): void;
  onCreated(result: AdminWithTemporaryPassword): void;
}) {
  const create = useCreateAdmin(orgId);
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({ initialValues: { name: "", email: "", username: "" } });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const parsed = validateForm(form, CreateAdminBody, values);
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
        <TextInput label="Name" required data-autofocus {...form.getInputProps("name")} />
        <TextInput
          label="E-mail"
          type="email"
          required
          description="Must not be used by any other account."
          {...form.getInputProps("email")}
        />
        <TextInput
          label="Username"
          required
          description="Letters, digits, dot, dash or underscore; used to sign in."
          autoComplete="off"
          {...form.getInputProps("username")}
        />
        <Group justify="flex-end" mt="sm">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Add admin
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
