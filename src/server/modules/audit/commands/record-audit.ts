import { newId } from "../../../../shared/ids.ts";
import { actorIdOf, type Who } from "../../../authz/actor.ts";
import type { Db } from "../../../db/client.ts";
import { auditLog } from "../../../db/schema/index.ts";

export interface AuditInput {
  action: string;
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

const secretKeys = /password|secret|token|code_?hash|codeHash|tokenHash/i;

/** Drops secret-looking keys so an audit entry never stores a credential. */
function redact(value: unknown): unknown {
  if (value === undefined) return null;
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(redact);
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !secretKeys.test(k))
      .map(([k, v]) => [k, redact(v)]),
  );
}

/** Writes one audit entry in the caller's transaction: the change and its record commit together. */
export async function recordAudit(tx: Db, who: Who, input: AuditInput): Promise<void> {
  await tx.insert(auditLog).values({
    id: newId("audit"),
    actorAccountId: who.actor ? actorIdOf(who.actor) : null,
    actorLabel: who.label,
    action: input.action,
    targetType: input.target.type,
    targetId: input.target.id,
    targetLabel: input.target.label ?? null,
    masterResellerId: input.path.masterResellerId ?? null,
    resellerId: input.path.resellerId ?? null,
    enterpriseId: input.path.enterpriseId ?? null,
    before: redact(input.before),
    after: redact(input.after),
    clientAddress: who.clientAddress,
  });
}
