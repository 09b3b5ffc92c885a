import { and, eq, isNull } from "drizzle-orm";
import type { PortalActor } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { accounts, sessions } from "../../../db/schema/index.ts";
import { AppError, notFound } from "../../../lib/errors.ts";
import { hashPassword, temporaryPassword } from "../../../lib/passwords.ts";
import { pathOf, revokePasswordResets } from "../../accounts/index.ts";
import { adminActionRefusal, type Organization } from "../organizations.policy.ts";
import type { Account } from "../organizations.queries.ts";

/** A one-time password and its hash. */
export interface TemporaryPassword {
  password: string;
  passwordHash: string;
}

/** A new one-time password, hashed: slow work, done before the transaction that stores it. */
export async function newTemporaryPassword(): Promise<TemporaryPassword> {
  const password = temporaryPassword();
  return { password, passwordHash: await hashPassword(password) };
}

/**
 * Gives an admin a new one-time password (already hashed) it must change at next sign-in, clears
 * its lock and ends its sessions, when `adminActionRefusal` allows it.
 */
export async function resetAdminPassword(
  ctx: Ctx,
  actor: PortalActor,
  org: Scoped<Organization>,
  target: Account,
  passwordHash: string,
): Promise<Account> {
  const refusal = adminActionRefusal(actor, target, "reset_password");
  if (refusal) throw new AppError("invalid_state", refusal);
  const { tx, now } = ctx;
  const [row] = await tx
    .update(accounts)
    .set({
      passwordHash,
      mustChangePassword: true,
      failedLoginCount: 0,
      lockedUntil: null,
      updatedAt: now,
    })
    .where(and(eq(accounts.id, target.id), isNull(accounts.deletedAt)))
    .returning();
  if (!row) throw notFound("Admin");
  await tx.delete(sessions).where(eq(sessions.accountId, target.id));
  await revokePasswordResets(tx, target.id, now);
  await ctx.emit("account.password_reset_by_admin", {
    subject: { type: "account", id: target.id, label: target.email },
    path: pathOf(org),
    payload: {
      before: {
        mustChangePassword: target.mustChangePassword,
        lockedUntil: target.lockedUntil?.toISOString() ?? null,
      },
      after: { mustChangePassword: true, lockedUntil: null },
    },
  });
  return row;
}
