import type { directRoutingPorts } from "../direct-routing.queries.ts";
import { activationUserOf } from "./names.ts";

type Ports = ReturnType<typeof directRoutingPorts>;

/** Deletes the disabled user that activates `fqdn`, when it exists. */
export async function removeActivationUser(
  { microsoft }: Ports,
  tenantId: string,
  fqdn: string,
): Promise<void> {
  const { userPrincipalName } = activationUserOf(fqdn);
  const user = await microsoft.findUserByPrincipalName(tenantId, userPrincipalName);
  if (user) await microsoft.removeUser(tenantId, user.id);
}

/**
 * Takes the domain's verification record out of DNS. Only the tenant knows the record's text, so
 * it must run while the domain is still there; a domain already gone leaves nothing to find.
 */
export async function unpublishVerificationRecord(
  { microsoft, dns }: Ports,
  tenantId: string,
  fqdn: string,
): Promise<void> {
  if (!(await microsoft.getDomain(tenantId, fqdn))) return;
  await dns.removeTxt(fqdn, await microsoft.domainVerificationText(tenantId, fqdn));
}
