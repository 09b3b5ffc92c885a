import { and, eq, gt, isNull } from "drizzle-orm";
import type { PasswordResetCompleteBody } from "../../../../shared/contracts/auth.ts";
import { newId } from "../../../../shared/ids.ts";
import { type Ctx, inTransaction } from "../../../context.ts";
import type { Db } from "../../../db/client.ts";
import { accounts, organizations, passwordResets, sessions } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { hashPassword } from "../../../lib/passwords.ts";
import { hashToken, randomToken, seal } from "../../../lib/secrets.ts";
import type { Services } from "../../../services.ts";
import { findAccountByLogin } from "../accounts.queries.ts";
import { sendPasswordResetJob } from "../jobs/send-password-reset.job.ts";
import { pathOf } from "./sign-in.ts";

const resetTtlMs = 60 * 60 * 1000;

/**
 * How long a reset request takes at least, whether the e-mail has an account or not, so the time
 * of the answer does not tell (the work a real account causes stays well below it).
 */
export const resetRequestFloorMs = 400;

/** Ends every open reset link of the account (its password changed, or one link was used). */
export async function revokePasswordResets(tx: Db, accountId: string, now: Date): Promise<void> {
  await tx
    .update(passwordResets)
    .set({ usedAt: now })
    .where(and(eq(passwordResets.accountId, accountId), isNull(passwordResets.usedAt)));
}

/**
 * Starts a password reset for the account with this e-mail, if there is one, in its own
 * transaction. The caller answers the same either way, so the endpoint does not reveal which
 * e-mails have accounts.
 */
export async function requestPasswordReset(
  services: Services,
  email: string,
  clientAddress: string | null,
): Promise<void> {
  const started = performance.now();
  try {
    const found = await findAccountByLogin(services.db, email);
    if (!found || found.organization.status === "disabled") return;
    const who = { actor: null, label: found.account.email, clientAddress };
    await inTransaction(services, who, (ctx) => startPasswordReset(ctx, found));
  } finally {
    const wait = resetRequestFloorMs - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

type AccountWithOrganization = NonNullable<Awaited<ReturnType<typeof findAccountByLogin>>>;

/** Stores a reset link for the account and queues its e-mail (the token travels sealed). */
async function startPasswordReset(
  ctx: Ctx,
  { account, organization }: AccountWithOrganization,
): Promise<void> {
  const token = randomToken();
  const id = newId("passwordReset");
  await ctx.tx.insert(passwordResets).values({
    id,
    accountId: account.id,
    tokenHash: hashToken(token),
    expiresAt: new Date(ctx.now.getTime() + resetTtlMs),
  });
  await ctx.emit("account.password_reset_requested", {
    subject: { type: "account", id: account.id, label: account.email },
    path: pathOf(organization),
    payload: {},
  });
  await ctx.enqueue(sendPasswordResetJob, {
    resetId: id,
    sealedToken: seal(ctx.services.secret, token),
  });
}

/** A checked reset link: its id, its account and organization, and the new password's hash. */
export interface PasswordReset {
  resetId: string;
  account: typeof accounts.$inferSelect;
  organization: typeof organizations.$inferSelect;
  passwordHash: string;
}

/**
 * Finds the valid, unused reset link (else 410 `invitation_invalid`) and hashes the new password:
 * slow work, done before the transaction.
 */
export async function checkPasswordReset(
  services: Services,
  input: PasswordResetCompleteBody,
): Promise<PasswordReset> {
  const [row] = await services.db
    .select({ reset: passwordResets, account: accounts, organization: organizations })
    .from(passwordResets)
    .innerJoin(accounts, eq(accounts.id, passwordResets.accountId))
    .innerJoin(organizations, eq(organizations.id, accounts.organizationId))
    .where(
      and(
        eq(passwordResets.tokenHash, hashToken(input.token)),
        isNull(passwordResets.usedAt),
        gt(passwordResets.expiresAt, services.now()),
      ),
    );
  if (!row)
    throw new AppError(
      "invitation_invalid",
      "This reset link is invalid, used or expired. Ask for a new one.",
    );
  return {
    resetId: row.reset.id,
    account: row.account,
    organization: row.organization,
    passwordHash: await hashPassword(input.password),
  };
}

/**
 * Sets the new password of a checked reset link, unless another request used the link first; ends
 * every session of the account and every other open reset link.
 */
export async function completePasswordReset(ctx: Ctx, reset: PasswordReset): Promise<void> {
  const { tx, now } = ctx;
  const used = await tx
    .update(passwordResets)
    .set({ usedAt: now })
    .where(and(eq(passwordResets.id, reset.resetId), isNull(passwordResets.usedAt)))
    .returning({ id: passwordResets.id });
  if (used.length === 0)
    throw new AppError("invitation_invalid", "This reset link has already been used.");
  await tx
    .update(accounts)
    .set({
      passwordHash: reset.passwordHash,
      mustChangePassword: false,
      failedLoginCount: 0,
      lockedUntil: null,
      updatedAt: now,
    })
    .where(eq(accounts.id, reset.account.id));
  await tx.delete(sessions).where(eq(sessions.accountId, reset.account.id));
  await revokePasswordResets(tx, reset.account.id, now);
  await ctx.emit("account.password_reset", {
    subject: { type: "account", id: reset.account.id, label: reset.account.email },
    path: pathOf(reset.organization),
    payload: {},
  });
}
