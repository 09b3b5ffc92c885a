import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { emailClaims } from "../../db/schema/index.ts";
import { fieldError } from "../../lib/errors.ts";

type Owner = { type: "account" | "organization" | "enterprise"; id: string };

/**
 * Claims a login e-mail for its owner, or fails with a field error naming `field` when any account,
 * organization or enterprise of any tier already uses it (SPEC §1). The primary key decides races.
 */
export async function claimEmail(
  tx: Db,
  email: string,
  owner: Owner,
  field = "email",
): Promise<void> {
  const inserted = await tx
    .insert(emailClaims)
    .values({ email: email.toLowerCase(), ownerType: owner.type, ownerId: owner.id })
    .onConflictDoNothing()
    .returning({ email: emailClaims.email });
  if (inserted.length === 0) {
    throw fieldError(
      { [field]: "This e-mail address is already in use" },
      "email_in_use",
      "This e-mail address is already in use",
    );
  }
}

/** Releases the owner's claim on an e-mail (e.g. after an edit changed it). */
export async function releaseEmail(tx: Db, email: string, owner: Owner): Promise<void> {
  await tx
    .delete(emailClaims)
    .where(
      and(
        eq(emailClaims.email, email.toLowerCase()),
        eq(emailClaims.ownerType, owner.type),
        eq(emailClaims.ownerId, owner.id),
      ),
    );
}

/** Moves an existing claim to a new owner (an invited organization's e-mail becomes its first admin's). */
export async function transferEmail(tx: Db, email: string, from: Owner, to: Owner): Promise<void> {
  await tx
    .update(emailClaims)
    .set({ ownerType: to.type, ownerId: to.id })
    .where(
      and(
        eq(emailClaims.email, email.toLowerCase()),
        eq(emailClaims.ownerType, from.type),
        eq(emailClaims.ownerId, from.id),
      ),
    );
}

/** Changes an owner's e-mail: claims the new one first so a taken address changes nothing. */
export async function changeEmail(
  tx: Db,
  from: string,
  to: string,
  owner: Owner,
  field = "email",
): Promise<void> {
  if (from.toLowerCase() === to.toLowerCase()) return;
  await claimEmail(tx, to, owner, field);
  await releaseEmail(tx, from, owner);
}
