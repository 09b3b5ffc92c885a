import { eq, sql } from "drizzle-orm";
import type { LoginBody } from "../../../../shared/contracts/auth.ts";
import { accounts, sessions } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { decoyPasswordHash, verifyPassword } from "../../../lib/passwords.ts";
import { hashToken, randomToken } from "../../../lib/secrets.ts";
import type { Services } from "../../../services.ts";
import { recordAudit } from "../../audit/index.ts";
import { findAccountByLogin } from "../accounts.queries.ts";

const invalid = () => new AppError("invalid_credentials", "The login or password is not correct");

/**
 * Checks a login and password and opens a session, ending the session the browser had
 * (`previousSessionToken`). Repeated failures lock the account for a while (the lock is per
 * account; per-address throttling is the rate limiter's job). A locked account answers exactly
 * like wrong credentials, after the same work, so the answer does not tell that it exists.
 */
export async function signIn(
  services: Services,
  input: LoginBody & {
    clientAddress: string | null;
    userAgent: string | null;
    previousSessionToken?: string | undefined;
  },
): Promise<{ token: string; expiresAt: Date }> {
  const { db, env } = services;
  const now = services.now();
  const found = await findAccountByLogin(db, input.login);
  if (!found) {
    await verifyPassword(await decoyPasswordHash(), input.password);
    throw invalid();
  }
  const { account, organization } = found;
  if (account.lockedUntil && account.lockedUntil > now) {
    await verifyPassword(account.passwordHash, input.password);
    throw invalid();
  }
  if (!(await verifyPassword(account.passwordHash, input.password))) {
    const failures = account.failedLoginCount + 1;
    const locks = failures >= env.LOGIN_MAX_FAILURES;
    await db.transaction(async (tx) => {
      await tx
        .update(accounts)
        .set(
          locks
            ? {
                failedLoginCount: 0,
                lockedUntil: new Date(now.getTime() + env.LOGIN_LOCK_MINUTES * 60_000),
              }
            : { failedLoginCount: sql`${accounts.failedLoginCount} + 1` },
        )
        .where(eq(accounts.id, account.id));
      if (locks) {
        await recordAudit(
          tx,
          { actor: null, label: "system", clientAddress: input.clientAddress },
          {
            action: "account.locked",
            target: { type: "account", id: account.id, label: account.email },
            path: pathOf(organization),
            after: { lockedForMinutes: env.LOGIN_LOCK_MINUTES },
          },
        );
      }
    });
    throw invalid();
  }
  if (organization.status === "disabled" || found.parentStatus === "disabled") {
    throw new AppError("account_disabled", "This account's organization is disabled");
  }
  const token = randomToken();
  const expiresAt = new Date(now.getTime() + env.SESSION_TTL_HOURS * 3_600_000);
  await db.transaction(async (tx) => {
    await tx
      .update(accounts)
      .set({ failedLoginCount: 0, lockedUntil: null, lastLoginAt: now })
      .where(eq(accounts.id, account.id));
    if (input.previousSessionToken)
      await tx
        .delete(sessions)
        .where(eq(sessions.tokenHash, hashToken(input.previousSessionToken)));
    await tx.insert(sessions).values({
      tokenHash: hashToken(token),
      accountId: account.id,
      csrfToken: randomToken(24),
      clientAddress: input.clientAddress,
      userAgent: input.userAgent?.slice(0, 300) ?? null,
      expiresAt,
    });
  });
  return { token, expiresAt };
}

/** Where an organization sits in the tree, for audit entries about it or its accounts. */
export function pathOf(organization: {
  id: string;
  kind: string;
  masterResellerId: string | null;
}) {
  return {
    masterResellerId:
      organization.kind === "master_reseller" ? organization.id : organization.masterResellerId,
    resellerId: organization.kind === "reseller" ? organization.id : null,
  };
}

export async function signOut(services: Services, tokenHash: string): Promise<void> {
  await services.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}
