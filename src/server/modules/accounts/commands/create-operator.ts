import { eq } from "drizzle-orm";
import { newId } from "../../../../shared/ids.ts";
import type { Db } from "../../../db/client.ts";
import { organizations } from "../../../db/schema/index.ts";
import { temporaryPassword } from "../../../lib/passwords.ts";
import { recordAudit } from "../../audit/index.ts";
import { createAccount } from "./create-account.ts";

export interface OperatorLogin {
  email: string;
  username: string;
  password: string;
}

async function operatorOrganization(tx: Db) {
  const [existing] = await tx
    .select()
    .from(organizations)
    .where(eq(organizations.kind, "operator"))
    .limit(1);
  if (existing) return { organization: existing, isNew: false };
  const [organization] = await tx
    .insert(organizations)
    .values({
      id: newId("organization"),
      kind: "operator",
      name: "Operator",
      email: "operator@teamgate.invalid",
      status: "active",
    })
    .returning();
  return { organization: organization!, isNew: true };
}

/**
 * Creates an operator admin with a one-time password (to be changed at first login); the operator
 * organization is created with the first one. The password is returned once and never stored.
 */
export async function createOperatorAdmin(
  db: Db,
  input: { email: string; username: string; name?: string },
): Promise<OperatorLogin> {
  const password = temporaryPassword();
  await db.transaction(async (tx) => {
    const { organization, isNew } = await operatorOrganization(tx);
    const account = await createAccount(tx, {
      organizationId: organization.id,
      name: input.name ?? "Operator admin",
      email: input.email,
      username: input.username,
      password,
      isFirstAdmin: isNew,
      mustChangePassword: true,
    });
    await recordAudit(
      tx,
      { actor: null, label: "system", clientAddress: null },
      {
        action: "account.created",
        target: { type: "account", id: account.id, label: account.email },
        path: {},
        after: { email: account.email, username: account.username, role: "operator" },
      },
    );
  });
  return { email: input.email, username: input.username, password };
}

/** On first start: the operator admin if there is none yet, else null (nothing is printed again). */
export async function seedOperatorOnFirstStart(db: Db): Promise<OperatorLogin | null> {
  const [existing] = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.kind, "operator"))
    .limit(1);
  if (existing) return null;
  return createOperatorAdmin(db, { email: "operator@teamgate.localhost", username: "operator" });
}
