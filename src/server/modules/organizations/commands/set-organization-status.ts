import { eq } from "drizzle-orm";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { accounts, organizations } from "../../../db/schema/index.ts";
import { notFound } from "../../../lib/errors.ts";
import { pathOf } from "../../accounts/index.ts";
import {
  assertStatusAllows,
  type ManagedKind,
  type Organization,
} from "../organizations.policy.ts";
import { deleteSubtreeSessions } from "../organizations.rules.ts";

/**
 * Disables an organization (its logins and those of its resellers stop at once: their sessions
 * are deleted in the same transaction, and sign-in refuses them) or enables it again, back to
 * `active` when it had been activated (it has an account), else to `invited`. Data is kept.
 */
export async function setOrganizationStatus(
  ctx: Ctx,
  org: Scoped<Organization>,
  change: "disable" | "enable",
): Promise<Organization> {
  const { tx } = ctx;
  const [before] = await tx
    .select()
    .from(organizations)
    .where(eq(organizations.id, org.id))
    .for("update");
  if (!before) throw notFound("Organization");
  assertStatusAllows(change, before.status);
  let status: Organization["status"] = "disabled";
  if (change === "enable") {
    const [account] = await tx
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(accounts.organizationId, org.id))
      .limit(1);
    status = account ? "active" : "invited";
  }
  const [row] = await tx
    .update(organizations)
    .set({ status, updatedAt: ctx.now })
    .where(eq(organizations.id, org.id))
    .returning();
  if (change === "disable") await deleteSubtreeSessions(tx, org.id);
  const kind = before.kind as ManagedKind;
  await ctx.emit(`${kind}.${change === "disable" ? "disabled" : "enabled"}`, {
    subject: { type: kind, id: org.id, label: row!.name },
    path: pathOf(row!),
    payload: { before: { status: before.status }, after: { status: row!.status } },
  });
  return row!;
}
