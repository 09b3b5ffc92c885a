import type { Db } from "../../db/client.ts";
import { cdrs, sipTraces } from "../../db/schema/index.ts";

let sequence = 0;

/** Where a call was recorded: the node and its region. */
export interface CallNode {
  nodeId: string;
  regionId: string;
}

/** The enterprise a call is attributed to, with its place in the tree (what ingestion writes). */
export interface CallEnterprise {
  id: string;
  resellerId: string;
  masterResellerId: string;
}

/**
 * A call record written directly, as `gateway-feed` stores a node's report: an answered outbound
 * call of a minute by default, started `startedAt` (now unless said), attributed to `enterprise`.
 */
export async function buildCdr(
  db: Db,
  input: CallNode & {
    enterprise: CallEnterprise | null;
  } & Partial<Omit<typeof cdrs.$inferInsert, "id">>,
) {
  const { enterprise, ...overrides } = input;
  const n = sequence++;
  const startedAt = overrides.startedAt ?? new Date();
  const [row] = await db
    .insert(cdrs)
    .values({
      callId: `call-${Date.now().toString(36)}-${n}@gw.example.net`,
      leg: "microsoft",
      direction: "outbound",
      caller: `+4420794600${String(n % 100).padStart(2, "0")}`,
      callee: `+4420794611${String(n % 100).padStart(2, "0")}`,
      answeredAt: new Date(startedAt.getTime() + 2_000),
      endedAt: new Date(startedAt.getTime() + 62_000),
      disposition: "answered",
      sipCode: 200,
      sipReason: "OK",
      hangupSide: "caller",
      codec: "PCMA",
      durationSeconds: 60,
      masterResellerId: enterprise?.masterResellerId ?? null,
      resellerId: enterprise?.resellerId ?? null,
      enterpriseId: enterprise?.id ?? null,
      ...overrides,
      startedAt,
    })
    .returning();
  return row!;
}

/** A SIP trace message of a call leg, written directly; `message`'s first line is its summary. */
export async function buildSipMessage(
  db: Db,
  input: CallNode &
    Pick<typeof sipTraces.$inferInsert, "callId" | "seq"> &
    Partial<typeof sipTraces.$inferInsert>,
) {
  const [row] = await db
    .insert(sipTraces)
    .values({
      leg: "microsoft",
      at: new Date(),
      direction: "in",
      source: "52.114.14.70:5061",
      destination: "192.0.2.10:5061",
      message: `INVITE sip:+442079461100@sbc.example.net SIP/2.0\r\nCall-ID: ${input.callId}\r\nCSeq: 1 INVITE\r\n\r\n`,
      ...input,
    })
    .returning();
  return row!;
}
