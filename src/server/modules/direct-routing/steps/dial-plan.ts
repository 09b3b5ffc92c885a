import type { NormalizationRule, TenantDialPlan } from "../../../integrations/teams-voice/port.ts";
import type { Services } from "../../../services.ts";
import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts } from "../direct-routing.queries.ts";
import { teamsObjectName } from "./names.ts";

/**
 * How Teams rewrites what a user dials before routing it: PBX extensions stay as dialled (the PBX
 * knows them), a number already in E.164 stays, other numbers of 8 or more digits gain a `+`.
 */
export const normalizationRules: NormalizationRule[] = [
  {
    name: "Teamgate extensions",
    pattern: "^(\\d{1,7})$",
    translation: "$1",
    description: "A PBX extension, sent as dialled",
    isInternalExtension: true,
  },
  {
    name: "Teamgate E.164",
    pattern: "^\\+(\\d{7,15})$",
    translation: "+$1",
    description: "A number in E.164, kept",
  },
  {
    name: "Teamgate international",
    pattern: "^(\\d{8,15})$",
    translation: "+$1",
    description: "A full number without its +",
  },
];

const desired: TenantDialPlan = {
  identity: teamsObjectName,
  normalizationRules,
  description: "Dialling to the PBX through Teamgate",
};

const ruleKey = (r: NormalizationRule) => JSON.stringify([r.name, r.pattern, r.translation]);

/** What is wrong with the tenant's dial plan of our name (empty: its rules are ours, in order). */
function dialPlanDifferences(actual: TenantDialPlan | null): string[] {
  const name = `The dial plan ${desired.identity}`;
  if (!actual) return [`${name} is missing`];
  const rules = actual.normalizationRules.map(ruleKey).join("\n");
  return rules === normalizationRules.map(ruleKey).join("\n")
    ? []
    : [`${name}'s normalisation rules were changed`];
}

async function dialPlanOf(services: Services, input: DirectRoutingInput) {
  const { teamsVoice } = directRoutingPorts(services);
  return {
    teamsVoice,
    actual: await teamsVoice.getTenantDialPlan(input.tenantId, desired.identity),
  };
}

/** Guarantees the tenant dial plan with our normalisation rules, in this order. */
export const createDialPlan = defineStep<DirectRoutingInput>({
  id: "direct-routing.dial-plan",
  title: "Create the dial plan",
  async run({ services, input }) {
    const { teamsVoice, actual } = await dialPlanOf(services, input);
    if (!actual) await teamsVoice.createTenantDialPlan(input.tenantId, desired);
    else if (dialPlanDifferences(actual).length > 0)
      await teamsVoice.setTenantDialPlan(input.tenantId, desired);
    return undefined;
  },
  async check({ services, input }) {
    return dialPlanDifferences((await dialPlanOf(services, input)).actual);
  },
  async undo({ services, input }) {
    const { teamsVoice } = directRoutingPorts(services);
    await teamsVoice.removeTenantDialPlan(input.tenantId, teamsObjectName);
  },
});
