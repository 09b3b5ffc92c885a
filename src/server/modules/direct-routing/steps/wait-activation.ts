import type { Services } from "../../../services.ts";
import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts, selectedRoutesOf } from "../direct-routing.queries.ts";
import { advanceDomainState } from "./domain-state.ts";

/** Checks before giving up: Microsoft says activation can take up to 24 hours; allow two days. */
export const activationChecks = 52;
/** The wait before check `attempt + 1`: 2 minutes, doubling, at most an hour. */
export function activationWaitSeconds(attempt: number): number {
  return Math.min(120 * 2 ** (attempt - 1), 3600);
}

/** The derived trunk domains Microsoft does not serve for Direct Routing (yet). */
async function inactiveDomains(services: Services, input: DirectRoutingInput): Promise<string[]> {
  const { teamsVoice } = directRoutingPorts(services);
  const pending: string[] = [];
  for (const route of await selectedRoutesOf(services.db, input.enterpriseId))
    if ((await teamsVoice.getDomainActivation(input.tenantId, route.fqdn)) !== "active")
      pending.push(route.fqdn);
  return pending;
}

/** Guarantees Microsoft serves every derived trunk domain for Direct Routing (activated). */
export const waitForActivation = defineStep<DirectRoutingInput>({
  id: "direct-routing.wait-activation",
  title: "Wait until Microsoft activates the domains",
  async run({ services, input, attempt }) {
    const pending = await inactiveDomains(services, input);
    if (pending.length === 0) return undefined;
    if (attempt >= activationChecks)
      throw new Error(
        `Microsoft has not activated ${pending.join(", ")} after two days. Check that the activation user still exists and holds a Teams licence, then retry.`,
      );
    return {
      waitSeconds: activationWaitSeconds(attempt),
      reason: `Microsoft is activating ${pending.join(", ")} (this can take up to 24 hours)`,
    };
  },
  async check({ services, input }) {
    return (await inactiveDomains(services, input)).map(
      (fqdn) => `Microsoft no longer serves ${fqdn} for Direct Routing`,
    );
  },
  async finish(ctx, { input }) {
    await advanceDomainState(
      ctx,
      input.enterpriseId,
      ["pending", "added", "txt_published", "verified"],
      "activated",
    );
  },
});
