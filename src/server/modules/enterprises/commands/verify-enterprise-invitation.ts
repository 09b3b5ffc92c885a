import type { VerifyEnterpriseInvitationBody } from "../../../../shared/contracts/enterprises.ts";
import { AppError } from "../../../lib/errors.ts";
import type { Services } from "../../../services.ts";
import { checkInvitationCode, getLiveInvitation } from "../../invitations/index.ts";
import { findInvitedEnterprise } from "../enterprises.queries.ts";

const kind = "enterprise_registration";

/**
 * The invitation behind a Complete link and its enterprise, or 410 `invitation_invalid` when the
 * link is unknown, used, revoked or expired, or the enterprise is gone, disabled or no longer
 * waiting for registration.
 */
export async function getInvitedEnterprise(services: Services, token: string) {
  const invitation = await getLiveInvitation(services, kind, token);
  const found = await findInvitedEnterprise(services.db, invitation);
  if (found?.enterprise.status !== "invited") {
    throw new AppError(
      "invitation_invalid",
      "This invitation is no longer valid. Ask your service provider for a new invitation.",
    );
  }
  return { invitation, ...found };
}

/**
 * Checks the code typed on the Complete page against the link's invitation (seed 3: "copy the
 * Invitation Code and click Complete"). A wrong code is 400 on `code` and counts an attempt; a
 * correct one does not consume the invitation: the Microsoft sign-in that follows does.
 */
export async function verifyEnterpriseInvitation(
  services: Services,
  input: VerifyEnterpriseInvitationBody,
) {
  // The link and the enterprise first: a disabled enterprise's link is dead whatever the code.
  const found = await getInvitedEnterprise(services, input.token);
  await checkInvitationCode(services, { kind, token: input.token, code: input.code });
  return found;
}
