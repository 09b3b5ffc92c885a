import type { CreateAdminBody } from "../../../../shared/contracts/organizations.ts";
import { type PortalActor, whoOf } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import { temporaryPassword } from "../../../lib/passwords.ts";
import type { Services } from "../../../services.ts";
import { createAccount, pathOf } from "../../accounts/index.ts";
import { recordAudit } from "../../audit/index.ts";
import { assertStatusAllows, type Organization } from "../organizations.policy.ts";
import type { Account } from "../organizations.queries.ts";

/**
 * Adds an admin to an activated organization with a one-time password it must change at first
 * sign-in; the e-mail is claimed globally (a taken one is a 409 on `email`). The password is
 * returned once, never stored in clear nor audited.
 */
export async function createAdmin(
  services: Services,
  actor: PortalActor,
  org: Scoped<Organization>,
  input: CreateAdminBody,
): Promise<{ account: Account; temporaryPassword: string }> {
  assertStatusAllows("manage_admins", org.status);
  const password = temporaryPassword();
  const account = await services.db.transaction(async (tx) => {
    const row = await createAccount(tx, {
      organizationId: org.id,
      name: input.name,
      email: input.email,
      username: input.username,
      password,
      mustChangePassword: true,
    });
    await recordAudit(tx, whoOf(actor), {
      action: "account.created",
      target: { type: "account", id: row.id, label: row.email },
      path: pathOf(org),
      after: {
        organizationId: org.id,
        name: row.name,
        email: row.email,
        username: row.username,
        mustChangePassword: true,
      },
    });
    return row;
  });
  return { account, temporaryPassword: password };
}
