/**
 * What Direct Routing names in a customer tenant. The tenant belongs to one enterprise, so one
 * name serves every object; an administrator reading the Teams admin center sees whose they are.
 */
export const teamsObjectName = "Teamgate";

/** The licensed user that activates a derived trunk domain (Microsoft's carrier model). */
export function activationUserOf(fqdn: string) {
  return {
    userPrincipalName: `teamgate-activation@${fqdn}`,
    displayName: `Teamgate Direct Routing (${fqdn})`,
    mailNickname: "teamgate-activation",
  };
}
