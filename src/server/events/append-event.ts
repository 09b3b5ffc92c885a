import { type EventName, type EventPayload, eventCatalogue } from "../../shared/events.ts";
import { actorIdOf, type Who } from "../authz/actor.ts";
import type { Db } from "../db/client.ts";
import { events } from "../db/schema/index.ts";

/** What an event is about, and where it sits in the tree (so each tier reads its subtree). */
export interface EventInput<N extends EventName> {
  subject: { type: string; id: string; label?: string | null };
  path: {
    masterResellerId?: string | null;
    resellerId?: string | null;
    enterpriseId?: string | null;
  };
  payload: EventPayload<N>;
}

/** A record's subject and its position in the tree, as the event log and workflow runs store them. */
export function subjectColumns(
  subject: EventInput<EventName>["subject"],
  path: EventInput<EventName>["path"],
) {
  return {
    subjectType: subject.type,
    subjectId: subject.id,
    subjectLabel: subject.label ?? null,
    masterResellerId: path.masterResellerId ?? null,
    resellerId: path.resellerId ?? null,
    enterpriseId: path.enterpriseId ?? null,
  };
}

const secretKeys = /password|secret|token|code_?hash|codeHash|tokenHash/i;

/** A value under a secret-looking key that could hold the secret (a flag such as `mustChangePassword` cannot). */
function mayHoldSecret(key: string, value: unknown): boolean {
  return secretKeys.test(key) && typeof value !== "boolean" && typeof value !== "number";
}

/** Removes secret-looking values and turns dates into ISO strings: what a payload may store. */
export function redact(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object") return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(redact);
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => v !== undefined && !mayHoldSecret(k, v))
      .map(([k, v]) => [k, redact(v)]),
  );
}

/**
 * Appends one event in the caller's transaction: the change and its record commit together. The
 * payload is redacted, then checked against the catalogue (a mismatch is a programming error and
 * rolls the change back).
 */
export async function appendEvent<N extends EventName>(
  tx: Db,
  who: Who,
  name: N,
  input: EventInput<N>,
): Promise<void> {
  const checked = eventCatalogue[name].safeParse(redact(input.payload) ?? {});
  // A programming error, never the user's input: no validation answer, the change rolls back.
  if (!checked.success)
    throw new Error(`Event ${name} does not match its catalogue schema: ${checked.error.message}`);
  const payload = checked.data as object;
  await tx.insert(events).values({
    name,
    actorAccountId: who.actor ? actorIdOf(who.actor) : null,
    actorLabel: who.label,
    clientAddress: who.clientAddress,
    ...subjectColumns(input.subject, input.path),
    payload,
  });
}
