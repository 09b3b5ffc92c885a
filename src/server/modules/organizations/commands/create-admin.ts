import type { CreateAdminBody } from "../../../../shared/contracts/organizations.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { createAccount, pathOf } from "../../accounts/index.ts";
import { assertStatusAllows, type Organization } from "../organizations.policy.ts";
import type { Account } from "../organizations.queries.ts";
import type { TemporaryPassword } from "./reset-admin-password.ts";

/**
 * Adds an admin to an activated organization with a one-time password it must change at first
 * sign-in; the e-mail is claimed globally (a taken one is a 409 on `email`). The password is
 * returned once, never stored in clear nor recorded.
 */
export async function createAdmin(
  ctx: Ctx,
  org: Scoped<Organization>,
  input: CreateAdminBody,
  temporary: TemporaryPassword,
): Promise<{ account: Account; temporaryPassword: string }> {
  assertStatusAllows("manage_admins", org.status);
  const account = await createAccount(ctx.tx, {
    organizationId: org.id,
    name: input.name,
    email: input.email,
    username: input.username,
    passwordHash: temporary.passwordHash,
    mustChangePassword: true,
  });
  await ctx.emit("account.created", {
    subject: { type: "account", id: account.id, label: account.email },
    path: pathOf(org),
    payload: {
      after: {
        organizationId: org.id,
        name: account.name,
        email: account.email,
        username: account.username,
        mustChangePassword: true,
      },
    },
  });
  return { account, temporaryPassword: temporary.password };
}
