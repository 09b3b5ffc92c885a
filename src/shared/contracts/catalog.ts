import { z } from "zod";
import { requiredText } from "./common.ts";
import {
  type DnsLookup,
  DnsLookup as DnsLookupSchema,
  FeatureCode,
  type Transport,
  Transport as TransportSchema,
} from "./pbx.ts";

const Fqdn = z
  .string({ error: "Required" })
  .trim()
  .min(1, "Required")
  .max(200, "Must be at most 200 characters")
  .transform((v) => v.toLowerCase())
  .pipe(
    z
      .string()
      .regex(
        /^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        "Must be a fully qualified domain name such as use1.sbc.example.net",
      ),
  );

export const RegionStatus = z.enum(["active", "disabled"]);
export const CreateRegionBody = z.strictObject({
  name: requiredText(2, 100),
  carrierFqdn: Fqdn,
  status: RegionStatus.default("active"),
});
export type CreateRegionBody = z.infer<typeof CreateRegionBody>;
// No defaults on edit: an omitted field keeps its value (a default would silently reset it).
export const UpdateRegionBody = z.strictObject({
  name: CreateRegionBody.shape.name.optional(),
  carrierFqdn: Fqdn.optional(),
  status: RegionStatus.optional(),
});
export type UpdateRegionBody = z.infer<typeof UpdateRegionBody>;

export interface RegionView {
  id: string;
  name: string;
  carrierFqdn: string;
  status: "active" | "disabled";
  createdAt: string;
}

export const HostingType = z.enum(["hosted", "on_premises"]);
const pbxTypeFields = {
  name: requiredText(2, 100),
  label: requiredText(1, 100),
  isDefault: z.boolean({ error: "Must be true or false" }),
  isDisabled: z.boolean({ error: "Must be true or false" }),
  hostingType: HostingType,
  /** The PBX location form's defaults (SPEC §2.3). */
  defaultDnsLookup: DnsLookupSchema,
  defaultTransport: TransportSchema,
  defaultVoicemailFeatureCode: FeatureCode,
  /** Whether the PBX has an API: its locations may then hold API credentials. */
  hasApi: z.boolean({ error: "Must be true or false" }),
};
export const CreatePbxTypeBody = z.strictObject({
  ...pbxTypeFields,
  isDefault: pbxTypeFields.isDefault.default(false),
  isDisabled: pbxTypeFields.isDisabled.default(false),
  hostingType: HostingType.default("hosted"),
  defaultDnsLookup: DnsLookupSchema.default("A"),
  defaultTransport: TransportSchema.default("udp"),
  defaultVoicemailFeatureCode: FeatureCode.default(null),
  hasApi: pbxTypeFields.hasApi.default(false),
});
export type CreatePbxTypeBody = z.infer<typeof CreatePbxTypeBody>;
// No defaults on edit: an omitted field keeps its value (a default would silently reset it).
export const UpdatePbxTypeBody = z.strictObject(
  Object.fromEntries(Object.entries(pbxTypeFields).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof typeof pbxTypeFields]: z.ZodOptional<(typeof pbxTypeFields)[K]>;
  },
);
export type UpdatePbxTypeBody = z.infer<typeof UpdatePbxTypeBody>;

export interface PbxTypeView {
  id: string;
  name: string;
  label: string;
  isDefault: boolean;
  isDisabled: boolean;
  hostingType: "hosted" | "on_premises";
  defaultDnsLookup: DnsLookup;
  defaultTransport: Transport;
  defaultVoicemailFeatureCode: string | null;
  hasApi: boolean;
  createdAt: string;
}
