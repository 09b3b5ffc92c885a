import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts } from "../direct-routing.queries.ts";
import { teamsObjectName } from "./names.ts";

/** Guarantees the tenant's global PSTN usages include ours, which the route and policy name. */
export const createPstnUsage = defineStep<DirectRoutingInput>({
  id: "direct-routing.pstn-usage",
  title: "Add the PSTN usage",
  async run({ services, input }) {
    const { teamsVoice } = directRoutingPorts(services);
    const usages = await teamsVoice.listPstnUsages(input.tenantId);
    if (!usages.includes(teamsObjectName))
      await teamsVoice.addPstnUsage(input.tenantId, teamsObjectName);
    return undefined;
  },
  async check({ services, input }) {
    const { teamsVoice } = directRoutingPorts(services);
    return (await teamsVoice.listPstnUsages(input.tenantId)).includes(teamsObjectName)
      ? []
      : [`The PSTN usage ${teamsObjectName} is missing`];
  },
  async undo({ services, input }) {
    const { teamsVoice } = directRoutingPorts(services);
    await teamsVoice.removePstnUsage(input.tenantId, teamsObjectName);
  },
});
