import { and, eq, isNull } from "drizzle-orm";
import type { PortalActor } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { accounts, sessions } from "../../../db/schema/index.ts";
import { AppError, notFound } from "../../../lib/errors.ts";
import { pathOf, releaseEmail } from "../../accounts/index.ts";
import { adminActionRefusal, type Organization } from "../organizations.policy.ts";
import type { Account } from "../organizations.queries.ts";

/**
 * Soft-deletes an admin: it can no longer sign in (sessions deleted, `deletedAt` set) and its
 * e-mail claim is released. `adminActionRefusal` says who may not be deleted (yourself, the
 * first admin: SPEC §1), as 409 `invalid_state`.
 */
export async function deleteAdmin(
  ctx: Ctx,
  actor: PortalActor,
  org: Scoped<Organization>,
  target: Account,
): Promise<void> {
  const refusal = adminActionRefusal(actor, target, "delete");
  if (refusal) throw new AppError("invalid_state", refusal);
  const { tx, now } = ctx;
  const deleted = await tx
    .update(accounts)
    .set({ deletedAt: now, updatedAt: now })
    .where(and(eq(accounts.id, target.id), isNull(accounts.deletedAt)))
    .returning({ id: accounts.id });
  if (deleted.length === 0) throw notFound("Admin");
  await releaseEmail(tx, target.email, { type: "account", id: target.id });
  await tx.delete(sessions).where(eq(sessions.accountId, target.id));
  await ctx.emit("account.deleted", {
    subject: { type: "account", id: target.id, label: target.email },
    path: pathOf(org),
    payload: {
      before: { name: target.name, email: target.email, username: target.username },
      after: { deletedAt: now.toISOString() },
    },
  });
}
