import { eq, sql } from "drizzle-orm";
import type { LoginBody } from "../../../../shared/contracts/auth.ts";
import { organizationPosition } from "../../../authz/tenancy.ts";
import { type Ctx, inTransaction } from "../../../context.ts";
import { accounts, sessions } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { decoyPasswordHash, verifyPassword } from "../../../lib/passwords.ts";
import { hashToken, randomToken } from "../../../lib/secrets.ts";
import type { Services } from "../../../services.ts";
import { findAccountByLogin } from "../accounts.queries.ts";

const invalid = () => new AppError("invalid_credentials", "The login or password is not correct");

type SignInInput = LoginBody & {
  clientAddress: string | null;
  userAgent: string | null;
  previousSessionToken?: string | undefined;
};

type FoundAccount = NonNullable<Awaited<ReturnType<typeof findAccountByLogin>>>;

/**
 * Checks a login and password and opens a session, ending the session the browser had
 * (`previousSessionToken`). Repeated failures lock the account for a while (the lock is per
 * account; per-address throttling is the rate limiter's job). A locked account answers exactly
 * like wrong credentials, after the same work, so the answer does not tell that it exists. The
 * password checks run outside any transaction; the failure count and the session each commit in
 * their own.
 */
export async function signIn(
  services: Services,
  input: SignInInput,
): Promise<{ token: string; expiresAt: Date }> {
  const now = services.now();
  const found = await findAccountByLogin(services.db, input.login);
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
    const system = { actor: null, label: "system", clientAddress: input.clientAddress };
    await inTransaction(services, system, (ctx) => countFailedSignIn(ctx, found));
    throw invalid();
  }
  if (organization.status === "disabled" || found.parentStatus === "disabled") {
    throw new AppError("account_disabled", "This account's organization is disabled");
  }
  const who = { actor: null, label: account.email, clientAddress: input.clientAddress };
  return inTransaction(services, who, (ctx) => openSession(ctx, account.id, input));
}

/**
 * Counts a wrong password against the account; the failure that reaches `LOGIN_MAX_FAILURES`
 * locks it for `LOGIN_LOCK_MINUTES` instead, and is recorded.
 */
async function countFailedSignIn(ctx: Ctx, { account, organization }: FoundAccount) {
  const { env } = ctx.services;
  const locks = account.failedLoginCount + 1 >= env.LOGIN_MAX_FAILURES;
  await ctx.tx
    .update(accounts)
    .set(
      locks
        ? {
            failedLoginCount: 0,
            lockedUntil: new Date(ctx.now.getTime() + env.LOGIN_LOCK_MINUTES * 60_000),
          }
        : { failedLoginCount: sql`${accounts.failedLoginCount} + 1` },
    )
    .where(eq(accounts.id, account.id));
  if (!locks) return;
  await ctx.emit("account.locked", {
    subject: { type: "account", id: account.id, label: account.email },
    path: pathOf(organization),
    payload: { after: { lockedForMinutes: env.LOGIN_LOCK_MINUTES } },
  });
}

/** Opens a session for the account (clearing its failures) and ends the browser's previous one. */
async function openSession(
  ctx: Ctx,
  accountId: string,
  input: SignInInput,
): Promise<{ token: string; expiresAt: Date }> {
  const { tx, now } = ctx;
  const token = randomToken();
  const expiresAt = new Date(now.getTime() + ctx.services.env.SESSION_TTL_HOURS * 3_600_000);
  await tx
    .update(accounts)
    .set({ failedLoginCount: 0, lockedUntil: null, lastLoginAt: now })
    .where(eq(accounts.id, accountId));
  if (input.previousSessionToken)
    await tx.delete(sessions).where(eq(sessions.tokenHash, hashToken(input.previousSessionToken)));
  await tx.insert(sessions).values({
    tokenHash: hashToken(token),
    accountId,
    csrfToken: randomToken(24),
    clientAddress: input.clientAddress,
    userAgent: input.userAgent?.slice(0, 300) ?? null,
    expiresAt,
  });
  return { token, expiresAt };
}

/** Where an organization sits in the tree, for events about it or its accounts. */
export function pathOf(organization: {
  id: string;
  kind: string;
  masterResellerId: string | null;
}) {
  return organizationPosition(organization);
}

/** Ends one session (signing out); a session already gone is not an error. */
export async function signOut(ctx: Ctx, tokenHash: string): Promise<void> {
  await ctx.tx.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}
