import { Alert, Button, Group, Paper, Stack } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { ChangePasswordBody } from "../../../shared/contracts/auth.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { IconLock } from "../../components/icons.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { PasswordField } from "../../components/PasswordField.tsx";
import { useChangePassword } from "./auth.api.ts";
import { landingPath, useSession } from "./session.ts";

/** Changes the signed-in account's password; forced after a temporary password was issued. */
export function ChangePasswordPage() {
  const session = useSession();
  const navigate = useNavigate();
  const change = useChangePassword();
  const forced = session.account.mustChangePassword;
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({
    initialValues: { currentPassword: "", newPassword: "", newPasswordConfirm: "" },
  });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const parsed = validateForm(form, ChangePasswordBody, values);
    if (!parsed) return;
    change.mutate(parsed, {
      onSuccess: () => {
        notifications.show({
          color: "teal",
          title: "Password changed",
          message: "Your other sessions were signed out.",
        });
        form.reset();
        void navigate({ to: landingPath(session.organization.kind) });
      },
      onError: (error) => setFailure(placeErrors(form, error)),
    });
  });

  return (
    <>
      <PageHeader
        title="Change password"
        description="Use at least 12 characters. Other browsers signed in to your account will be signed out."
      />
      <Paper withBorder radius="md" p="lg" maw={520}>
        {forced ? (
          <Alert color="yellow" variant="light" icon={<IconLock />} title="One more step" mb="md">
            You signed in with a temporary password. Choose a new one to continue.
          </Alert>
        ) : null}
        <form onSubmit={submit} noValidate>
          <FormAlert failure={failure} title="Not changed" />
          <Stack gap="md">
            <PasswordField
              label="Current password"
              description={forced ? "The temporary password you signed in with" : undefined}
              autoComplete="current-password"
              required
              {...form.getInputProps("currentPassword")}
            />
            <PasswordField
              label="New password"
              autoComplete="new-password"
              required
              {...form.getInputProps("newPassword")}
            />
            <PasswordField
              label="Confirm new password"
              autoComplete="new-password"
              required
              {...form.getInputProps("newPasswordConfirm")}
            />
            <Group justify="flex-end">
              <Button type="submit" loading={change.isPending}>
                Change password
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
    </>
  );
}
