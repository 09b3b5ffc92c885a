import { and, eq, gt, isNull } from "drizzle-orm";
import type { PasswordResetCompleteBody } from "../../../../shared/contracts/auth.ts";
import { newId } from "../../../../shared/ids.ts";
import type { Db } from "../../../db/client.ts";
import { accounts, organizations, passwordResets, sessions } from "../../../db/schema/index.ts";
import { enqueue } from "../../../jobs/queue.ts";
import { AppError } from "../../../lib/errors.ts";
import { hashPassword } from "../../../lib/passwords.ts";
import { hashToken, randomToken, seal } from "../../../lib/secrets.ts";
import type { Services } from "../../../services.ts";
import { recordAudit } from "../../audit/index.ts";
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
 * Starts a password reset for the account with this e-mail, if there is one. The caller answers
 * the same either way, so the endpoint does not reveal which e-mails have accounts.
 */
export async function requestPasswordReset(
  services: Services,
  email: string,
  clientAddress: string | null,
): Promise<void> {
  const started = performance.now();
  try {
    await startPasswordReset(services, email, clientAddress);
  } finally {
    const wait = resetRequestFloorMs - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

async function startPasswordReset(
  services: Services,
  email: string,
  clientAddress: string | null,
): Promise<void> {
  const found = await findAccountByLogin(services.db, email);
  if (!found || found.organization.status === "disabled") return;
  const token = randomToken();
  const id = newId("passwordReset");
  await services.db.transaction(async (tx) => {
    await tx.insert(passwordResets).values({
      id,
      accountId: found.account.id,
      tokenHash: hashToken(token),
      expiresAt: new Date(services.now().getTime() + resetTtlMs),
    });
    await recordAudit(
      tx,
      { actor: null, label: found.account.email, clientAddress },
      {
        action: "account.password_reset_requested",
        target: { type: "account", id: found.account.id, label: found.account.email },
        path: pathOf(found.organization),
      },
    );
    await enqueue(services.boss, tx, sendPasswordResetJob, {
      resetId: id,
      sealedToken: seal(services.secret, token),
    });
  });
}

/**
 * Sets a new password from a valid, unused reset link; ends every session of the account and every
 * other open reset link.
 */
export async function completePasswordReset(
  services: Services,
  input: PasswordResetCompleteBody,
  clientAddress: string | null,
): Promise<void> {
  const now = services.now();
  const [row] = await services.db
    .select({ reset: passwordResets, account: accounts, organization: organizations })
    .from(passwordResets)
    .innerJoin(accounts, eq(accounts.id, passwordResets.accountId))
    .innerJoin(organizations, eq(organizations.id, accounts.organizationId))
    .where(
      and(
        eq(passwordResets.tokenHash, hashToken(input.token)),
        isNull(passwordResets.usedAt),
        gt(passwordResets.expiresAt, now),
      ),
    );
  if (!row)
    throw new AppError(
      "invitation_invalid",
      "This reset link is invalid, used or expired. Ask for a new one.",
    );
  const passwordHash = await hashPassword(input.password);
  await services.db.transaction(async (tx) => {
    const used = await tx
      .update(passwordResets)
      .set({ usedAt: now })
      .where(and(eq(passwordResets.id, row.reset.id), isNull(passwordResets.usedAt)))
      .returning({ id: passwordResets.id });
    if (used.length === 0)
      throw new AppError("invitation_invalid", "This reset link has already been used.");
    await tx
      .update(accounts)
      .set({
        passwordHash,
        mustChangePassword: false,
        failedLoginCount: 0,
        lockedUntil: null,
        updatedAt: now,
      })
      .where(eq(accounts.id, row.account.id));
    await tx.delete(sessions).where(eq(sessions.accountId, row.account.id));
    await revokePasswordResets(tx, row.account.id, now);
    await recordAudit(
      tx,
      { actor: null, label: row.account.email, clientAddress },
      {
        action: "account.password_reset",
        target: { type: "account", id: row.account.id, label: row.account.email },
        path: pathOf(row.organization),
      },
    );
  });
}
