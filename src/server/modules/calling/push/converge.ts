import { and, eq } from "drizzle-orm";
import { system } from "../../../authz/actor.ts";
import { inTransaction } from "../../../context.ts";
import { callingUsers, enterprises, users } from "../../../db/schema/index.ts";
import { callingAppPermissions } from "../../../integrations/microsoft/config.ts";
import type { Microsoft } from "../../../integrations/microsoft/port.ts";
import { type TeamsVoice, teamsObjectName } from "../../../integrations/teams-voice/port.ts";
import { AppError, describeRemoteError, isTransient } from "../../../lib/errors.ts";
import type { Services } from "../../../services.ts";
import type { CallingRow } from "../calling.queries.ts";
import { assignInventoryNumbers } from "../commands/inventory.ts";

/** What Teams should hold for a user: a number, our policies and voicemail, or nothing of ours. */
export interface TeamsDesired {
  number: string | null;
  voiceRoutingPolicy: string | null;
  dialPlan: string | null;
  /** null: leave voicemail as it is (a user taken off calling keeps what Teams had). */
  voicemail: boolean | null;
}

/** What Teams holds for the user, as read before changing anything. */
export interface TeamsActual {
  number: string | null;
  voiceRoutingPolicy: string | null;
  dialPlan: string | null;
  voicemail: boolean;
}

/** The Teams side a configuration asks for: active users get everything, others nothing of ours. */
export function desiredTeamsOf(
  row: Pick<
    CallingRow,
    | "phoneNumber"
    | "assignDialPlan"
    | "teamsVoicemail"
    | "callingEnabled"
    | "disabledAt"
    | "deletedAt"
  >,
): TeamsDesired {
  const active = row.callingEnabled && !row.disabledAt && !row.deletedAt;
  if (!active) return { number: null, voiceRoutingPolicy: null, dialPlan: null, voicemail: null };
  return {
    number: row.phoneNumber,
    voiceRoutingPolicy: teamsObjectName,
    dialPlan: row.assignDialPlan ? teamsObjectName : null,
    voicemail: row.teamsVoicemail,
  };
}

/** The calls that bring Teams from `actual` to `desired`, in the order they must be made. */
export type TeamsChange =
  | { kind: "unassign_number"; number: string }
  | { kind: "assign_number"; number: string }
  | { kind: "grant_voice_routing_policy"; policy: string | null }
  | { kind: "grant_dial_plan"; plan: string | null }
  | { kind: "set_voicemail"; enabled: boolean };

/** The difference, as calls (pure): nothing when Teams already holds what is desired. */
export function planTeamsChanges(desired: TeamsDesired, actual: TeamsActual): TeamsChange[] {
  const changes: TeamsChange[] = [];
  if (actual.number !== desired.number) {
    if (actual.number) changes.push({ kind: "unassign_number", number: actual.number });
    if (desired.number) changes.push({ kind: "assign_number", number: desired.number });
  }
  if (actual.voiceRoutingPolicy !== desired.voiceRoutingPolicy)
    changes.push({ kind: "grant_voice_routing_policy", policy: desired.voiceRoutingPolicy });
  if (actual.dialPlan !== desired.dialPlan)
    changes.push({ kind: "grant_dial_plan", plan: desired.dialPlan });
  if (desired.voicemail !== null && actual.voicemail !== desired.voicemail)
    changes.push({ kind: "set_voicemail", enabled: desired.voicemail });
  return changes;
}

/** How long the job follows one number operation before it leaves it to its next attempt. */
const operationBudgetMs = 30_000;

/** A number operation Microsoft is still working on: the job's next attempt follows it up. */
class OperationRunning extends Error {}

async function followOperation(
  microsoft: Microsoft,
  tenantId: string,
  operation: string,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + operationBudgetMs;
  let wait = 200;
  for (;;) {
    const { status, detail } = await microsoft.getPhoneNumberOperation(tenantId, operation);
    if (status === "succeeded") return;
    if (status === "failed")
      throw new AppError("microsoft_error", detail ?? "Microsoft could not change the number", {
        cause: { message: detail ?? undefined },
      });
    if (Date.now() + wait > deadline) throw new OperationRunning(operation);
    await sleep(wait);
    wait = Math.min(wait * 2, 2000);
  }
}

async function readTeams(
  microsoft: Microsoft,
  teamsVoice: TeamsVoice,
  tenantId: string,
  objectId: string,
): Promise<TeamsActual> {
  const [online, number] = await Promise.all([
    teamsVoice.getOnlineUser(tenantId, objectId),
    microsoft.getUserPhoneNumber(tenantId, objectId),
  ]);
  if (!online)
    // Teams learns of a newly licensed user some minutes after Microsoft 365 does.
    throw new AppError(
      "microsoft_unavailable",
      "Teams does not know the user yet (a newly licensed user appears in Teams within minutes)",
    );
  return {
    number: number?.telephoneNumber ?? null,
    voiceRoutingPolicy: online.onlineVoiceRoutingPolicy,
    dialPlan: online.tenantDialPlan,
    voicemail: online.voicemailEnabled,
  };
}

/** Why the enterprise's tenant cannot take a push yet; null when it can. */
function notReadyReason(enterprise: typeof enterprises.$inferSelect): string | null {
  if (!enterprise.tenantId) return "The enterprise has not registered its Microsoft tenant yet";
  if (enterprise.status === "disabled") return "The enterprise is disabled";
  const granted = new Set(enterprise.grantedPermissions ?? []);
  if (!callingAppPermissions.every((p) => granted.has(p)))
    return "The tenant has not granted the permission to assign phone numbers: an enterprise admin grants it from the dashboard (Grant the new permissions)";
  if (enterprise.status !== "active")
    return "Direct Routing is not set up yet: set it up, then retry";
  return null;
}

/**
 * The converge job of one user (SPEC §2.6, §3.6): reads what the configuration asks of Teams and
 * what Teams holds, makes only the calls that differ (the number through Graph's asynchronous
 * number assignment, then the voice routing policy, the dial plan and voicemail), and records the
 * outcome with its time stamps. A change made meanwhile (a newer request) is left to its own run.
 * Transient failures (429, 5xx, an operation still running) are thrown for the queue to retry;
 * Microsoft's refusals are recorded with its words for a Retry. A user deleted for good is removed
 * from Teams, then its row and its numbers are released.
 */
export async function pushUserToTeams(
  services: Services,
  data: { enterpriseId: string; userId: string },
  meta: { isLastAttempt: boolean },
): Promise<"done" | "failed" | "skipped"> {
  const { db } = services;
  const [found] = await db
    .select({
      calling: callingUsers,
      objectId: users.msObjectId,
      user: users.displayName,
      enterprise: enterprises,
    })
    .from(callingUsers)
    .innerJoin(users, eq(users.id, callingUsers.userId))
    .innerJoin(enterprises, eq(enterprises.id, callingUsers.enterpriseId))
    .where(
      and(eq(callingUsers.userId, data.userId), eq(callingUsers.enterpriseId, data.enterpriseId)),
    );
  if (!found || found.calling.teamsState === "waiting") return "skipped";
  const { calling, enterprise, objectId } = found;
  const requestedAt = calling.teamsRequestedAt;
  const subject = { type: "user", id: calling.userId, label: found.user };
  const path = {
    masterResellerId: enterprise.masterResellerId,
    resellerId: enterprise.resellerId,
    enterpriseId: enterprise.id,
  };
  const unchanged = and(
    eq(callingUsers.userId, calling.userId),
    requestedAt ? eq(callingUsers.teamsRequestedAt, requestedAt) : undefined,
  );

  const fail = async (message: string) => {
    await inTransaction(services, system, async (ctx) => {
      const [row] = await ctx.tx
        .update(callingUsers)
        .set({
          teamsState: "failed",
          teamsError: message,
          teamsAttempts: calling.teamsAttempts + 1,
        })
        .where(unchanged)
        .returning({ userId: callingUsers.userId });
      if (row)
        await ctx.emit("user.teams_push_failed", {
          subject,
          path,
          payload: { after: { error: message } },
        });
    });
    return "failed" as const;
  };

  const reason = notReadyReason(enterprise);
  if (reason) return fail(reason);
  const { microsoft, teamsVoice } = services;
  if (!microsoft || !teamsVoice)
    return fail("Microsoft is not configured on this platform (MS_CLIENT_ID, TEAMS_VOICE_ADAPTER)");
  const tenantId = enterprise.tenantId!;
  const desired = desiredTeamsOf(calling);
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  let actual: TeamsActual;
  try {
    actual = await readTeams(microsoft, teamsVoice, tenantId, objectId);
    for (const change of planTeamsChanges(desired, actual)) {
      switch (change.kind) {
        case "unassign_number":
          await followOperation(
            microsoft,
            tenantId,
            await microsoft.unassignPhoneNumber(tenantId, change.number),
            sleep,
          );
          break;
        case "assign_number":
          await followOperation(
            microsoft,
            tenantId,
            await microsoft.assignPhoneNumber(tenantId, objectId, change.number),
            sleep,
          );
          break;
        case "grant_voice_routing_policy":
          await teamsVoice.grantVoiceRoutingPolicy(tenantId, objectId, change.policy);
          break;
        case "grant_dial_plan":
          await teamsVoice.grantTenantDialPlan(tenantId, objectId, change.plan);
          break;
        case "set_voicemail":
          await teamsVoice.setVoicemailEnabled(tenantId, objectId, change.enabled);
          break;
      }
    }
  } catch (error) {
    const retry = error instanceof OperationRunning || isTransient(error);
    if (retry && !meta.isLastAttempt) throw error;
    return fail(
      error instanceof OperationRunning
        ? "Microsoft is still assigning the number: Retry in a few minutes"
        : describeRemoteError(error).message,
    );
  }

  await inTransaction(services, system, async (ctx) => {
    if (calling.deletedAt) {
      const [gone] = await ctx.tx
        .delete(callingUsers)
        .where(unchanged)
        .returning({ userId: callingUsers.userId });
      if (gone) await assignInventoryNumbers(ctx, enterprise.id, calling.userId, []);
      return;
    }
    const numberChanged = actual.number !== desired.number;
    const policyGranted = desired.voiceRoutingPolicy !== null;
    const [row] = await ctx.tx
      .update(callingUsers)
      .set({
        teamsState: "done",
        teamsError: null,
        teamsAppliedAt: ctx.now,
        teamsNumber: desired.number,
        teamsNumberAssignedAt: desired.number
          ? numberChanged
            ? ctx.now
            : (calling.teamsNumberAssignedAt ?? ctx.now)
          : null,
        teamsPolicyGranted: policyGranted,
        teamsPolicyGrantedAt: policyGranted
          ? actual.voiceRoutingPolicy === desired.voiceRoutingPolicy
            ? (calling.teamsPolicyGrantedAt ?? ctx.now)
            : ctx.now
          : null,
        teamsAttempts: calling.teamsAttempts + 1,
      })
      .where(unchanged)
      .returning({ userId: callingUsers.userId });
    if (row)
      await ctx.emit("user.teams_pushed", {
        subject,
        path,
        payload: { after: { number: desired.number, policyGranted } },
      });
  });
  return "done";
}
