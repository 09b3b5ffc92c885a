import { Anchor, Button, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { ActivateBody } from "../../../shared/contracts/organizations.ts";
import { isApiError } from "../../api/client.ts";
import { type FormFailure, focusFirstError, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { formatDateTime } from "../../components/format.ts";
import { PageLoader } from "../../components/PageLoader.tsx";
import { PasswordField } from "../../components/PasswordField.tsx";
import { InvalidInvitation } from "./InvalidInvitation.tsx";
import { activationQuery, useActivate } from "./invitations.api.ts";

const routeApi = getRouteApi("/public/activate");

const kindLabels = { master_reseller: "master reseller", reseller: "reseller" } as const;

/** Completes a master reseller's or reseller's account from the e-mailed link (/activate?token=…). */
export function ActivatePage() {
  const { token } = routeApi.useSearch();
  const usable = Boolean(token && token.length >= 20);
  const info = useQuery({ ...activationQuery(token ?? ""), enabled: usable });

  if (!usable) return <InvalidInvitation signIn />;
  if (info.isError) return <InvalidInvitation error={info.error} signIn />;
  if (!info.data) return <PageLoader />;
  return (
    <Stack gap="lg">
      <div>
        <Title order={1} fz="h3">
          Activate your account
        </Title>
        <Text size="sm" c="dimmed">
          Set up the portal account of <strong>{info.data.organizationName}</strong> (
          {kindLabels[info.data.kind]}). Enter the invitation code from the e-mail and choose how
          you will sign in. The invitation is valid until {formatDateTime(info.data.expiresAt)}.
        </Text>
      </div>
      <ActivationForm token={token ?? ""} />
    </Stack>
  );
}

function ActivationForm({ token }: { token: string }) {
  const navigate = useNavigate();
  const activate = useActivate();
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({
    initialValues: { code: "", email: "", username: "", password: "", passwordConfirm: "" },
  });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const parsed = validateForm(form, ActivateBody, { ...values, token });
    if (!parsed) return;
    activate.mutate(parsed, {
      onSuccess: () => void navigate({ to: "/sign-in", search: { notice: "activated" } }),
      onError: (error) => {
        setFailure(placeErrors(form, error, { token: "Invitation link" }));
        if (!isApiError(error, "invitation_invalid")) focusFirstError();
      },
    });
  });

  return (
    <form onSubmit={submit} noValidate>
      <FormAlert failure={failure} title="Account not activated" />
      <Stack gap="md">
        <TextInput
          label="Invitation code"
          description="From the invitation e-mail."
          autoComplete="one-time-code"
          required
          {...form.getInputProps("code")}
        />
        <TextInput
          label="E-mail"
          type="email"
          description="The address the invitation was sent to."
          autoComplete="email"
          required
          {...form.getInputProps("email")}
        />
        <TextInput
          label="Username"
          description="Letters, digits, dot, dash or underscore. You can sign in with it or with your e-mail."
          autoComplete="username"
          required
          {...form.getInputProps("username")}
        />
        <PasswordField
          label="Password"
          description="At least 12 characters."
          autoComplete="new-password"
          required
          {...form.getInputProps("password")}
        />
        <PasswordField
          label="Confirm password"
          autoComplete="new-password"
          required
          {...form.getInputProps("passwordConfirm")}
        />
        <Button type="submit" loading={activate.isPending}>
          Activate account
        </Button>
        <Text size="sm" ta="center">
          Already activated?{" "}
          <Anchor component={Link} to="/sign-in">
            Sign in
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}
