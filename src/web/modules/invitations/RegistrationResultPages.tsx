import { Alert, Loader, Stack, Text, Title } from "@mantine/core";
import { getRouteApi } from "@tanstack/react-router";
import { useEffect, useState } from "react";
import {
  type RegistrationFailureReason,
  type RegistrationFinishState,
  registrationFailureReasons,
} from "../../../shared/contracts/registration.ts";
import { api } from "../../api/client.ts";
import { IconAlertCircle } from "../../components/icons.tsx";

/** How often the finishing page asks whether Microsoft has applied the consent. */
const finishPollMs = 2000;

/**
 * After the admin consent: Microsoft takes from seconds to minutes to apply it. The page asks
 * the server every two seconds; the server gives up after five minutes with a clear reason.
 */
export function RegistrationFinishingPage() {
  const [seconds, setSeconds] = useState(0);
  const [trouble, setTrouble] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    const started = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const state = await api.post<RegistrationFinishState>("/enterprise-invitations/finish");
        setTrouble(null);
        if (state.status === "done") {
          // A full navigation: registration may have signed the administrator in.
          window.location.assign(state.location);
          return;
        }
      } catch {
        setTrouble("Teamgate could not be reached; trying again…");
      }
      if (stopped) return;
      setSeconds(Math.round((Date.now() - started) / 1000));
      timer = setTimeout(poll, finishPollMs);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, []);
  return (
    <Stack gap="lg">
      <Title order={1} fz="h3">
        Finishing the connection with Microsoft…
      </Title>
      <Stack gap="sm" role="status" aria-live="polite">
        <Loader size="sm" aria-hidden />
        <Text size="sm">
          Thank you: your consent was received. Microsoft is applying it to your organization, which
          usually takes less than a minute and can take a few. Keep this page open; it continues on
          its own.
        </Text>
        {seconds > 0 && (
          <Text size="sm" c="dimmed">
            Waiting for Microsoft for {seconds} seconds.
          </Text>
        )}
        {trouble && (
          <Text size="sm" c="orange">
            {trouble}
          </Text>
        )}
      </Stack>
    </Stack>
  );
}

const failedRoute = getRouteApi("/public/complete/failed");

const failures: Record<RegistrationFailureReason, { title: string; what: string; todo: string }> = {
  invitation_invalid: {
    title: "This invitation can no longer be used",
    what: "The invitation was used, replaced by a newer one, expired, or the enterprise was disabled.",
    todo: "Ask your service provider to resend the invitation, then use the link and code in the newest e-mail.",
  },
  consent_declined: {
    title: "Consent was not granted",
    what: "The Microsoft consent screen was cancelled, so Teamgate was not given the permissions it needs.",
    todo: "Open the invitation link again and, on Microsoft's screens, tick “Consent on behalf of your organization” and click Accept both times.",
  },
  not_global_admin: {
    title: "A Global Administrator must sign in",
    what: "The Microsoft account you used does not hold the Global Administrator role in its organization.",
    todo: "Sign in with an account that holds the Global Administrator role. Open the invitation link again to retry.",
  },
  personal_account: {
    title: "A work account is needed",
    what: "You signed in with a personal Microsoft account; Teams for your organization needs a work or school account.",
    todo: "Open the invitation link again and sign in with your organization's Global Administrator account.",
  },
  tenant_already_bound: {
    title: "This Microsoft 365 organization is already connected",
    what: "The Microsoft 365 organization you signed in to is already linked to another enterprise in Teamgate.",
    todo: "Sign in with the Global Administrator of the right organization, or contact your service provider.",
  },
  state_invalid: {
    title: "This sign-in has expired or was already used",
    what: "The Microsoft sign-in took too long, was already completed, or did not start from this site.",
    todo: "Open the invitation link again and start the sign-in once more.",
  },
  microsoft_unavailable: {
    title: "Microsoft is not answering right now",
    what: "Microsoft could not confirm your organization. Nothing was changed and your invitation is still valid.",
    todo: "Wait a few minutes, then open the invitation link again and retry.",
  },
  app_misconfigured: {
    title: "Teamgate's Microsoft application is not set up completely",
    what: "Your service provider's Microsoft application lacks a permission Teamgate needs to check that you are a Global Administrator. Nothing is wrong with your account, and nothing was changed.",
    todo: "Tell your service provider: its Microsoft application needs the delegated permission RoleManagement.Read.Directory. Your invitation stays valid; retry once they have fixed it.",
  },
  consent_not_effective: {
    title: "Microsoft has not finished applying your consent",
    what: "You granted the permissions, but Microsoft had not made them effective after several minutes. Nothing was linked yet.",
    todo: "Wait a few minutes, then open the invitation link again: Microsoft will show the consent screen again and the connection will finish.",
  },
  permissions_missing: {
    title: "Some permissions were not granted",
    what: "Microsoft granted only part of the permissions Teamgate needs, so your organization was not linked.",
    todo: "Open the invitation link again and accept every permission on Microsoft's screens, or ask your service provider to check its Microsoft application.",
  },
  sign_in_failed: {
    title: "The Microsoft sign-in could not be completed",
    what: "Microsoft did not return a usable sign-in. Nothing was changed and your invitation is still valid.",
    todo: "Open the invitation link again and retry. If it keeps failing, contact your service provider.",
  },
};

export function registrationReasonOf(raw: unknown): RegistrationFailureReason | undefined {
  return registrationFailureReasons.find((r) => r === raw);
}

/** Where every failure of the Microsoft rounds ends: what went wrong and what to do. Nothing is bound. */
export function RegistrationFailedPage() {
  const { reason } = failedRoute.useSearch();
  const failure = failures[reason ?? "sign_in_failed"];
  return (
    <Stack gap="lg">
      <Title order={1} fz="h3">
        Registration not completed
      </Title>
      <Alert
        color="red"
        variant="light"
        icon={<IconAlertCircle />}
        title={failure.title}
        role="alert"
      >
        <Stack gap={6}>
          <Text size="sm">{failure.what}</Text>
          <Text size="sm" fw={500}>
            {failure.todo}
          </Text>
        </Stack>
      </Alert>
      <Text size="sm" c="dimmed">
        Your Microsoft 365 organization was not linked to Teamgate.
      </Text>
    </Stack>
  );
}
