import { z } from "zod";
import { optionalText, text } from "./common.ts";
import { PhoneNumber } from "./numbers.ts";
import { CallerNamePolicy, ForwardedCallerId, isDnsName } from "./pbx.ts";

/** How a configured user reaches the PBX (SPEC §2.6): a registered device, or DIDs to a trunk. */
export const callingServices = ["pbx", "trunk"] as const;
export const CallingService = z.enum(callingServices, { error: "Must be pbx or trunk" });
export type CallingService = z.infer<typeof CallingService>;
export const callingServiceLabels: Record<CallingService, string> = {
  pbx: "PBX user",
  trunk: "Trunk user",
};

/** The user part of a SIP URI as PBXs hand out: letters, digits and `. _ + -`. */
const sipUserPart = /^[a-z0-9._+-]{1,64}$/i;

/** What is wrong with `ext@domain`, or null when it is one. */
export function sipUserProblem(value: string): string | null {
  if (/^sips?:/i.test(value)) return "Enter ext@domain without sip:";
  const at = value.lastIndexOf("@");
  if (at <= 0 || at === value.length - 1) return "Must be ext@domain, such as 201@pbx.example.com";
  const user = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!sipUserPart.test(user))
    return "The part before @ may hold letters, digits and . _ + - (at most 64)";
  if (!isDnsName(domain.toLowerCase()) && z.ipv4().safeParse(domain).success === false)
    return "The part after @ must be the PBX's SIP domain, such as pbx.example.com";
  return null;
}

/** `ext@domain`, trimmed; the domain is lower-cased, the extension kept as typed. */
export const SipUser = text()
  .trim()
  .min(1, "Required")
  .max(320, "Must be at most 320 characters")
  .superRefine((v, ctx) => {
    const problem = sipUserProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** The digest user name the PBX challenges the device with. */
export const SipAuthId = text()
  .trim()
  .min(1, "Required")
  .max(128, "Must be at most 128 characters")
  .refine((v) => !/\s/.test(v), "Must not contain spaces");

/**
 * A device's SIP password, as the PBX issued it: write-only (sealed at rest, never returned). Not
 * trimmed: a space is a character of the password.
 */
export const SipPassword = text()
  .min(4, "Must be at least 4 characters")
  .max(128, "Must be at most 128 characters");

/** The most forwarded DIDs one trunk user may have. */
export const maxForwardedDids = 50;

/**
 * "Configure for calling" (PUT: creates or replaces the configuration). The PBX location's
 * caller-name and caller-ID defaults apply to what the body leaves out. A PBX user needs a SIP
 * user and a device (SIP auth ID, and a password when the device is new: absent keeps the stored
 * one); a trunk user has no device and may list forwarded DIDs. The rules that join fields or need
 * the database (the PBX's domain, the inventory, uniqueness, the licence, the user limit) are the
 * server's.
 */
export const ConfigureUserBody = z.strictObject({
  service: CallingService.default("pbx"),
  pbxId: text().trim().min(1, "Select a PBX location").max(64, "Must be at most 64 characters"),
  regionId: text().trim().min(1, "Select a voice route").max(64, "Must be at most 64 characters"),
  sipUser: SipUser.nullable().default(null),
  phoneNumber: PhoneNumber,
  forwardedDids: z
    .array(PhoneNumber, { error: "Must be a list of phone numbers" })
    .max(maxForwardedDids, `At most ${maxForwardedDids} forwarded DIDs`)
    .default([]),
  teamsVoicemail: z.boolean({ error: "Must be true or false" }).default(false),
  assignDialPlan: z.boolean({ error: "Must be true or false" }).default(true),
  callerNamePolicy: CallerNamePolicy.optional(),
  callerName: optionalText(100).optional(),
  forwardedCallerId: ForwardedCallerId.optional(),
  tag: optionalText(64).default(null),
  sipAuthId: SipAuthId.nullable().default(null),
  sipPassword: SipPassword.optional(),
});
export type ConfigureUserBody = z.infer<typeof ConfigureUserBody>;
export type ConfigureUserInput = z.input<typeof ConfigureUserBody>;

/** One of the enterprise's SBC regions, as the configure form offers it. */
export interface EnterpriseRegionChoice {
  id: string;
  name: string;
  /** The enterprise's primary region (the others are its failover order). */
  primary: boolean;
}

/** "Change SIP password". */
export const ChangeSipPasswordBody = z.strictObject({ sipPassword: SipPassword });
export type ChangeSipPasswordBody = z.infer<typeof ChangeSipPasswordBody>;

/** Where the user's push to Microsoft stands. */
export const teamsPushStates = ["pending", "waiting", "done", "failed"] as const;
export type TeamsPushState = (typeof teamsPushStates)[number];

export const registrationStates = ["unknown", "registered", "failed", "unregistered"] as const;
export type RegistrationState = (typeof registrationStates)[number];

/** How many events a device's registration history keeps (and so the most one page shows). */
export const maxRegistrationHistory = 50;

/** `GET …/users/{userId}/registration-history?limit=`: the newest events first. */
export const RegistrationHistoryQuery = z.strictObject({
  limit: z.coerce
    .number({ error: "Must be a number" })
    .int("Must be a whole number")
    .min(1, "Must be at least 1")
    .max(maxRegistrationHistory, `Must be at most ${maxRegistrationHistory}`)
    .default(maxRegistrationHistory),
});
export type RegistrationHistoryQuery = z.infer<typeof RegistrationHistoryQuery>;

/** One change of a device's registration as a gateway node reported it. */
export const RegistrationEvent = z.object({
  /** Increases with each event recorded (a stable key; newer events of one device sort after). */
  id: z.number().int(),
  state: z.enum(registrationStates),
  /** A failure's SIP code and reason phrase; null when registered. */
  code: z.number().int().nullable(),
  reason: z.string().nullable(),
  /** The gateway node that reported it. */
  node: z.object({ id: z.string(), name: z.string() }),
  /** When the node saw it (ISO 8601). */
  at: z.string(),
});
export type RegistrationEvent = z.infer<typeof RegistrationEvent>;

/** A user's registration history, newest first; empty for a user without a device. */
export const RegistrationHistory = z.object({ items: z.array(RegistrationEvent) });
export type RegistrationHistory = z.infer<typeof RegistrationHistory>;

/** The state of a configured user as the list filters it. */
export type CallingStatus = "active" | "calling_disabled" | "disabled" | "deleted";

/** A configuration's status: deleted, else disabled (the user), else whether calling is on. */
export function callingStatusOf(c: {
  deletedAt: unknown;
  disabledAt: unknown;
  callingEnabled: boolean | null;
}): CallingStatus {
  if (c.deletedAt) return "deleted";
  if (c.disabledAt) return "disabled";
  return c.callingEnabled ? "active" : "calling_disabled";
}

/** A user's calling configuration as the API shows it: the password only as `hasSipPassword`. */
export interface CallingView {
  service: CallingService;
  pbxId: string;
  pbxLocationName: string;
  regionId: string;
  regionName: string;
  sipUser: string | null;
  phoneNumber: string;
  forwardedDids: string[];
  teamsVoicemail: boolean;
  assignDialPlan: boolean;
  callerNamePolicy: CallerNamePolicy;
  callerName: string | null;
  forwardedCallerId: ForwardedCallerId;
  tag: string | null;
  status: CallingStatus;
  callingEnabled: boolean;
  disabledAt: string | null;
  deletedAt: string | null;
  device: {
    sipAuthId: string;
    hasSipPassword: true;
    registration: {
      state: RegistrationState;
      code: number | null;
      reason: string | null;
      reportedAt: string | null;
      lastRegisteredAt: string | null;
    };
  } | null;
  teams: {
    state: TeamsPushState;
    error: string | null;
    requestedAt: string | null;
    appliedAt: string | null;
    number: string | null;
    numberAssignedAt: string | null;
    policyGranted: boolean;
    policyGrantedAt: string | null;
  };
  createdAt: string;
  updatedAt: string;
}

export type CallingAbility =
  | "calling.configure"
  | "calling.change_password"
  | "calling.disable_calling"
  | "calling.enable_calling"
  | "calling.disable"
  | "calling.enable"
  | "calling.delete"
  | "calling.restore"
  | "calling.push";
