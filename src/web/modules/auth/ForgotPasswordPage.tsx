import { Alert, Anchor, Button, Group, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { Link } from "@tanstack/react-router";
import { useState } from "react";
import { PasswordResetRequestBody } from "../../../shared/contracts/auth.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { IconMail } from "../../components/icons.tsx";
import { useRequestPasswordReset } from "./auth.api.ts";

/** Asks for a reset link; the answer is the same whether or not the e-mail has an account. */
export function ForgotPasswordPage() {
  const requestReset = useRequestPasswordReset();
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const form = useForm({ initialValues: { email: "" } });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const parsed = validateForm(form, PasswordResetRequestBody, values);
    if (!parsed) return;
    requestReset.mutate(parsed, {
      onSuccess: (result) => setSent(result.message),
      onError: (error) => setFailure(placeErrors(form, error)),
    });
  });

  return (
    <Stack gap="lg">
      <div>
        <Title order={1} fz="h3">
          Reset your password
        </Title>
        <Text size="sm" c="dimmed">
          Enter the e-mail address of your account and we will send you a link to choose a new
          password.
        </Text>
      </div>
      {sent ? (
        <Alert color="teal" variant="light" title="Check your inbox" icon={<IconMail />}>
          {sent} The link is valid for a limited time.
        </Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          <FormAlert failure={failure} title="Could not send the link" />
          <Stack gap="md">
            <TextInput
              label="E-mail"
              type="email"
              autoComplete="email"
              required
              {...form.getInputProps("email")}
            />
            <Button type="submit" loading={requestReset.isPending}>
              Send reset link
            </Button>
          </Stack>
        </form>
      )}
      <Group justify="center">
        <Anchor component={Link} to="/sign-in" size="sm">
          Back to sign in
        </Anchor>
      </Group>
    </Stack>
  );
}
