import type { EventName } from "../../../../shared/events.ts";
import type { Who } from "../../../authz/actor.ts";
import type { Db } from "../../../db/client.ts";
import { appendEvent } from "../../../events/append-event.ts";

export interface AuditInput {
  action: EventName;
  target: { type: string; id: string; label?: string | null };
  /** The subtree the target belongs to, so each tier sees exactly its part of the log. */
  path: {
    masterResellerId?: string | null;
    resellerId?: string | null;
    enterpriseId?: string | null;
  };
  before?: unknown;
  after?: unknown;
}

/** Writes one audit entry (an event whose payload is `before` / `after`) in the caller's transaction. */
export async function recordAudit(tx: Db, who: Who, input: AuditInput): Promise<void> {
  await appendEvent(tx, who, input.action, {
    subject: input.target,
    path: input.path,
    payload: { before: input.before, after: input.after } as never,
  });
}
