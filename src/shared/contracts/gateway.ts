import { z } from "zod";
import { Id, requiredText, text } from "./common.ts";
import { CallerNamePolicy, DnsLookup, DtmfMode, ForwardedCallerId, Transport } from "./pbx.ts";

/*
 * The wire contract between the API and the SBC gateway nodes (SPEC §5, ADR 0019): what a node
 * reads (a snapshot of its region, then the changes after a cursor) and what it writes
 * (registration reports, device leases, CDRs, SIP traces). The gateway agent (`src/gateway/`)
 * imports only `src/shared/`, so everything it needs to speak to the API is here. A node
 * authenticates with `Authorization: Bearer <token>` (the token an operator received once when
 * adding the node); it only ever sees and touches its own region.
 */

// ---------------------------------------------------------------------------------------------
// Gateway nodes (operator portal)

export const CreateGatewayNodeBody = z.strictObject({
  name: requiredText(1, 100),
});
export type CreateGatewayNodeBody = z.infer<typeof CreateGatewayNodeBody>;

export const RegionIdParam = z.strictObject({ regionId: Id });
export const GatewayNodeParams = z.strictObject({ regionId: Id, nodeId: Id });

export interface GatewayNodeView {
  id: string;
  regionId: string;
  name: string;
  createdAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
}

/** The answer to adding a node: the only time its token is shown. */
export interface CreatedGatewayNode extends GatewayNodeView {
  /** `gw.<node id>.<secret>`: the node's credential, stored only as its SHA-256. */
  token: string;
}

export interface GatewayNodeList {
  items: GatewayNodeView[];
}

// ---------------------------------------------------------------------------------------------
// Read side: snapshot and changes

/*
 * The answers are zod schemas too, so the agent can check what it receives (the API does not
 * validate them on the way out: a 10,000-user snapshot is built from typed rows).
 */
const nullableString = z.string().nullable();

/** A PBX location as the gateway needs it to register users and place calls (no API secrets). */
export const GatewayPbx = z.object({
  pbxId: z.string(),
  enterpriseId: z.string(),
  locationName: z.string(),
  dnsLookup: DnsLookup,
  sipDomain: z.string(),
  /** `host[:port]`; null: resolve the SIP domain as `dnsLookup` says. */
  sipProxy: nullableString,
  transport: Transport,
  /** Seconds to ask the PBX to keep a registration. */
  registrationExpiry: z.number().int(),
  /** Offered in this order. */
  codecs: z.array(z.string()),
  dtmfMode: DtmfMode,
  voicemailFeatureCode: nullableString,
});
export type GatewayPbx = z.infer<typeof GatewayPbx>;

/** One derived trunk of the enterprise in the node's region (Microsoft sends its calls here). */
export const GatewayTrunk = z.object({
  fqdn: z.string(),
  /** 0: the enterprise's primary region; then the failover order. */
  priority: z.number().int(),
  /** `active`: the voice route names it and calls flow; `provisioning`: answer OPTIONS already. */
  status: z.enum(["provisioning", "active"]),
});
export type GatewayTrunk = z.infer<typeof GatewayTrunk>;

/**
 * An enterprise the node's region serves: not disabled, with a derived trunk (direct route) in
 * the region. An enterprise absent from the snapshot (or sent as null) gets no calls.
 */
export const GatewayEnterprise = z.object({
  enterpriseId: z.string(),
  name: z.string(),
  /** The Microsoft 365 tenant id (null until registered). */
  tenantId: nullableString,
  /** On hold: pass hold to the PBX (its music on hold) instead of playing the gateway's music. */
  pbxMusicOnHold: z.boolean(),
  trunks: z.array(GatewayTrunk),
});
export type GatewayEnterprise = z.infer<typeof GatewayEnterprise>;

/** The SIP account the gateway registers to the PBX for a PBX user; the password in clear. */
export const GatewayDevice = z.object({
  deviceId: z.string(),
  sipAuthId: z.string(),
  password: z.string(),
});
export type GatewayDevice = z.infer<typeof GatewayDevice>;

/** A calling user of the node's region (SPEC §2.6), as the gateway routes its calls. */
export const GatewayUser = z.object({
  userId: z.string(),
  enterpriseId: z.string(),
  /** As last synced from Microsoft (a sync alone does not send a change: it may lag). */
  displayName: z.string(),
  service: z.enum(["pbx", "trunk"]),
  pbxId: z.string(),
  /** `ext@domain` (PBX users). */
  sipUser: nullableString,
  /** E.164: the number shown in Teams (a trunk user's default DID). */
  phoneNumber: z.string(),
  /** A trunk user's other DIDs. */
  forwardedDids: z.array(z.string()),
  callerNamePolicy: CallerNamePolicy,
  callerName: nullableString,
  forwardedCallerId: ForwardedCallerId,
  /** Calls flow and the device registers: calling enabled and the user not disabled. */
  enabled: z.boolean(),
  /** Null for a trunk user. */
  device: GatewayDevice.nullable(),
});
export type GatewayUser = z.infer<typeof GatewayUser>;

/** `GET /gateway/snapshot`: the whole desired state of the node's region at `cursor`. */
export const GatewaySnapshot = z.object({
  /** Follow `GET /gateway/changes?after=<cursor>` from here: nothing after it is missed. */
  cursor: z.string(),
  regionId: z.string(),
  nodeId: z.string(),
  enterprises: z.array(GatewayEnterprise),
  pbxes: z.array(GatewayPbx),
  users: z.array(GatewayUser),
});
export type GatewaySnapshot = z.infer<typeof GatewaySnapshot>;

export const maxChangesWaitSeconds = 30;
export const maxChangesPageEvents = 500;

const cursorPattern = /^(\d{1,20})\.(\d{1,19})$/;
/** `<transaction id>.<event id>`: an xid8 (below 2^64) and a bigint (below 2^63). */
function isCursor(value: string): boolean {
  const match = cursorPattern.exec(value);
  return Boolean(match && BigInt(match[1]!) < 2n ** 64n && BigInt(match[2]!) < 2n ** 63n);
}
export const GatewayCursor = text().refine(isCursor, "Must be a cursor such as 123.456");

export const ChangesQuery = z.strictObject({
  after: GatewayCursor,
  /** Seconds to wait for a change when there is none yet (long poll); 0 answers at once. */
  wait: z.coerce
    .number({ error: "Must be a number of seconds" })
    .int("Must be a whole number of seconds")
    .min(0, "Must be 0 or more")
    .max(maxChangesWaitSeconds, `Must be at most ${maxChangesWaitSeconds}`)
    .default(0),
});
export type ChangesQuery = z.infer<typeof ChangesQuery>;

/**
 * One object that changed, in its CURRENT state for the node's region; null: not (or no longer)
 * in the region, or gone: remove it. A change says "this changed", never how: apply it as is.
 */
export const GatewayChange = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("enterprise"),
    enterpriseId: z.string(),
    enterprise: GatewayEnterprise.nullable(),
  }),
  z.object({ kind: z.literal("pbx"), pbxId: z.string(), pbx: GatewayPbx.nullable() }),
  z.object({ kind: z.literal("user"), userId: z.string(), user: GatewayUser.nullable() }),
]);
export type GatewayChange = z.infer<typeof GatewayChange>;

/** `GET /gateway/changes`: enterprises first, then PBXs, then users, each object at most once. */
export const GatewayChanges = z.object({
  /** Continue from here (it may move on even when `changes` is empty). */
  cursor: z.string(),
  changes: z.array(GatewayChange),
  /** More changes are waiting: ask again at once. */
  more: z.boolean(),
});
export type GatewayChanges = z.infer<typeof GatewayChanges>;

// ---------------------------------------------------------------------------------------------
// Write side

/** The most items one batch may carry; a bigger batch is refused with 413 `payload_too_large`. */
export const maxGatewayBatch = 1000;

const at = z.iso.datetime({ offset: true, error: "Must be an ISO 8601 date-time" });
const sipCode = z
  .number({ error: "Must be a SIP status code" })
  .int("Must be a SIP status code")
  .min(100, "Must be a SIP status code")
  .max(699, "Must be a SIP status code");
const optionalLine = (max: number) =>
  text().max(max, `Must be at most ${max} characters`).nullish();

/** `{ items: [...] }` of at most `maxGatewayBatch` items (413 beyond). */
function batchOf<T extends z.ZodType>(item: T) {
  return z.strictObject({ items: z.array(item, { error: "Must be a list" }) });
}

export const registrationReportStates = ["registered", "failed", "unregistered"] as const;
export const RegistrationReport = z.strictObject({
  deviceId: Id,
  state: z.enum(registrationReportStates, { error: "Must be registered, failed or unregistered" }),
  /** The PBX's final answer to the REGISTER (a failure's code). */
  code: sipCode.nullish(),
  reason: optionalLine(200),
  /** When the gateway saw it; older reports than the stored one are ignored. */
  at,
});
export type RegistrationReport = z.infer<typeof RegistrationReport>;
export const RegistrationReportsBody = batchOf(RegistrationReport);
export type RegistrationReportsBody = z.infer<typeof RegistrationReportsBody>;

/** Per item: 200 applied (or older than what is stored), 404 not a device of the region, 409 not this node's lease. */
export const ItemResult = z.object({
  deviceId: z.string(),
  status: z.union([z.literal(200), z.literal(404), z.literal(409)]),
});
export type ItemResult = z.infer<typeof ItemResult>;
export const ItemResults = z.object({ items: z.array(ItemResult) });
export type ItemResults = z.infer<typeof ItemResults>;

export const AcquireLeasesBody = z.strictObject({
  /** Only these devices (default: any free device of the region). */
  deviceIds: z.array(Id).max(maxGatewayBatch, `At most ${maxGatewayBatch}`).optional(),
  /** At most this many leases (default 100). */
  max: z
    .number({ error: "Must be a number" })
    .int("Must be a whole number")
    .min(1, "Must be at least 1")
    .max(maxGatewayBatch, `Must be at most ${maxGatewayBatch}`)
    .default(100),
});
export type AcquireLeasesBody = z.infer<typeof AcquireLeasesBody>;

export const LeaseDevicesBody = z.strictObject({
  deviceIds: z.array(Id).max(maxGatewayBatch, `At most ${maxGatewayBatch}`),
});
export type LeaseDevicesBody = z.infer<typeof LeaseDevicesBody>;

export const GatewayLease = z.object({ deviceId: z.string(), expiresAt: z.string() });
export type GatewayLease = z.infer<typeof GatewayLease>;

/**
 * Leases granted or renewed (renew again well before `expiresAt`); `lost`: asked for but not (or
 * no longer) this node's: stop registering those.
 */
export const LeasesResponse = z.object({
  leases: z.array(GatewayLease),
  lost: z.array(z.string()),
  leasePeriodSeconds: z.number().int(),
});
export type LeasesResponse = z.infer<typeof LeasesResponse>;

export const callDirections = ["inbound", "outbound"] as const;
export const callDispositions = ["answered", "busy", "no_answer", "cancelled", "failed"] as const;
export const hangupSides = ["caller", "callee", "gateway"] as const;

/**
 * A call record (SPEC §2.7), one per call and leg. `inbound`: towards the Teams user (from the
 * PBX or trunk); `outbound`: from the Teams user. Posting the same (callId, leg) twice stores it once.
 */
export const CdrRecord = z.strictObject({
  callId: requiredText(1, 200),
  leg: requiredText(1, 32),
  enterpriseId: Id.nullish(),
  userId: Id.nullish(),
  direction: z.enum(callDirections, { error: "Must be inbound or outbound" }),
  caller: text().max(200, "Must be at most 200 characters"),
  callee: text().max(200, "Must be at most 200 characters"),
  startedAt: at,
  answeredAt: at.nullish(),
  endedAt: at,
  disposition: z.enum(callDispositions, {
    error: `Must be one of ${callDispositions.join(", ")}`,
  }),
  sipCode: sipCode.nullish(),
  sipReason: optionalLine(200),
  hangupSide: z.enum(hangupSides, { error: "Must be caller, callee or gateway" }).nullish(),
  codec: optionalLine(32),
  /** Seconds from answer to end (0 when not answered). */
  durationSeconds: z
    .number({ error: "Must be a number of seconds" })
    .int("Must be a whole number")
    .min(0, "Must be 0 or more")
    .max(7 * 86_400, "Must be at most a week"),
});
export type CdrRecord = z.infer<typeof CdrRecord>;
export const CdrBatchBody = batchOf(CdrRecord);
export type CdrBatchBody = z.infer<typeof CdrBatchBody>;

/** How many records or messages were new, and how many were already stored (or dropped). */
export const BatchAccepted = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  /** Trace messages past the per-leg cap (`maxTraceMessagesPerLeg`), not stored. */
  dropped: z.number().int().optional(),
});
export type BatchAccepted = z.infer<typeof BatchAccepted>;

/** A SIP trace keeps at most this many messages per call leg (`seq` 0 … cap - 1). */
export const maxTraceMessagesPerLeg = 200;
/** And at most this many bytes (UTF-8) per message: the agent truncates longer ones. */
export const maxTraceMessageBytes = 64 * 1024;

const encoder = new TextEncoder();
/** NUL and lone surrogates: no text column can hold them (line breaks and tabs are fine). */
function isUnstorable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}
export const SipTraceMessage = z.strictObject({
  callId: requiredText(1, 200),
  leg: requiredText(1, 32),
  /** The message's place in the leg, from 0; with (callId, leg), its identity. */
  seq: z.number({ error: "Must be a number" }).int("Must be a whole number").min(0).max(1_000_000),
  at,
  direction: z.enum(["in", "out"], { error: "Must be in or out" }),
  source: requiredText(1, 100),
  destination: requiredText(1, 100),
  /** The SIP message as sent (multi-line). */
  message: z
    .string({ error: "Required" })
    .min(1, "Required")
    .refine((v) => !isUnstorable(v), "Must not contain NUL or invalid characters")
    .refine(
      (v) => encoder.encode(v).length <= maxTraceMessageBytes,
      `Must be at most ${maxTraceMessageBytes} bytes`,
    ),
});
export type SipTraceMessage = z.infer<typeof SipTraceMessage>;
export const SipTraceBatchBody = batchOf(SipTraceMessage);
export type SipTraceBatchBody = z.infer<typeof SipTraceBatchBody>;
