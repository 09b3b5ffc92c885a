import { z } from "zod";
import { requiredText } from "./common.ts";

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
export const UpdateRegionBody = CreateRegionBody.partial();
export type UpdateRegionBody = z.infer<typeof UpdateRegionBody>;

export interface RegionView {
  id: string;
  name: string;
  carrierFqdn: string;
  status: "active" | "disabled";
  createdAt: string;
}

export const HostingType = z.enum(["hosted", "on_premises"]);
export const CreatePbxTypeBody = z.strictObject({
  name: requiredText(2, 100),
  label: requiredText(1, 100),
  isDefault: z.boolean().default(false),
  isDisabled: z.boolean().default(false),
  hostingType: HostingType.default("hosted"),
});
export type CreatePbxTypeBody = z.infer<typeof CreatePbxTypeBody>;
export const UpdatePbxTypeBody = CreatePbxTypeBody.partial();
export type UpdatePbxTypeBody = z.infer<typeof UpdatePbxTypeBody>;

export interface PbxTypeView {
  id: string;
  name: string;
  label: string;
  isDefault: boolean;
  isDisabled: boolean;
  hostingType: "hosted" | "on_premises";
  createdAt: string;
}
