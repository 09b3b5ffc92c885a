import { Alert, Anchor, Button, Group, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import type { AnySessionView } from "../../../shared/contracts/auth.ts";
import { ActivateBody } from "../../../shared/contracts/organizations.ts";
import { isApiError } from "../../api/client.ts";
import { type FormFailure, focusFirstError, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { formatDateTime } from "../../components/format.ts";
import { IconCircleCheck } from "../../components/icons.tsx";
import { PageLoader } from "../../components/PageLoader.tsx";
import { PasswordField } from "../../components/PasswordField.tsx";
import { useSignOut } from "../auth/auth.api.ts";
import { homeOf, sessionQuery } from "../auth/session.ts";
import { InvalidInvitation } from "./InvalidInvitation.tsx";
import { activationQuery, useActivate } from "./invitations.api.ts";

const routeApi = getRouteApi("/public/activate");

const kindLabels = { master_reseller: "master reseller", reseller: "reseller" } as const;

/** Completes a master reseller's or reseller's account from the e-mailed link (/activate?token=…). */
export function ActivatePage() {
  const { token, email } = routeApi.useSearch();
  const [activated, setActivated] = useState<{ username: string; other: string } | null>(null);
  const usable = Boolean(token && token.length >= 20);
  const info = useQuery({ ...activationQuery(token ?? ""), enabled: usable });

  if (!usable) return <InvalidInvitation signIn />;
  if (info.isError) return <InvalidInvitation error={info.error} signIn />;
  if (activated) return <ActivatedWhileSignedIn {...activated} />;
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
      <ActivationForm
        token={token ?? ""}
        email={email ?? ""}
        onActivatedWhileSignedIn={setActivated}
      />
    </Stack>
  );
}

/** Who is signed in in this browser, by the name the portal shows them with. */
function nameOf(session: AnySessionView): string {
  return session.kind === "enterprise_admin" ? session.admin.email : session.account.username;
}

/**
 * The activation went through, but this browser is signed in as someone else: say so, and offer
 * to sign in as the new account (signing the other one out) or to carry on as the other one.
 */
function ActivatedWhileSignedIn({ username, other }: { username: string; other: string }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const signOut = useSignOut();
  const session = queryClient.getQueryData(sessionQuery.queryKey);
  return (
    <Stack gap="lg">
      <Title order={1} fz="h3">
        Account activated
      </Title>
      <Alert color="teal" variant="light" icon={<IconCircleCheck />} title="Your account is active">
        Your account {username} is activated. You are still signed in as {other}.
      </Alert>
      <Group>
        <Button
          loading={signOut.isPending}
          onClick={() =>
            signOut.mutate(undefined, {
              onSettled: () =>
                void navigate({ to: "/sign-in", search: { notice: "activated", login: username } }),
            })
          }
        >
          Sign in as {username}
        </Button>
        {session ? (
          <Button variant="default" onClick={() => void navigate({ to: homeOf(session) })}>
            Continue as {other}
          </Button>
        ) : null}
      </Group>
    </Stack>
  );
}

interface ActivationFormProps {
  token: string;
  /** The invited address from the link, to start the E-mail field with. */
  email: string;
  onActivatedWhileSignedIn(activated: { username: string; other: string }): void;
}

function ActivationForm({ token, email, onActivatedWhileSignedIn }: ActivationFormProps) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const activate = useActivate();
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({
    initialValues: { code: "", email, username: "", password: "", passwordConfirm: "" },
  });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const parsed = validateForm(form, ActivateBody, { ...values, token });
    if (!parsed) return;
    activate.mutate(parsed, {
      onSuccess: async () => {
        // Someone may be signed in in this browser already (the sign-in page would send the
        // person to that account's home without a word): ask the server, not the cache.
        const session = await queryClient
          .fetchQuery({ ...sessionQuery, staleTime: 0 })
          .catch(() => null);
        if (session) {
          onActivatedWhileSignedIn({ username: parsed.username, other: nameOf(session) });
          return;
        }
        void navigate({ to: "/sign-in", search: { notice: "activated", login: parsed.username } });
      },
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
