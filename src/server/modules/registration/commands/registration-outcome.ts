import { eq } from "drizzle-orm";
import type { RegistrationFailureReason } from "../../../../shared/contracts/registration.ts";
import type { Ctx } from "../../../context.ts";
import { enterprises, type microsoftFlows } from "../../../db/schema/index.ts";
import type { AppError } from "../../../lib/errors.ts";
import type { Services } from "../../../services.ts";
import type { NewSession } from "../../enterprise-portal/index.ts";
import { auditPathOf } from "../../enterprises/index.ts";
import {
  advanceFlow as advanceAnyFlow,
  endFlow,
  type MicrosoftFlowRow,
} from "../../microsoft-flows/index.ts";

/** A registration that must stop: the browser goes to the failure page with this reason. */
export class RegistrationFailure extends Error {
  constructor(
    readonly reason: RegistrationFailureReason,
    detail?: string,
  ) {
    super(detail ?? reason);
  }
}

/** Where the browser lands after the Microsoft rounds. */
export function failurePage(services: Services, reason: RegistrationFailureReason): string {
  return `${services.publicUrl}/complete/failed?reason=${encodeURIComponent(reason)}`;
}

/** After registration the Global Administrator, now signed in, chooses the groups to sync. */
export function successPage(services: Services): string {
  return `${services.publicUrl}/enterprise/groups?registered=1`;
}

/** Where the browser goes next and, once registration succeeded, the admin's new session. */
export interface RegistrationOutcome {
  location: string;
  session?: NewSession;
}

/** The failure reason for a Microsoft error met during a round. */
export function reasonOfMicrosoftError(error: AppError): RegistrationFailureReason {
  switch (error.code) {
    case "microsoft_consent_required":
      return "consent_declined";
    case "microsoft_sign_in_failed":
      return "sign_in_failed";
    case "microsoft_app_misconfigured":
      return "app_misconfigured";
    default:
      return "microsoft_unavailable";
  }
}

/**
 * Ends a flow as failed (single use: its state can never be replayed) and records why. Nothing
 * else is written: a failed registration binds nothing. A flow that already ended is left as is.
 */
export async function failFlow(
  ctx: Ctx,
  flow: RegistrationFlow,
  reason: RegistrationFailureReason,
  /** What was seen (e.g. the permissions granted), kept in the event. */
  detail?: string,
): Promise<void> {
  if (!(await endFlow(ctx, flow.id, reason))) return;
  const [enterprise] = await ctx.tx
    .select()
    .from(enterprises)
    .where(eq(enterprises.id, flow.enterpriseId));
  if (!enterprise) return;
  await ctx.emit("enterprise.registration_failed", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: {
      after: {
        reason,
        round: flow.round,
        tenantId: flow.tenantId,
        ...(detail && detail !== reason ? { detail: detail.slice(0, 500) } : {}),
      },
    },
  });
}

/**
 * Moves a registration flow on from round `from` with `set`, only while it is in that round and
 * unused: a concurrent redirect with the same state that got there first makes this one fail
 * (`state_invalid`).
 */
export async function advanceFlow(
  ctx: Ctx,
  flow: RegistrationFlow,
  from: MicrosoftFlowRow["round"],
  set: Partial<typeof microsoftFlows.$inferInsert>,
): Promise<void> {
  if (!(await advanceAnyFlow(ctx, flow.id, from, set)))
    throw new RegistrationFailure("state_invalid");
}

/** A registration flow: it always names its enterprise and invitation. */
export type RegistrationFlow = MicrosoftFlowRow & { enterpriseId: string; invitationId: string };

/**
 * The flow's state is usable: known, a registration, not used, not expired, in the expected round.
 */
export function assertFlowUsable(
  flow: MicrosoftFlowRow | null,
  round: MicrosoftFlowRow["round"],
  now: Date,
): asserts flow is RegistrationFlow {
  if (
    flow?.purpose !== "enterprise_registration" ||
    !flow.enterpriseId ||
    !flow.invitationId ||
    flow.usedAt ||
    flow.expiresAt <= now ||
    flow.round !== round
  ) {
    throw new RegistrationFailure("state_invalid");
  }
}
