import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts } from "../direct-routing.queries.ts";
import { teamsObjectName } from "./names.ts";

/** Guarantees the voice routing policy that users configured for calling are granted. */
export const createVoiceRoutingPolicy = defineStep<DirectRoutingInput>({
  id: "direct-routing.voice-routing-policy",
  title: "Create the voice routing policy",
  async run({ services, input }) {
    const { teamsVoice } = directRoutingPorts(services);
    const desired = {
      identity: teamsObjectName,
      onlinePstnUsages: [teamsObjectName],
      description: "Users whose calls go to the PBX through Teamgate",
    };
    const actual = await teamsVoice.getVoiceRoutingPolicy(input.tenantId, desired.identity);
    if (!actual) await teamsVoice.createVoiceRoutingPolicy(input.tenantId, desired);
    else if (actual.onlinePstnUsages.join() !== desired.onlinePstnUsages.join())
      await teamsVoice.setVoiceRoutingPolicy(input.tenantId, desired);
    return undefined;
  },
  async undo({ services, input }) {
    const { teamsVoice } = directRoutingPorts(services);
    await teamsVoice.removeVoiceRoutingPolicy(input.tenantId, teamsObjectName);
  },
});
