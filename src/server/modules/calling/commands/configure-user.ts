import { eq } from "drizzle-orm";
import type { ConfigureUserBody } from "../../../../shared/contracts/calling.ts";
import { newId } from "../../../../shared/ids.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { callingUsers, devices } from "../../../db/schema/index.ts";
import { AppError, fieldError } from "../../../lib/errors.ts";
import { seal } from "../../../lib/secrets.ts";
import { isUniqueViolation } from "../../../lib/sql.ts";
import { auditPathOf, type EnterpriseRow } from "../../enterprises/index.ts";
import { callingSnapshot } from "../calling.presenter.ts";
import { lockEnterpriseSeats } from "../calling.queries.ts";
import { assertSeatsFree, checkCallingCandidates } from "../calling.rules.ts";
import { assignInventoryNumbers } from "./inventory.ts";
import { requestTeamsPush } from "./request-teams-push.ts";

/** Refusals the database makes when a concurrent write took the same SIP user or number. */
function takenConcurrently(error: unknown): never {
  if (isUniqueViolation(error, "calling_users_enterprise_sip_user_key"))
    throw fieldError(
      { sipUser: "This SIP user was just given to another user of the enterprise" },
      "conflict",
    );
  if (isUniqueViolation(error, "calling_users_phone_number_key"))
    throw fieldError({ phoneNumber: "This number was just assigned to another user" }, "conflict");
  throw error;
}

/**
 * "Configure for calling" (SPEC §2.6): creates or replaces the user's calling configuration, its
 * device (a PBX user; the password sealed, absent keeps the stored one) and its numbers' place in
 * the inventory, under the enterprise's locked row so the user limit holds against concurrent
 * requests. What the PBX location defaults (caller name, caller ID) fills what the body leaves
 * out. Then Teams is brought in line by the push job, at once when `push` says the actor may act
 * in the tenant, else when an enterprise admin releases it. Nothing is written when a rule fails.
 */
export async function configureUser(
  ctx: Ctx,
  enterprise: Scoped<EnterpriseRow>,
  userId: string,
  input: ConfigureUserBody,
  options: { push: boolean },
): Promise<{ created: boolean }> {
  const seats = await lockEnterpriseSeats(ctx.tx, enterprise);
  const {
    problems: [problems],
    facts,
  } = await checkCallingCandidates(ctx.tx, enterprise, [{ userId, input }]);
  const user = facts.users.get(userId);
  if (!user) throw new AppError("not_found", "User not found");
  if (problems && Object.keys(problems).length > 0) throw fieldError(problems);
  const before = facts.existing.get(userId);
  if (before?.deletedAt)
    throw new AppError("invalid_state", `${user.displayName} was deleted: restore the user first`);
  if (!before) await assertSeatsFree(ctx.tx, seats, 1);
  const pbx = facts.pbxes.get(input.pbxId)!;

  const values = {
    service: input.service,
    pbxId: input.pbxId,
    regionId: input.regionId,
    sipUser: input.service === "pbx" ? input.sipUser : null,
    phoneNumber: input.phoneNumber,
    forwardedDids: input.service === "trunk" ? input.forwardedDids : [],
    teamsVoicemail: input.teamsVoicemail,
    assignDialPlan: input.assignDialPlan,
    callerNamePolicy: input.callerNamePolicy ?? before?.callerNamePolicy ?? pbx.callerNamePolicy,
    callerName:
      input.callerName === undefined ? (before?.callerName ?? pbx.callerName) : input.callerName,
    forwardedCallerId:
      input.forwardedCallerId ?? before?.forwardedCallerId ?? pbx.forwardedCallerId,
    tag: input.tag,
    updatedAt: ctx.now,
  };
  if (values.callerNamePolicy === "TRANSPARENT") values.callerName = null;
  const [row] = await ctx.tx
    .insert(callingUsers)
    .values({ userId, enterpriseId: enterprise.id, ...values, createdAt: ctx.now })
    .onConflictDoUpdate({ target: callingUsers.userId, set: values })
    .returning()
    .catch(takenConcurrently);

  if (input.service === "pbx") {
    const password = input.sipPassword ? seal(ctx.services.secret, input.sipPassword) : undefined;
    const sipAuthId = input.sipAuthId!;
    await ctx.tx
      .insert(devices)
      .values({
        id: newId("device"),
        userId,
        enterpriseId: enterprise.id,
        sipAuthId,
        // Checked above: a new device comes with its password.
        sipPassword: password ?? "",
        createdAt: ctx.now,
        updatedAt: ctx.now,
      })
      .onConflictDoUpdate({
        target: devices.userId,
        set: { sipAuthId, ...(password ? { sipPassword: password } : {}), updatedAt: ctx.now },
      });
  } else {
    await ctx.tx.delete(devices).where(eq(devices.userId, userId));
  }
  await assignInventoryNumbers(ctx, enterprise.id, userId, [
    input.phoneNumber,
    ...values.forwardedDids,
  ]);

  const after = callingSnapshot(row!);
  const subject = { type: "user", id: userId, label: user.displayName };
  if (before)
    await ctx.emit("user.calling_updated", {
      subject,
      path: auditPathOf(enterprise),
      payload: { before: callingSnapshot(before), after },
    });
  else
    await ctx.emit("user.calling_configured", {
      subject,
      path: auditPathOf(enterprise),
      payload: { after },
    });
  await requestTeamsPush(ctx, enterprise.id, [userId], options);
  return { created: !before };
}
