import { Alert, Anchor, Button, Group, Stack, Text, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { PasswordResetCompleteBody } from "../../../shared/contracts/auth.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { IconAlertCircle } from "../../components/icons.tsx";
import { PasswordField } from "../../components/PasswordField.tsx";
import { useCompletePasswordReset } from "./auth.api.ts";

const routeApi = getRouteApi("/public/reset-password");

/** Sets a new password from the e-mailed link (/reset-password?token=…). */
export function ResetPasswordPage() {
  const { token } = routeApi.useSearch();
  const navigate = useNavigate();
  const complete = useCompletePasswordReset();
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({ initialValues: { password: "", passwordConfirm: "" } });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const parsed = validateForm(form, PasswordResetCompleteBody, { ...values, token: token ?? "" });
    if (!parsed) return;
    complete.mutate(parsed, {
      onSuccess: () => void navigate({ to: "/sign-in", search: { notice: "password_reset" } }),
      onError: (error) => setFailure(placeErrors(form, error, { token: "Reset link" })),
    });
  });

  return (
    <Stack gap="lg">
      <div>
        <Title order={1} fz="h3">
          Choose a new password
        </Title>
        <Text size="sm" c="dimmed">
          Use at least 12 characters. Signing in elsewhere will require the new password.
        </Text>
      </div>
      {!token || token.length < 20 ? (
        <Alert
          color="red"
          variant="light"
          title="This link is incomplete"
          icon={<IconAlertCircle />}
        >
          Open the link from the e-mail again, or ask for a new one.
        </Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          <FormAlert failure={failure} title="Not changed" />
          <Stack gap="md">
            <PasswordField
              label="New password"
              autoComplete="new-password"
              required
              {...form.getInputProps("password")}
            />
            <PasswordField
              label="Confirm new password"
              autoComplete="new-password"
              required
              {...form.getInputProps("passwordConfirm")}
            />
            <Button type="submit" loading={complete.isPending}>
              Set new password
            </Button>
          </Stack>
        </form>
      )}
      <Group justify="space-between">
        <Anchor component={Link} to="/forgot-password" size="sm">
          Request a new link
        </Anchor>
        <Anchor component={Link} to="/sign-in" size="sm">
          Back to sign in
        </Anchor>
      </Group>
    </Stack>
  );
}
