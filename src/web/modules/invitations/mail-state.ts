import type { InvitationSummary } from "../../../shared/contracts/common.ts";

const pollMs = 4000;

/**
 * How often a list should refresh: while an invitation e-mail of a row is still queued, so its
 * row turns to "sent" (or "failed", with the reason) without a reload; otherwise never.
 */
export function whileMailQueued(
  items: { status: string; invitation: InvitationSummary | null }[] | undefined,
): number | false {
  const queued = items?.some((i) => i.status === "invited" && i.invitation?.mailState === "queued");
  return queued ? pollMs : false;
}
