import { and, eq, ne } from "drizzle-orm";
import type { ChangePasswordBody } from "../../../../shared/contracts/auth.ts";
import type { PortalActor } from "../../../authz/actor.ts";
import type { Ctx } from "../../../context.ts";
import type { Db } from "../../../db/client.ts";
import { accounts, organizations, sessions } from "../../../db/schema/index.ts";
import { fieldError } from "../../../lib/errors.ts";
import { hashPassword, verifyPassword } from "../../../lib/passwords.ts";
import { revokePasswordResets } from "./reset-password.ts";
import { pathOf } from "./sign-in.ts";

/** A checked password change: the new password's hash and the actor's organization. */
export interface PasswordChange {
  passwordHash: string;
  organization: typeof organizations.$inferSelect;
}

/**
 * Checks the actor's current password and hashes the new one (slow work, done before the
 * transaction); a wrong current password is a 400 on `currentPassword`.
 */
export async function checkPasswordChange(
  db: Db,
  actor: PortalActor,
  input: ChangePasswordBody,
): Promise<PasswordChange> {
  const [row] = await db
    .select({ account: accounts, organization: organizations })
    .from(accounts)
    .innerJoin(organizations, eq(organizations.id, accounts.organizationId))
    .where(eq(accounts.id, actor.accountId));
  if (!row || !(await verifyPassword(row.account.passwordHash, input.currentPassword))) {
    throw fieldError({ currentPassword: "The current password is not correct" });
  }
  return { passwordHash: await hashPassword(input.newPassword), organization: row.organization };
}

/**
 * Sets the actor's own password from a checked change, clears a pending forced change, ends its
 * other sessions and revokes its open reset links.
 */
export async function changePassword(
  ctx: Ctx,
  actor: PortalActor,
  change: PasswordChange,
): Promise<void> {
  const { tx, now } = ctx;
  await tx
    .update(accounts)
    .set({ passwordHash: change.passwordHash, mustChangePassword: false, updatedAt: now })
    .where(eq(accounts.id, actor.accountId));
  await tx
    .delete(sessions)
    .where(
      and(eq(sessions.accountId, actor.accountId), ne(sessions.tokenHash, actor.session.tokenHash)),
    );
  await revokePasswordResets(tx, actor.accountId, now);
  await ctx.emit("account.password_changed", {
    subject: { type: "account", id: actor.accountId, label: actor.email },
    path: pathOf(change.organization),
    payload: {},
  });
}
