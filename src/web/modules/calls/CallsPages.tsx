import { Alert, Anchor } from "@mantine/core";
import { getRouteApi, Link } from "@tanstack/react-router";
import { IconLock } from "../../components/icons.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { useEnterpriseSession } from "../auth/session.ts";
import { CallDetail } from "./CallDetail.tsx";
import { CallsList } from "./CallsList.tsx";

const providerCallsRoute = getRouteApi("/app/enterprises/$enterpriseId/calls");
const providerCallRoute = getRouteApi("/app/enterprises/$enterpriseId/calls/$callId");
const enterpriseCallRoute = getRouteApi("/enterprise/calls/$callId");

const description =
  "Every call through the gateway, newest first: who called whom, how it ended, and the SIP messages kept for it.";

/** `/enterprises/{id}/calls` for the service provider: the enterprise's calls. */
export function ProviderCallsPage() {
  const { enterpriseId } = providerCallsRoute.useParams();
  return (
    <>
      <Anchor
        size="sm"
        mb="xs"
        display="inline-block"
        renderRoot={(props) => (
          <Link {...props} to="/enterprises/$enterpriseId" params={{ enterpriseId }} />
        )}
      >
        ← Enterprise
      </Anchor>
      <PageHeader title="Calls" description={description} />
      <CallsList
        enterpriseId={enterpriseId}
        renderCallLink={(call, link) => (
          <Anchor
            size="sm"
            fw={500}
            aria-label={link.label}
            renderRoot={(props) => (
              <Link
                {...props}
                to="/enterprises/$enterpriseId/calls/$callId"
                params={{ enterpriseId, callId: call.callId }}
              />
            )}
          >
            {link.text}
          </Anchor>
        )}
      />
    </>
  );
}

/** `/enterprises/{id}/calls/{callId}` for the service provider: one call and its SIP trace. */
export function ProviderCallPage() {
  const { enterpriseId, callId } = providerCallRoute.useParams();
  return (
    <CallDetail
      enterpriseId={enterpriseId}
      callId={callId}
      back={
        <Anchor
          size="sm"
          mb="xs"
          display="inline-block"
          renderRoot={(props) => (
            <Link {...props} to="/enterprises/$enterpriseId/calls" params={{ enterpriseId }} />
          )}
        >
          ← Calls
        </Anchor>
      }
    />
  );
}

/** What an enterprise admin sees when Access SIP Data is off (the API answers 403 too). */
function NoSipDataAccess() {
  return (
    <Alert color="gray" variant="light" icon={<IconLock />} title="Calls are not available">
      Your service provider has not turned on access to call records and SIP traces for your
      organization. Ask them to turn on Access SIP Data.
    </Alert>
  );
}

/** `/enterprise/calls`: the organization's calls, while its Access SIP Data is on. */
export function EnterpriseCallsPage() {
  const session = useEnterpriseSession();
  if (!session.abilities.includes("calls.read")) return <NoSipDataAccess />;
  return (
    <>
      <PageHeader title="Calls" description={description} />
      <CallsList
        enterpriseId={session.enterprise.id}
        renderCallLink={(call, link) => (
          <Anchor
            size="sm"
            fw={500}
            aria-label={link.label}
            renderRoot={(props) => (
              <Link {...props} to="/enterprise/calls/$callId" params={{ callId: call.callId }} />
            )}
          >
            {link.text}
          </Anchor>
        )}
      />
    </>
  );
}

/** `/enterprise/calls/{callId}`: one call of the organization and its SIP trace. */
export function EnterpriseCallPage() {
  const session = useEnterpriseSession();
  const { callId } = enterpriseCallRoute.useParams();
  if (!session.abilities.includes("calls.read")) return <NoSipDataAccess />;
  return (
    <CallDetail
      enterpriseId={session.enterprise.id}
      callId={callId}
      back={
        <Anchor component={Link} to="/enterprise/calls" size="sm" mb="xs" display="inline-block">
          ← Calls
        </Anchor>
      }
    />
  );
}
