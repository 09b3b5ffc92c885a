import { Alert, Anchor, Button, Group, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { getRouteApi, Link, useRouter } from "@tanstack/react-router";
import { useState } from "react";
import { LoginBody } from "../../../shared/contracts/auth.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { IconCircleCheck, IconInfo } from "../../components/icons.tsx";
import { PasswordField } from "../../components/PasswordField.tsx";
import { useSignIn } from "./auth.api.ts";
import { landingPath, safeRedirect } from "./session.ts";

const routeApi = getRouteApi("/public/sign-in");

const notices = {
  activated: {
    title: "Your account is active",
    text: "Sign in with the username or e-mail and the password you just chose.",
  },
  password_reset: {
    title: "Reset complete",
    text: "Sign in with your new password.",
  },
  signed_out: { title: "Signed out", text: "You have been signed out." },
  session_ended: {
    title: "Your session ended",
    text: "Sign in again to continue where you left off.",
  },
} as const;

/** Sign-in with e-mail or username and password. */
export function SignInPage() {
  const { redirect, notice, login } = routeApi.useSearch();
  const router = useRouter();
  const signIn = useSignIn();
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({ initialValues: { login: login ?? "", password: "" } });
  const shown = notice ? notices[notice] : null;

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const parsed = validateForm(form, LoginBody, values);
    if (!parsed) return;
    signIn.mutate(parsed, {
      onSuccess: (session) => {
        if (session.account.mustChangePassword) {
          void router.navigate({ to: "/change-password" });
          return;
        }
        const back = safeRedirect(redirect);
        if (back) router.history.push(back);
        else void router.navigate({ to: landingPath(session.organization.kind) });
      },
      onError: (error) => {
        form.setFieldValue("password", "");
        setFailure(placeErrors(form, error));
      },
    });
  });

  return (
    <Stack gap="lg">
      <div>
        <Title order={1} fz="h3">
          Sign in
        </Title>
        <Text size="sm" c="dimmed">
          Manage resellers, enterprises and their Microsoft Teams connections.
        </Text>
      </div>
      {shown ? (
        <Alert
          color={notice === "session_ended" ? "blue" : "teal"}
          variant="light"
          title={shown.title}
          icon={notice === "session_ended" ? <IconInfo /> : <IconCircleCheck />}
        >
          {shown.text}
        </Alert>
      ) : null}
      <form onSubmit={submit} noValidate>
        <FormAlert failure={failure} title="Could not sign in" />
        <Stack gap="md">
          <TextInput
            label="E-mail or username"
            autoComplete="username"
            required
            data-autofocus
            {...form.getInputProps("login")}
          />
          <PasswordField
            label="Password"
            autoComplete="current-password"
            required
            {...form.getInputProps("password")}
          />
          <Group justify="space-between" align="center">
            <Anchor component={Link} to="/forgot-password" size="sm">
              Forgot password?
            </Anchor>
            <Button type="submit" loading={signIn.isPending}>
              Sign in
            </Button>
          </Group>
        </Stack>
      </form>
      <Text size="sm" c="dimmed" ta="center">
        Enterprise administrator?{" "}
        <Anchor component={Link} to="/enterprise/sign-in" size="sm">
          Sign in with Microsoft
        </Anchor>
      </Text>
    </Stack>
  );
}
