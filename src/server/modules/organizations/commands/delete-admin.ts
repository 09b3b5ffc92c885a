import { and, eq, isNull } from "drizzle-orm";
import { type PortalActor, whoOf } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import { accounts, sessions } from "../../../db/schema/index.ts";
import { AppError, notFound } from "../../../lib/errors.ts";
import type { Services } from "../../../services.ts";
import { pathOf, releaseEmail } from "../../accounts/index.ts";
import { recordAudit } from "../../audit/index.ts";
import type { Organization } from "../organizations.policy.ts";
import type { Account } from "../organizations.queries.ts";

/**
 * Soft-deletes an admin: it can no longer sign in (sessions deleted, `deletedAt` set) and its
 * e-mail claim is released. Nobody deletes themselves, and the first admin of an organization
 * cannot be deleted by the others (SPEC §1): both are 409 `invalid_state`.
 */
export async function deleteAdmin(
  services: Services,
  actor: PortalActor,
  org: Scoped<Organization>,
  target: Account,
): Promise<void> {
  if (target.id === actor.accountId)
    throw new AppError("invalid_state", "You cannot delete your own account");
  if (target.isFirstAdmin)
    throw new AppError(
      "invalid_state",
      "The first admin of an organization cannot be deleted by the other admins",
    );
  const now = services.now();
  await services.db.transaction(async (tx) => {
    const deleted = await tx
      .update(accounts)
      .set({ deletedAt: now, updatedAt: now })
      .where(and(eq(accounts.id, target.id), isNull(accounts.deletedAt)))
      .returning({ id: accounts.id });
    if (deleted.length === 0) throw notFound("Admin");
    await releaseEmail(tx, target.email, { type: "account", id: target.id });
    await tx.delete(sessions).where(eq(sessions.accountId, target.id));
    await recordAudit(tx, whoOf(actor), {
      action: "account.deleted",
      target: { type: "account", id: target.id, label: target.email },
      path: pathOf(org),
      before: { name: target.name, email: target.email, username: target.username },
      after: { deletedAt: now },
    });
  });
}
