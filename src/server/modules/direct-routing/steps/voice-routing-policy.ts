import type { VoiceRoutingPolicy } from "../../../integrations/teams-voice/port.ts";
import type { Services } from "../../../services.ts";
import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts } from "../direct-routing.queries.ts";
import { teamsObjectName } from "./names.ts";

const desired: VoiceRoutingPolicy = {
  identity: teamsObjectName,
  onlinePstnUsages: [teamsObjectName],
  description: "Users whose calls go to the PBX through Teamgate",
};

/** What is wrong with the tenant's policy of our name (empty: it is as we made it). */
function policyDifferences(actual: VoiceRoutingPolicy | null): string[] {
  const name = `The voice routing policy ${desired.identity}`;
  if (!actual) return [`${name} is missing`];
  if (actual.onlinePstnUsages.join("\n") === desired.onlinePstnUsages.join("\n")) return [];
  return [
    `${name} has the PSTN usages ${actual.onlinePstnUsages.join(", ") || "nothing"} instead of ${desired.onlinePstnUsages.join(", ")}`,
  ];
}

async function policyOf(services: Services, input: DirectRoutingInput) {
  const { teamsVoice } = directRoutingPorts(services);
  return {
    teamsVoice,
    actual: await teamsVoice.getVoiceRoutingPolicy(input.tenantId, desired.identity),
  };
}

/** Guarantees the voice routing policy that users configured for calling are granted. */
export const createVoiceRoutingPolicy = defineStep<DirectRoutingInput>({
  id: "direct-routing.voice-routing-policy",
  title: "Create the voice routing policy",
  async run({ services, input }) {
    const { teamsVoice, actual } = await policyOf(services, input);
    if (!actual) await teamsVoice.createVoiceRoutingPolicy(input.tenantId, desired);
    else if (policyDifferences(actual).length > 0)
      await teamsVoice.setVoiceRoutingPolicy(input.tenantId, desired);
    return undefined;
  },
  async check({ services, input }) {
    return policyDifferences((await policyOf(services, input)).actual);
  },
  async undo({ services, input }) {
    const { teamsVoice } = directRoutingPorts(services);
    await teamsVoice.removeVoiceRoutingPolicy(input.tenantId, teamsObjectName);
  },
});
