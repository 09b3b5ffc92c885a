import { and, eq, isNull } from "drizzle-orm";
import { type PortalActor, whoOf } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import { accounts, sessions } from "../../../db/schema/index.ts";
import { AppError, notFound } from "../../../lib/errors.ts";
import { hashPassword, temporaryPassword } from "../../../lib/passwords.ts";
import type { Services } from "../../../services.ts";
import { pathOf, revokePasswordResets } from "../../accounts/index.ts";
import { recordAudit } from "../../audit/index.ts";
import type { Organization } from "../organizations.policy.ts";
import type { Account } from "../organizations.queries.ts";

/**
 * Gives an admin a new one-time password it must change at next sign-in, clears its lock and
 * ends its sessions. The first admin's password can be reset only by itself or by the operator,
 * so another admin cannot take over the account that may not be deleted.
 */
export async function resetAdminPassword(
  services: Services,
  actor: PortalActor,
  org: Scoped<Organization>,
  target: Account,
): Promise<{ account: Account; temporaryPassword: string }> {
  if (target.isFirstAdmin && target.id !== actor.accountId && actor.role !== "operator")
    throw new AppError(
      "invalid_state",
      "The password of the organization's first admin can only be reset by that admin or by the operator",
    );
  const password = temporaryPassword();
  const passwordHash = await hashPassword(password);
  const account = await services.db.transaction(async (tx) => {
    const [row] = await tx
      .update(accounts)
      .set({
        passwordHash,
        mustChangePassword: true,
        failedLoginCount: 0,
        lockedUntil: null,
        updatedAt: services.now(),
      })
      .where(and(eq(accounts.id, target.id), isNull(accounts.deletedAt)))
      .returning();
    if (!row) throw notFound("Admin");
    await tx.delete(sessions).where(eq(sessions.accountId, target.id));
    await revokePasswordResets(tx, target.id, services.now());
    await recordAudit(tx, whoOf(actor), {
      action: "account.password_reset_by_admin",
      target: { type: "account", id: target.id, label: target.email },
      path: pathOf(org),
      before: { mustChangePassword: target.mustChangePassword, lockedUntil: target.lockedUntil },
      after: { mustChangePassword: true, lockedUntil: null },
    });
    return row!;
  });
  return { account, temporaryPassword: password };
}
