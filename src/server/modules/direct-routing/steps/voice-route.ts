import type { VoiceRoute } from "../../../integrations/teams-voice/port.ts";
import type { Services } from "../../../services.ts";
import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts, selectedRoutesOf } from "../direct-routing.queries.ts";
import { teamsObjectName } from "./names.ts";

/** The route every call of the tenant's Teams users takes: any number, our trunks in order. */
export function desiredVoiceRoute(fqdns: string[]): VoiceRoute {
  return {
    identity: teamsObjectName,
    numberPattern: ".*",
    onlinePstnGatewayList: fqdns,
    onlinePstnUsages: [teamsObjectName],
    priority: 1,
    description: "Calls to the PBX through Teamgate (primary region first, then failover)",
  };
}

const listed = (list: readonly string[]) => (list.length > 0 ? list.join(", ") : "nothing");

/** How an existing route differs from ours, one sentence per property (empty: the same). */
export function voiceRouteDifferences(actual: VoiceRoute, desired: VoiceRoute): string[] {
  const differences: string[] = [];
  const name = `The voice route ${desired.identity}`;
  if (actual.numberPattern !== desired.numberPattern)
    differences.push(`${name} matches ${actual.numberPattern} instead of ${desired.numberPattern}`);
  if (actual.onlinePstnGatewayList.join("\n") !== desired.onlinePstnGatewayList.join("\n"))
    differences.push(
      `${name} sends calls to ${listed(actual.onlinePstnGatewayList)} instead of ${listed(desired.onlinePstnGatewayList)}`,
    );
  if (actual.onlinePstnUsages.join("\n") !== desired.onlinePstnUsages.join("\n"))
    differences.push(
      `${name} has the PSTN usages ${listed(actual.onlinePstnUsages)} instead of ${listed(desired.onlinePstnUsages)}`,
    );
  return differences;
}

async function voiceRouteOf(services: Services, input: DirectRoutingInput) {
  const { teamsVoice } = directRoutingPorts(services);
  const routes = await selectedRoutesOf(services.db, input.enterpriseId);
  const desired = desiredVoiceRoute(routes.map((r) => r.fqdn));
  return {
    teamsVoice,
    desired,
    actual: await teamsVoice.getVoiceRoute(input.tenantId, desired.identity),
  };
}

/**
 * Guarantees the voice route lists the derived trunk of every selected region, the primary first,
 * then the failover order. An existing route is corrected in place (a region added later extends
 * it), never recreated.
 */
export const createVoiceRoute = defineStep<DirectRoutingInput>({
  id: "direct-routing.voice-route",
  title: "Create the voice route (primary region, then failover)",
  async run({ services, input }) {
    const { teamsVoice, desired, actual } = await voiceRouteOf(services, input);
    if (!actual) await teamsVoice.createVoiceRoute(input.tenantId, desired);
    else if (voiceRouteDifferences(actual, desired).length > 0)
      await teamsVoice.setVoiceRoute(input.tenantId, desired);
    return undefined;
  },
  async check({ services, input }) {
    const { desired, actual } = await voiceRouteOf(services, input);
    return actual
      ? voiceRouteDifferences(actual, desired)
      : [`The voice route ${desired.identity} is missing`];
  },
  async undo({ services, input }) {
    const { teamsVoice } = directRoutingPorts(services);
    await teamsVoice.removeVoiceRoute(input.tenantId, teamsObjectName);
  },
});
