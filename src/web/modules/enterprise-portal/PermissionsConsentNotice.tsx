import { Alert, Group, Loader, Stack, Text } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { useEffect, useState } from "react";
import { permissionsConsentFailureMessages } from "../../../shared/contracts/enterprise-portal.ts";
import { IconAlertCircle, IconCircleCheck } from "../../components/icons.tsx";
import {
  enterpriseQueryKey,
  finishPermissionsConsent,
  permissionsConsentPollMs,
} from "./enterprise-portal.api.ts";

const routeApi = getRouteApi("/enterprise/");

/**
 * What the dashboard says when its admin comes back from Microsoft's admin consent for the new
 * permissions: granted; still being applied by Microsoft (it asks until the server records them
 * or gives up); or why nothing changed.
 */
export function PermissionsConsentNotice({ enterpriseId }: { enterpriseId: string }) {
  const { permissions, permissionsError } = routeApi.useSearch();
  const navigate = routeApi.useNavigate();
  const dismiss = () => void navigate({ search: {}, replace: true });
  if (permissionsError)
    return (
      <Alert
        color="red"
        variant="light"
        icon={<IconAlertCircle />}
        title="The new permissions were not granted"
        role="alert"
        mb="lg"
        withCloseButton
        closeButtonLabel="Dismiss"
        onClose={dismiss}
      >
        {permissionsConsentFailureMessages[permissionsError]}
      </Alert>
    );
  if (permissions === "finishing") return <Finishing enterpriseId={enterpriseId} />;
  if (permissions === "granted")
    return (
      <Alert
        color="teal"
        variant="light"
        icon={<IconCircleCheck />}
        title="The new permissions are granted"
        mb="lg"
        withCloseButton
        closeButtonLabel="Dismiss"
        onClose={dismiss}
      >
        Thank you: Microsoft confirmed your consent. Teamgate may now add and verify Direct
        Routing's trunk domains in your tenant and create the users that activate them, so Direct
        Routing no longer waits for these permissions.
      </Alert>
    );
  return null;
}

/** Microsoft is applying the consent: polls the server until it records it or gives up. */
function Finishing({ enterpriseId }: { enterpriseId: string }) {
  const queryClient = useQueryClient();
  const navigate = routeApi.useNavigate();
  const [trouble, setTrouble] = useState(false);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const state = await finishPermissionsConsent(enterpriseId);
        setTrouble(false);
        if (stopped) return;
        if (state.status !== "pending") {
          await queryClient.invalidateQueries({ queryKey: enterpriseQueryKey(enterpriseId) });
          void navigate({
            search:
              state.status === "granted"
                ? { permissions: "granted" }
                : { permissionsError: state.reason },
            replace: true,
          });
          return;
        }
      } catch {
        setTrouble(true);
      }
      if (!stopped) timer = setTimeout(poll, permissionsConsentPollMs);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [enterpriseId, navigate, queryClient]);
  return (
    <Alert color="blue" variant="light" title="Microsoft is applying your consent…" mb="lg">
      <Stack gap={6} role="status" aria-live="polite">
        <Group gap="xs">
          <Loader size="xs" aria-hidden="true" />
          <Text size="sm">
            Your consent was received. Microsoft usually takes less than a minute to apply it, and
            can take a few; this message updates on its own.
          </Text>
        </Group>
        {trouble ? (
          <Text size="sm" c="orange">
            Teamgate could not be reached; trying again…
          </Text>
        ) : null}
      </Stack>
    </Alert>
  );
}
