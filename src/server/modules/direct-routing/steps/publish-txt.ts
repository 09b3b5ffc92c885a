import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts, routesOf, selectedRoutesOf } from "../direct-routing.queries.ts";
import { advanceDomainState } from "./domain-state.ts";
import { unpublishVerificationRecord } from "./trunk-removal.ts";

/** Guarantees the TXT record Microsoft asks for is published for each unverified domain. */
export const publishTxt = defineStep<DirectRoutingInput>({
  id: "direct-routing.publish-txt",
  title: "Publish the domains' verification records in DNS",
  async run({ services, input }) {
    const { microsoft, dns } = directRoutingPorts(services);
    for (const route of await selectedRoutesOf(services.db, input.enterpriseId)) {
      const domain = await microsoft.getDomain(input.tenantId, route.fqdn);
      if (!domain || domain.isVerified) continue;
      const text = await microsoft.domainVerificationText(input.tenantId, route.fqdn);
      await dns.publishTxt(route.fqdn, text);
    }
    return undefined;
  },
  async finish(ctx, { input }) {
    await advanceDomainState(ctx, input.enterpriseId, ["pending", "added"], "txt_published");
  },
  /** Once a domain is verified its record is no longer needed; until then it must resolve. */
  async check({ services, input }) {
    const { microsoft, dns } = directRoutingPorts(services);
    const differences: string[] = [];
    for (const route of await selectedRoutesOf(services.db, input.enterpriseId)) {
      const domain = await microsoft.getDomain(input.tenantId, route.fqdn);
      if (domain?.isVerified) continue;
      if (!domain) {
        differences.push(`${route.fqdn} must be verified again: its new record is not published`);
        continue;
      }
      const text = await microsoft.domainVerificationText(input.tenantId, route.fqdn);
      if (!(await dns.lookupTxt(route.fqdn)).includes(text))
        differences.push(`The verification record of ${route.fqdn} is not published in DNS`);
    }
    return differences;
  },
  async undo({ services, input }) {
    const ports = directRoutingPorts(services);
    for (const route of await routesOf(services.db, input.enterpriseId))
      await unpublishVerificationRecord(ports, input.tenantId, route.fqdn);
  },
});
