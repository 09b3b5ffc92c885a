import { sql } from "drizzle-orm";
import { events } from "../src/server/db/schema/index.ts";

/** Event columns under the audit entry's names, for tests that read the log as an audit trail. */
export const auditColumns = {
  id: events.id,
  at: events.at,
  action: events.name,
  actorAccountId: events.actorAccountId,
  actorLabel: events.actorLabel,
  clientAddress: events.clientAddress,
  targetType: events.subjectType,
  targetId: events.subjectId,
  targetLabel: events.subjectLabel,
  masterResellerId: events.masterResellerId,
  resellerId: events.resellerId,
  enterpriseId: events.enterpriseId,
  before: sql<unknown>`${events.payload} -> 'before'`,
  after: sql<unknown>`${events.payload} -> 'after'`,
  payload: events.payload,
};
