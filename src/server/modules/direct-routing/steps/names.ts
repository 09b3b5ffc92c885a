export { teamsObjectName } from "../../../integrations/teams-voice/port.ts";

/** The licensed user that activates a derived trunk domain (Microsoft's carrier model). */
export function activationUserOf(fqdn: string) {
  return {
    userPrincipalName: `teamgate-activation@${fqdn}`,
    displayName: `Teamgate Direct Routing (${fqdn})`,
    mailNickname: "teamgate-activation",
  };
}
