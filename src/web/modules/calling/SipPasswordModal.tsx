import { Button, Group, Modal, Stack } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { ChangeSipPasswordBody } from "../../../shared/contracts/calling.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { PasswordField } from "../../components/PasswordField.tsx";
import { useChangeSipPassword } from "./calling.api.ts";

interface SipPasswordModalProps {
  opened: boolean;
  enterpriseId: string;
  userId: string;
  userName: string;
  onClose(): void;
}

/** "Change SIP password": the new password twice; the old one is never shown. */
export function SipPasswordModal({
  opened,
  enterpriseId,
  userId,
  userName,
  onClose,
}: SipPasswordModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="Change SIP password" centered>
      {opened ? (
        <SipPasswordForm
          enterpriseId={enterpriseId}
          userId={userId}
          userName={userName}
          onDone={onClose}
        />
      ) : null}
    </Modal>
  );
}

function SipPasswordForm({
  enterpriseId,
  userId,
  userName,
  onDone,
}: {
  enterpriseId: string;
  userId: string;
  userName: string;
  onDone(): void;
}) {
  const change = useChangeSipPassword(enterpriseId, userId);
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({ initialValues: { sipPassword: "", confirmation: "" } });

  const submit = form.onSubmit((v) => {
    setFailure(null);
    const parsed = validateForm(form, ChangeSipPasswordBody, { sipPassword: v.sipPassword });
    if (!parsed) return;
    if (v.confirmation !== v.sipPassword) {
      form.setFieldError("confirmation", "Does not match the new password");
      return;
    }
    change.mutate(parsed, {
      onSuccess: () => {
        notifications.show({ color: "teal", message: `${userName}'s SIP password changed` });
        onDone();
      },
      onError: (error) => setFailure(placeErrors(form, error)),
    });
  });

  return (
    <form onSubmit={submit} noValidate>
      <FormAlert failure={failure} />
      <Stack>
        <PasswordField
          label="New SIP password"
          description="As the PBX issued it for this user's device; at least 4 characters."
          required
          autoComplete="new-password"
          data-autofocus
          {...form.getInputProps("sipPassword")}
        />
        <PasswordField
          label="Confirm the new SIP password"
          required
          autoComplete="new-password"
          {...form.getInputProps("confirmation")}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={change.isPending}>
            Change SIP password
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
