import { Alert, Stack, Text, Title } from "@mantine/core";
import { getRouteApi } from "@tanstack/react-router";
import { enterpriseSignInFailureMessages } from "../../../shared/contracts/enterprise-portal.ts";
import { IconAlertCircle, IconCircleCheck, IconInfo } from "../../components/icons.tsx";
import { MicrosoftSignIn } from "../../components/MicrosoftSignIn.tsx";
import { useStartEnterpriseSignIn } from "./enterprise-portal.api.ts";

const routeApi = getRouteApi("/public/enterprise/sign-in");

const notices = {
  signed_out: { title: "Signed out", text: "You have been signed out." },
  session_ended: {
    title: "Your session ended",
    text: "Sign in again to continue where you left off.",
  },
} as const;

/** The enterprise portal's sign-in: Microsoft work accounts of registered organizations only. */
export function EnterpriseSignInPage() {
  const { error, notice } = routeApi.useSearch();
  const start = useStartEnterpriseSignIn();
  const shown = notice ? notices[notice] : null;

  return (
    <Stack gap="lg">
      <div>
        <Title order={1} fz="h3">
          Sign in to your enterprise portal
        </Title>
        <Text size="sm" c="dimmed">
          For Global Administrators and Teams Administrators of a Microsoft 365 organization that is
          registered with Teamgate. Sign in with your work account: no separate password is needed.
        </Text>
      </div>
      {error ? (
        <Alert
          color="red"
          variant="light"
          icon={<IconAlertCircle />}
          title="You were not signed in"
          role="alert"
        >
          {enterpriseSignInFailureMessages[error]}
        </Alert>
      ) : null}
      {shown && !error ? (
        <Alert
          color={notice === "session_ended" ? "blue" : "teal"}
          variant="light"
          title={shown.title}
          icon={notice === "session_ended" ? <IconInfo /> : <IconCircleCheck />}
        >
          {shown.text}
        </Alert>
      ) : null}
      <MicrosoftSignIn
        start={start}
        variables={undefined}
        note="You will be taken to Microsoft and brought back to your organization's dashboard. Not registered yet? Use the invitation your service provider sent."
      />
    </Stack>
  );
}
