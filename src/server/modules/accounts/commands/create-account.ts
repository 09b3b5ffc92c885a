import { sql } from "drizzle-orm";
import { newId } from "../../../../shared/ids.ts";
import type { Db } from "../../../db/client.ts";
import { accounts } from "../../../db/schema/index.ts";
import { fieldError } from "../../../lib/errors.ts";
import { isUniqueViolation } from "../../../lib/sql.ts";
import { claimEmail } from "../email-claims.ts";

export interface CreateAccountInput {
  organizationId: string;
  name: string;
  email: string;
  username: string;
  /** Hashed before the transaction (argon2 is slow; a transaction must stay short). */
  passwordHash: string;
  isFirstAdmin?: boolean;
  mustChangePassword?: boolean;
  /** Set when the e-mail is already claimed for this account (e.g. transferred from an invitation). */
  emailAlreadyClaimed?: boolean;
}

/** Creates a portal account; the e-mail is claimed globally and the username is unique. */
export async function createAccount(
  tx: Db,
  input: CreateAccountInput,
): Promise<typeof accounts.$inferSelect> {
  const id = newId("account");
  const email = input.email.toLowerCase();
  if (!input.emailAlreadyClaimed) await claimEmail(tx, email, { type: "account", id });
  const taken = await tx
    .select({ id: accounts.id })
    .from(accounts)
    .where(sql`lower(${accounts.username}) = ${input.username.toLowerCase()}`)
    .limit(1);
  const usernameTaken = () =>
    fieldError(
      { username: "This username is already taken" },
      "conflict",
      "This username is already taken",
    );
  if (taken.length > 0) throw usernameTaken();
  const [row] = await tx
    .insert(accounts)
    .values({
      id,
      organizationId: input.organizationId,
      name: input.name,
      email,
      username: input.username.toLowerCase(),
      passwordHash: input.passwordHash,
      isFirstAdmin: input.isFirstAdmin ?? false,
      mustChangePassword: input.mustChangePassword ?? false,
    })
    .returning()
    .catch((e: unknown) => {
      throw isUniqueViolation(e, "accounts_username_key") ? usernameTaken() : e;
    });
  return row!;
}
