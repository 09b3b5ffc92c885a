import type { VoiceRoute } from "../../../integrations/teams-voice/port.ts";
import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts, routesOf } from "../direct-routing.queries.ts";
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

const same = (a: readonly string[], b: readonly string[]) => a.join("\n") === b.join("\n");

/**
 * Guarantees the voice route lists the derived trunk of every selected region, the primary first,
 * then the failover order. An existing route is corrected in place (a region added later extends
 * it), never recreated.
 */
export const createVoiceRoute = defineStep<DirectRoutingInput>({
  id: "direct-routing.voice-route",
  title: "Create the voice route (primary region, then failover)",
  async run({ services, input }) {
    const { teamsVoice } = directRoutingPorts(services);
    const routes = await routesOf(services.db, input.enterpriseId);
    const desired = desiredVoiceRoute(routes.map((r) => r.fqdn));
    const actual = await teamsVoice.getVoiceRoute(input.tenantId, desired.identity);
    if (!actual) await teamsVoice.createVoiceRoute(input.tenantId, desired);
    else if (
      actual.numberPattern !== desired.numberPattern ||
      !same(actual.onlinePstnGatewayList, desired.onlinePstnGatewayList) ||
      !same(actual.onlinePstnUsages, desired.onlinePstnUsages)
    )
      await teamsVoice.setVoiceRoute(input.tenantId, desired);
    return undefined;
  },
  async undo({ services, input }) {
    const { teamsVoice } = directRoutingPorts(services);
    await teamsVoice.removeVoiceRoute(input.tenantId, teamsObjectName);
  },
});
