import { Alert, Button, List, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { useState } from "react";
import {
  type EnterpriseInvitationCheck,
  type EnterpriseInvitationInfo,
  VerifyEnterpriseInvitationBody,
} from "../../../shared/contracts/enterprises.ts";
import { type FormFailure, focusFirstError, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { formatDateTime } from "../../components/format.ts";
import { IconCircleCheck } from "../../components/icons.tsx";
import { MicrosoftSignIn } from "../../components/MicrosoftSignIn.tsx";
import { PageLoader } from "../../components/PageLoader.tsx";
import { InvalidInvitation } from "./InvalidInvitation.tsx";
import {
  enterpriseInvitationQuery,
  useStartRegistrationSignIn,
  useVerifyEnterpriseInvitation,
} from "./invitations.api.ts";

const routeApi = getRouteApi("/public/complete");

/**
 * The enterprise Complete page (seed 3): the Global Administrator enters the invitation code, then
 * signs in with Microsoft (round 1: sign-in and consent; round 2: the application permissions).
 */
export function CompletePage() {
  const { token } = routeApi.useSearch();
  const usable = Boolean(token && token.length >= 20);
  const info = useQuery({ ...enterpriseInvitationQuery(token ?? ""), enabled: usable });
  const [verified, setVerified] = useState<{
    check: EnterpriseInvitationCheck;
    code: string;
  } | null>(null);

  if (!usable) return <InvalidInvitation />;
  if (info.isError) return <InvalidInvitation error={info.error} />;
  if (!info.data) return <PageLoader />;
  if (verified)
    return (
      <NextStep check={verified.check} info={info.data} token={token ?? ""} code={verified.code} />
    );
  return (
    <Stack gap="lg">
      <div>
        <Title order={1} fz="h3">
          Connect {info.data.enterpriseName} to Microsoft Teams
        </Title>
        <Text size="sm" c="dimmed">
          {info.data.resellerName} invited {info.data.enterpriseName} to connect its Microsoft Teams
          to its PBX. Enter the invitation code from the e-mail to continue. The invitation is valid
          until {formatDateTime(info.data.expiresAt)}.
        </Text>
      </div>
      <CodeForm token={token ?? ""} onVerified={setVerified} />
    </Stack>
  );
}

function CodeForm({
  token,
  onVerified,
}: {
  token: string;
  onVerified(verified: { check: EnterpriseInvitationCheck; code: string }): void;
}) {
  const verify = useVerifyEnterpriseInvitation();
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({ initialValues: { code: "" } });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const parsed = validateForm(form, VerifyEnterpriseInvitationBody, { ...values, token });
    if (!parsed) return;
    verify.mutate(parsed, {
      onSuccess: (check) => onVerified({ check, code: parsed.code }),
      onError: (error) => {
        setFailure(placeErrors(form, error, { token: "Invitation link" }));
        focusFirstError();
      },
    });
  });

  return (
    <form onSubmit={submit} noValidate>
      <FormAlert failure={failure} title="Code not accepted" />
      <Stack gap="md">
        <TextInput
          label="Invitation code"
          description="From the invitation e-mail."
          autoComplete="one-time-code"
          required
          {...form.getInputProps("code")}
        />
        <Button type="submit" loading={verify.isPending}>
          Continue
        </Button>
      </Stack>
    </form>
  );
}

function NextStep({
  check,
  info,
  token,
  code,
}: {
  check: EnterpriseInvitationCheck;
  info: EnterpriseInvitationInfo;
  token: string;
  code: string;
}) {
  const start = useStartRegistrationSignIn();
  return (
    <Stack gap="lg">
      <Title order={1} fz="h3">
        {check.enterpriseName}
      </Title>
      <Alert color="teal" variant="light" icon={<IconCircleCheck />} title="Your code is valid">
        Next: sign in with Microsoft as the Global Administrator of {check.enterpriseName}'s
        Microsoft 365 tenant ({check.adminEmail}) and grant consent.
      </Alert>
      <Text size="sm">Signing in with Microsoft takes two short steps:</Text>
      <List size="sm" type="ordered" spacing={4}>
        <List.Item>
          Sign in and tick “Consent on behalf of your organization”, then Accept.
        </List.Item>
        <List.Item>Accept the second set of application permissions.</List.Item>
      </List>
      <MicrosoftSignIn
        start={start}
        variables={{ token, code }}
        note={`You will be taken to Microsoft and brought back here. Use an account that holds the Global Administrator role. Your invitation is valid until ${formatDateTime(info.expiresAt)}.`}
      />
    </Stack>
  );
}
