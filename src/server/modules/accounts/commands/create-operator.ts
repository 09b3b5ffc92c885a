import { eq } from "drizzle-orm";
import { newId } from "../../../../shared/ids.ts";
import type { Who } from "../../../authz/actor.ts";
import type { Ctx } from "../../../context.ts";
import type { Db } from "../../../db/client.ts";
import { organizations } from "../../../db/schema/index.ts";
import { hashPassword, temporaryPassword } from "../../../lib/passwords.ts";
import { createAccount } from "./create-account.ts";

export interface OperatorLogin {
  email: string;
  username: string;
  password: string;
}

/** Who sets up operator admins: the platform itself (first start, command line), not a person. */
export const operatorSetup: Who = { actor: null, label: "system", clientAddress: null };

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
  ctx: Ctx,
  input: { email: string; username: string; name?: string },
): Promise<OperatorLogin> {
  const password = temporaryPassword();
  const { organization, isNew } = await operatorOrganization(ctx.tx);
  const account = await createAccount(ctx.tx, {
    organizationId: organization.id,
    name: input.name ?? "Operator admin",
    email: input.email,
    username: input.username,
    // Hashed in the transaction: a one-time setup (first start or the CLI), not a request path.
    passwordHash: await hashPassword(password),
    isFirstAdmin: isNew,
    mustChangePassword: true,
  });
  await ctx.emit("account.created", {
    subject: { type: "account", id: account.id, label: account.email },
    path: {},
    payload: { after: { email: account.email, username: account.username, role: "operator" } },
  });
  return { email: input.email, username: input.username, password };
}

/** On first start: the operator admin if there is none yet, else null (nothing is printed again). */
export async function seedOperatorOnFirstStart(ctx: Ctx): Promise<OperatorLogin | null> {
  const [existing] = await ctx.tx
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.kind, "operator"))
    .limit(1);
  if (existing) return null;
  return createOperatorAdmin(ctx, { email: "operator@teamgate.localhost", username: "operator" });
}
