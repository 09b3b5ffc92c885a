import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts, selectedRoutesOf } from "../direct-routing.queries.ts";
import { advanceDomainState } from "./domain-state.ts";

/** Checks before giving up on DNS: the waits add up to about a day. */
export const verifyChecks = 30;
/** The wait before check `attempt + 1`: 20 s, doubling, at most an hour. */
export function verifyWaitSeconds(attempt: number): number {
  return Math.min(20 * 2 ** (attempt - 1), 3600);
}

/**
 * Guarantees Microsoft has verified each derived trunk domain. Microsoft is asked only once our
 * authoritative DNS answers with the record; until Microsoft's resolvers see it too, the step waits
 * and asks again, with back-off.
 */
export const verifyDomains = defineStep<DirectRoutingInput>({
  id: "direct-routing.verify-domains",
  title: "Verify the domains",
  async run({ services, input, attempt }) {
    const { microsoft, dns } = directRoutingPorts(services);
    const waitingFor: string[] = [];
    for (const route of await selectedRoutesOf(services.db, input.enterpriseId)) {
      const domain = await microsoft.getDomain(input.tenantId, route.fqdn);
      if (domain?.isVerified) continue;
      const text = await microsoft.domainVerificationText(input.tenantId, route.fqdn);
      const published = (await dns.lookupTxt(route.fqdn)).includes(text);
      if (published && (await microsoft.verifyDomain(input.tenantId, route.fqdn))) continue;
      waitingFor.push(
        published ? `Microsoft to see ${route.fqdn}` : `DNS to answer for ${route.fqdn}`,
      );
    }
    if (waitingFor.length === 0) return undefined;
    if (attempt >= verifyChecks)
      throw new Error(
        `Microsoft could not verify ${waitingFor.length === 1 ? "the domain" : "the domains"} after a day of trying: waiting for ${waitingFor.join(", ")}. Check the DNS delegation of the carrier trunk FQDN, then retry.`,
      );
    return {
      waitSeconds: verifyWaitSeconds(attempt),
      reason: `Waiting for ${waitingFor.join(", ")}`,
    };
  },
  async check({ services, input }) {
    const { microsoft } = directRoutingPorts(services);
    const differences: string[] = [];
    for (const route of await selectedRoutesOf(services.db, input.enterpriseId))
      if (!(await microsoft.getDomain(input.tenantId, route.fqdn))?.isVerified)
        differences.push(`The domain ${route.fqdn} is not verified`);
    return differences;
  },
  async finish(ctx, { input }) {
    await advanceDomainState(
      ctx,
      input.enterpriseId,
      ["pending", "added", "txt_published"],
      "verified",
    );
  },
});
