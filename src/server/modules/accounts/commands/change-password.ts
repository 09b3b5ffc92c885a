import { and, eq, ne } from "drizzle-orm";
import type { ChangePasswordBody } from "../../../../shared/contracts/auth.ts";
import type { PortalActor } from "../../../authz/actor.ts";
import { whoOf } from "../../../authz/actor.ts";
import { accounts, organizations, sessions } from "../../../db/schema/index.ts";
import { fieldError } from "../../../lib/errors.ts";
import { hashPassword, verifyPassword } from "../../../lib/passwords.ts";
import type { Services } from "../../../services.ts";
import { recordAudit } from "../../audit/index.ts";
import { revokePasswordResets } from "./reset-password.ts";
import { pathOf } from "./sign-in.ts";

/**
 * Changes the actor's own password, clears a pending forced change, ends its other sessions and
 * revokes its open reset links.
 */
export async function changePassword(
  services: Services,
  actor: PortalActor,
  input: ChangePasswordBody,
): Promise<void> {
  const [row] = await services.db
    .select({ account: accounts, organization: organizations })
    .from(accounts)
    .innerJoin(organizations, eq(organizations.id, accounts.organizationId))
    .where(eq(accounts.id, actor.accountId));
  if (!row || !(await verifyPassword(row.account.passwordHash, input.currentPassword))) {
    throw fieldError({ currentPassword: "The current password is not correct" });
  }
  const passwordHash = await hashPassword(input.newPassword);
  await services.db.transaction(async (tx) => {
    await tx
      .update(accounts)
      .set({ passwordHash, mustChangePassword: false, updatedAt: services.now() })
      .where(eq(accounts.id, actor.accountId));
    await tx
      .delete(sessions)
      .where(
        and(
          eq(sessions.accountId, actor.accountId),
          ne(sessions.tokenHash, actor.session.tokenHash),
        ),
      );
    await revokePasswordResets(tx, actor.accountId, services.now());
    await recordAudit(tx, whoOf(actor), {
      action: "account.password_changed",
      target: { type: "account", id: actor.accountId, label: actor.email },
      path: pathOf(row.organization),
    });
  });
}
