import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts, routesOf, selectedRoutesOf } from "../direct-routing.queries.ts";
import { advanceDomainState } from "./domain-state.ts";

/** Guarantees each derived trunk FQDN is a domain of the customer's tenant (verified or not). */
export const addDomains = defineStep<DirectRoutingInput>({
  id: "direct-routing.add-domains",
  title: "Add the derived trunk domains to the tenant",
  async run({ services, input }) {
    const { microsoft } = directRoutingPorts(services);
    for (const route of await selectedRoutesOf(services.db, input.enterpriseId)) {
      if (!(await microsoft.getDomain(input.tenantId, route.fqdn)))
        await microsoft.addDomain(input.tenantId, route.fqdn);
    }
    return undefined;
  },
  async finish(ctx, { input }) {
    await advanceDomainState(ctx, input.enterpriseId, ["pending"], "added");
  },
  async undo({ services, input }) {
    const { microsoft } = directRoutingPorts(services);
    for (const route of await routesOf(services.db, input.enterpriseId))
      await microsoft.removeDomain(input.tenantId, route.fqdn);
  },
  async check({ services, input }) {
    const { microsoft } = directRoutingPorts(services);
    const differences: string[] = [];
    for (const route of await selectedRoutesOf(services.db, input.enterpriseId))
      if (!(await microsoft.getDomain(input.tenantId, route.fqdn)))
        differences.push(`The domain ${route.fqdn} is no longer in the tenant`);
    return differences;
  },
});
