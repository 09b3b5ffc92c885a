import { and, eq, inArray, isNotNull, isNull } from "drizzle-orm";
import type { ChangeSipPasswordBody } from "../../../../shared/contracts/calling.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { callingUsers, devices, users } from "../../../db/schema/index.ts";
import { AppError, notFound } from "../../../lib/errors.ts";
import { seal } from "../../../lib/secrets.ts";
import { auditPathOf, type EnterpriseRow } from "../../enterprises/index.ts";
import { callingSnapshot } from "../calling.presenter.ts";
import { getCalling, getUser, lockEnterpriseSeats } from "../calling.queries.ts";
import { assertSeatsFree } from "../calling.rules.ts";
import { requestTeamsPush } from "./request-teams-push.ts";

type Enterprise = Scoped<EnterpriseRow>;

async function subjectOf(ctx: Ctx, enterprise: Enterprise, userId: string) {
  const user = await getUser(ctx.tx, enterprise, userId);
  return { type: "user", id: userId, label: user.displayName };
}

/** The configuration, locked; refused (409) when it was deleted (only Restore applies then). */
async function liveCalling(ctx: Ctx, enterprise: Enterprise, userId: string) {
  const detail = await getCalling(ctx.tx, enterprise, userId, { lock: true });
  if (detail.calling.deletedAt)
    throw new AppError("invalid_state", "The user was deleted: restore it first");
  return detail;
}

/** "Change SIP password": the device's new password, sealed; the gateway re-registers with it. */
export async function changeSipPassword(
  ctx: Ctx,
  enterprise: Enterprise,
  userId: string,
  input: ChangeSipPasswordBody,
): Promise<void> {
  const { device } = await liveCalling(ctx, enterprise, userId);
  if (!device) throw new AppError("invalid_state", "A trunk user has no device or SIP password");
  await ctx.tx
    .update(devices)
    .set({ sipPassword: seal(ctx.services.secret, input.sipPassword), updatedAt: ctx.now })
    .where(eq(devices.id, device.id));
  await ctx.emit("user.sip_password_changed", {
    subject: await subjectOf(ctx, enterprise, userId),
    path: auditPathOf(enterprise),
    payload: {},
  });
}

/**
 * Calling on or off, or the user disabled or enabled: each takes the user's number and policies
 * off Teams (or puts them back) through the push, and keeps the configuration (number and
 * extension included). Setting what already holds is refused (409) so a double click says so.
 */
export async function setCallingSwitch(
  ctx: Ctx,
  enterprise: Enterprise,
  userId: string,
  change: "disable_calling" | "enable_calling" | "disable" | "enable",
  options: { push: boolean },
): Promise<void> {
  const { calling } = await liveCalling(ctx, enterprise, userId);
  const disabled = calling.disabledAt !== null;
  const refuse = (message: string) => {
    throw new AppError("invalid_state", message);
  };
  let set: Partial<typeof callingUsers.$inferInsert>;
  switch (change) {
    case "disable_calling":
      if (!calling.callingEnabled) refuse("Calling is already disabled for this user");
      set = { callingEnabled: false };
      break;
    case "enable_calling":
      if (calling.callingEnabled) refuse("Calling is already enabled for this user");
      set = { callingEnabled: true };
      break;
    case "disable":
      if (disabled) refuse("The user is already disabled");
      set = { disabledAt: ctx.now };
      break;
    case "enable":
      if (!disabled) refuse("The user is not disabled");
      set = { disabledAt: null };
      break;
  }
  await ctx.tx
    .update(callingUsers)
    .set({ ...set, updatedAt: ctx.now })
    .where(eq(callingUsers.userId, userId));
  const name = (
    {
      disable_calling: "user.calling_disabled",
      enable_calling: "user.calling_enabled",
      disable: "user.disabled",
      enable: "user.enabled",
    } as const
  )[change];
  await ctx.emit(name, {
    subject: await subjectOf(ctx, enterprise, userId),
    path: auditPathOf(enterprise),
    payload: {},
  });
  await requestTeamsPush(ctx, enterprise.id, [userId], options);
}

/**
 * Deletes a disabled user's configuration (SPEC §2.6). With `push` (the actor may act in the
 * tenant) for good: the push takes the number off Teams, then removes the row and frees its
 * numbers. Without it (a provider lacking management consent) softly: the row waits, restorable,
 * until an enterprise admin next signs in (`purgeSoftDeleted`).
 */
export async function deleteCalling(
  ctx: Ctx,
  enterprise: Enterprise,
  userId: string,
  options: { push: boolean },
): Promise<{ soft: boolean }> {
  const { calling } = await liveCalling(ctx, enterprise, userId);
  if (!calling.disabledAt)
    throw new AppError("invalid_state", "Only a disabled user can be deleted: disable it first");
  await ctx.tx
    .update(callingUsers)
    .set({ deletedAt: ctx.now, updatedAt: ctx.now })
    .where(eq(callingUsers.userId, userId));
  await ctx.emit("user.calling_deleted", {
    subject: await subjectOf(ctx, enterprise, userId),
    path: auditPathOf(enterprise),
    payload: { before: callingSnapshot(calling), after: { soft: !options.push } },
  });
  await requestTeamsPush(ctx, enterprise.id, [userId], options);
  return { soft: !options.push };
}

/**
 * Restores a softly deleted user (disabled, as it was deleted), if the seat is still free.
 * A user deleted for good is gone: 409.
 */
export async function restoreCalling(
  ctx: Ctx,
  enterprise: Enterprise,
  userId: string,
): Promise<void> {
  const seats = await lockEnterpriseSeats(ctx.tx, enterprise);
  const { calling } = await getCalling(ctx.tx, enterprise, userId, { lock: true });
  if (!calling.deletedAt) throw new AppError("invalid_state", "The user is not deleted");
  if (calling.teamsState !== "waiting")
    throw new AppError("invalid_state", "The user was deleted for good and cannot be restored");
  await assertSeatsFree(ctx.tx, seats, 1);
  await ctx.tx
    .update(callingUsers)
    .set({ deletedAt: null, updatedAt: ctx.now })
    .where(eq(callingUsers.userId, userId));
  await ctx.emit("user.calling_restored", {
    subject: await subjectOf(ctx, enterprise, userId),
    path: auditPathOf(enterprise),
    payload: {},
  });
}

/**
 * "Push to Teams" (Retry, or an enterprise admin releasing what its provider changed): queues
 * the push of the given users, or of every user waiting or failed when none is given.
 */
export async function pushToTeams(
  ctx: Ctx,
  enterprise: Enterprise,
  userIds: readonly string[] | "waiting_or_failed",
): Promise<number> {
  const rows = await ctx.tx
    .select({ userId: callingUsers.userId, label: users.displayName })
    .from(callingUsers)
    .innerJoin(users, eq(users.id, callingUsers.userId))
    .where(
      and(
        eq(callingUsers.enterpriseId, enterprise.id),
        userIds === "waiting_or_failed"
          ? and(
              inArray(callingUsers.teamsState, ["waiting", "failed"]),
              // A softly deleted user waits for the admin's next sign-in, which removes it.
              isNull(callingUsers.deletedAt),
            )
          : inArray(callingUsers.userId, [...userIds]),
      ),
    );
  if (userIds !== "waiting_or_failed" && rows.length !== new Set(userIds).size)
    throw notFound("Calling configuration");
  await requestTeamsPush(
    ctx,
    enterprise.id,
    rows.map((r) => r.userId),
    { push: true },
  );
  for (const { userId, label } of rows)
    await ctx.emit("user.teams_push_requested", {
      subject: { type: "user", id: userId, label },
      path: auditPathOf(enterprise),
      payload: {},
    });
  return rows.length;
}

/**
 * Soft-deleted users are deleted for good when an enterprise admin signs in: their push takes
 * them off Teams, then removes them.
 */
export async function purgeSoftDeleted(ctx: Ctx, enterprise: { id: string }): Promise<void> {
  const rows = await ctx.tx
    .select({ userId: callingUsers.userId })
    .from(callingUsers)
    .where(
      and(
        eq(callingUsers.enterpriseId, enterprise.id),
        isNotNull(callingUsers.deletedAt),
        eq(callingUsers.teamsState, "waiting"),
      ),
    );
  await requestTeamsPush(
    ctx,
    enterprise.id,
    rows.map((r) => r.userId),
    { push: true },
  );
}
