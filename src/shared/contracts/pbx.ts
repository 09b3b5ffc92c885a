import { z } from "zod";
import { Id, type Page, PageQuery, requiredText, text } from "./common.ts";

/** How the gateway finds the PBX: an A record of the domain or proxy, or SRV / NAPTR records. */
export const dnsLookups = ["A", "SRV", "NAPTR"] as const;
export const DnsLookup = z.enum(dnsLookups, { error: "Must be A, SRV or NAPTR" });
export type DnsLookup = z.infer<typeof DnsLookup>;

export const transports = ["udp", "tcp", "tls"] as const;
export const Transport = z.enum(transports, { error: "Must be udp, tcp or tls" });
export type Transport = z.infer<typeof Transport>;
export const transportLabels: Record<Transport, string> = { udp: "UDP", tcp: "TCP", tls: "TLS" };

/** The codecs the gateway can offer the PBX, in no particular order (a location orders them). */
export const codecs = ["PCMU", "PCMA", "G722", "G729", "opus"] as const;
export const Codec = z.enum(codecs, { error: `Must be one of ${codecs.join(", ")}` });
export type Codec = z.infer<typeof Codec>;

export const dtmfModes = ["rfc2833", "info", "inband"] as const;
export const DtmfMode = z.enum(dtmfModes, { error: "Must be rfc2833, info or inband" });
export type DtmfMode = z.infer<typeof DtmfMode>;
export const dtmfModeLabels: Record<DtmfMode, string> = {
  rfc2833: "RFC 2833 (telephone-event)",
  info: "SIP INFO",
  inband: "In-band audio",
};

/** SPEC §2.6: the caller name shown to the called party; `OTHER` carries a custom name. */
export const CallerNamePolicy = z.enum(["TRANSPARENT", "OTHER"], {
  error: "Must be TRANSPARENT or OTHER",
});
export type CallerNamePolicy = z.infer<typeof CallerNamePolicy>;

/** SPEC §2.6: the caller ID of a call the user forwards. */
export const ForwardedCallerId = z.enum(["USER_CALLER_ID", "TRANSPARENT"], {
  error: "Must be USER_CALLER_ID or TRANSPARENT",
});
export type ForwardedCallerId = z.infer<typeof ForwardedCallerId>;

export const registrationExpiryBounds = { min: 60, max: 86_400, default: 3600 } as const;

const dnsLabel = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
/** Two labels or more, the last not all digits (so an IPv4 address is not taken for a name). */
const dnsNamePattern = new RegExp(
  `^(?=.{1,253}$)(?:${dnsLabel}\\.)+(?=[a-z0-9-]*[a-z])${dnsLabel}$`,
);

/** True when `value` (lower case) is a DNS name such as `pbx.example.com`. */
export function isDnsName(value: string): boolean {
  return dnsNamePattern.test(value);
}

function isIpv4(value: string): boolean {
  return z.ipv4().safeParse(value).success;
}

function isIpv6(value: string): boolean {
  return z.ipv6().safeParse(value).success;
}

/**
 * What is wrong with a SIP domain, or null when it is a DNS name: the messages name the usual
 * mistakes (a scheme, a port, an address) so the person knows what to take out.
 */
export function sipDomainProblem(value: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:(?!\d+$)/i.test(value) || value.includes("/"))
    return "Enter the domain only, without sip: or https://";
  if (value.includes(":") && !value.includes("::") && !isIpv6(value))
    return "Enter the domain without a port (a port belongs in the SIP proxy)";
  if (isIpv4(value) || isIpv6(value.replace(/^\[|\]$/g, "")))
    return "Must be a DNS name, not an IP address (use the SIP proxy for an address)";
  if (!isDnsName(value)) return "Must be a DNS name such as pbx.example.com";
  return null;
}

/** A SIP proxy split into its host and port (null: none given). */
export interface HostPort {
  host: string;
  port: number | null;
  kind: "dns" | "ipv4" | "ipv6";
}

/**
 * Parses `host[:port]`: a DNS name, an IPv4 address or an IPv6 address in brackets, and a port of
 * 1–65535. Returns the parts, or what is wrong as a message.
 */
export function parseHostPort(value: string): HostPort | string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^sips?:/i.test(value))
    return "Enter host[:port] only, without sip: or https://";
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    host = bracketed[1] ?? "";
    portText = bracketed[2];
    if (!isIpv6(host)) return "Must be an IPv6 address inside the brackets, such as [2001:db8::1]";
  } else {
    if ((value.match(/:/g) ?? []).length > 1)
      return "Put an IPv6 address in brackets, such as [2001:db8::1]:5060";
    const at = value.indexOf(":");
    host = at === -1 ? value : value.slice(0, at);
    portText = at === -1 ? undefined : value.slice(at + 1);
    if (!isIpv4(host) && !isDnsName(host))
      return "Must be a host name such as sip.example.com or an IP address, with an optional :port";
  }
  let port: number | null = null;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65_535)
      return "The port must be a number from 1 to 65535";
    port = Number(portText);
  }
  return { host, port, kind: bracketed ? "ipv6" : isIpv4(host) ? "ipv4" : "dns" };
}

export const SipDomain = text()
  .trim()
  .min(1, "Required")
  .max(253, "Must be at most 253 characters")
  .transform((v) => v.toLowerCase())
  .superRefine((v, ctx) => {
    const problem = sipDomainProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** An optional `host[:port]`: blank is none (null). */
export const SipProxy = text()
  .trim()
  .max(260, "Must be at most 260 characters")
  .transform((v) => v.toLowerCase())
  .superRefine((v, ctx) => {
    if (v === "") return;
    const parsed = parseHostPort(v);
    if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
  })
  .nullable()
  .transform((v) => (v ? v : null));

/** A feature code dialled on the PBX, such as `*97` or `#123`; blank is none (null). */
export const FeatureCode = text()
  .trim()
  .max(10, "Must be at most 10 characters")
  .superRefine((v, ctx) => {
    if (v !== "" && !/^[*#][0-9]{1,8}$/.test(v))
      ctx.addIssue({ code: "custom", message: "Must be * or # followed by digits, such as *97" });
  })
  .nullable()
  .transform((v) => (v ? v : null));

const expiryMessage = `Enter a whole number of seconds from ${registrationExpiryBounds.min} to ${registrationExpiryBounds.max}`;
export const RegistrationExpiry = z
  .number({ error: expiryMessage })
  .int(expiryMessage)
  .min(registrationExpiryBounds.min, expiryMessage)
  .max(registrationExpiryBounds.max, expiryMessage);

/**
 * The request value of a number field as a person typed it: digits are that number, anything
 * else stays the text it is, so the contract refuses it with a field error instead of a silently
 * corrected number.
 */
export function numberOfText(value: string): number | string {
  const trimmed = value.trim();
  return /^[0-9]{1,9}$/.test(trimmed) ? Number(trimmed) : value;
}

export const Codecs = z
  .array(Codec, { error: "Select at least one codec" })
  .min(1, "Select at least one codec")
  .max(codecs.length, `Select at most ${codecs.length} codecs`)
  .refine((list) => new Set(list).size === list.length, "List each codec once");

/** Optional text of bounded length: blank is none (null). */
function optionalValue(max: number) {
  return text()
    .trim()
    .max(max, `Must be at most ${max} characters`)
    .nullable()
    .transform((v) => (v ? v : null));
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.hostname !== "";
  } catch {
    return false;
  }
}

/** An https URL; blank is none (null). */
export const TokenUrl = text()
  .trim()
  .max(500, "Must be at most 500 characters")
  .superRefine((v, ctx) => {
    if (v === "") return;
    // The client secret travels to this URL: never in clear over http.
    if (!isHttpsUrl(v))
      ctx.addIssue({
        code: "custom",
        message: "Must be an https:// URL such as https://pbx.example.com/oauth/token",
      });
  })
  .nullable()
  .transform((v) => (v ? v : null));

/**
 * The client secret of the PBX API: write-only. On create, a value or nothing; on edit, absent
 * keeps the stored one, null clears it, a value replaces it.
 */
export const ApiClientSecret = text()
  .min(1, "Enter the secret, or leave the field out to keep the stored one")
  .max(500, "Must be at most 500 characters")
  .nullable();

/** Every field of a PBX location, without defaults (so an edit changes only what it names). */
const pbxFields = {
  pbxTypeId: text().trim().min(1, "Select a PBX type").max(64, "Must be at most 64 characters"),
  locationName: requiredText(2, 100),
  dnsLookup: DnsLookup,
  sipDomain: SipDomain,
  sipProxy: SipProxy,
  transport: Transport,
  registrationExpiry: RegistrationExpiry,
  codecs: Codecs,
  dtmfMode: DtmfMode,
  voicemailFeatureCode: FeatureCode,
  callerNamePolicy: CallerNamePolicy,
  callerName: optionalValue(100),
  forwardedCallerId: ForwardedCallerId,
  apiTokenUrl: TokenUrl,
  apiClientId: optionalValue(200),
  apiClientSecret: ApiClientSecret,
  apiMasqueradingLogin: optionalValue(200),
};

/**
 * "Add PBX location". The PBX type's defaults (DNS lookup, transport, voicemail code) apply to
 * what the body leaves out; the rules that join fields or need the type (a port with SRV, API
 * settings only for types with an API) are the server's (`pbxRuleProblems`).
 */
export const CreatePbxBody = z.strictObject({
  ...pbxFields,
  dnsLookup: DnsLookup.optional(),
  sipProxy: SipProxy.default(null),
  transport: Transport.optional(),
  registrationExpiry: RegistrationExpiry.default(registrationExpiryBounds.default),
  codecs: Codecs.default(["PCMU", "PCMA"]),
  dtmfMode: DtmfMode.default("rfc2833"),
  voicemailFeatureCode: FeatureCode.optional(),
  callerNamePolicy: CallerNamePolicy.default("TRANSPARENT"),
  callerName: optionalValue(100).default(null),
  forwardedCallerId: ForwardedCallerId.default("USER_CALLER_ID"),
  apiTokenUrl: TokenUrl.default(null),
  apiClientId: optionalValue(200).default(null),
  apiClientSecret: ApiClientSecret.optional(),
  apiMasqueradingLogin: optionalValue(200).default(null),
});
export type CreatePbxBody = z.infer<typeof CreatePbxBody>;

/** Edit: only the fields given change; `apiClientSecret: null` clears the secret. */
export const UpdatePbxBody = z.strictObject(
  Object.fromEntries(Object.entries(pbxFields).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof typeof pbxFields]: z.ZodOptional<(typeof pbxFields)[K]>;
  },
);
export type UpdatePbxBody = z.infer<typeof UpdatePbxBody>;

export const PbxListQuery = PageQuery.pick({ page: true, pageSize: true });
export type PbxListQuery = z.infer<typeof PbxListQuery>;

export const PbxIdParam = { pbxId: Id };

export type PbxAbility = "pbx.update" | "pbx.delete";

/** A PBX location as the API shows it: never the client secret, only whether one is stored. */
export interface PbxView {
  id: string;
  enterpriseId: string;
  pbxTypeId: string;
  pbxTypeName: string;
  /** Whether the type has an API (the advanced settings apply). */
  pbxTypeHasApi: boolean;
  locationName: string;
  dnsLookup: DnsLookup;
  sipDomain: string;
  sipProxy: string | null;
  transport: Transport;
  registrationExpiry: number;
  codecs: Codec[];
  dtmfMode: DtmfMode;
  voicemailFeatureCode: string | null;
  callerNamePolicy: CallerNamePolicy;
  callerName: string | null;
  forwardedCallerId: ForwardedCallerId;
  apiTokenUrl: string | null;
  apiClientId: string | null;
  hasApiClientSecret: boolean;
  apiMasqueradingLogin: string | null;
  createdAt: string;
  updatedAt: string;
  abilities: PbxAbility[];
}

/** A PBX type the enterprise may use for a location, with the defaults the form starts from. */
export interface PbxTypeChoice {
  id: string;
  name: string;
  label: string;
  isDefault: boolean;
  hasApi: boolean;
  defaultDnsLookup: DnsLookup;
  defaultTransport: Transport;
  defaultVoicemailFeatureCode: string | null;
}

export interface PbxListResponse extends Page<PbxView> {
  /** May the actor add a location (the role, and the management consent for a provider). */
  canCreate: boolean;
  /** The types a new location may have: the enterprise's assigned types that are not disabled. */
  pbxTypes: PbxTypeChoice[];
}
