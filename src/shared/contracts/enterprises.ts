import { z } from "zod";
import {
  Email,
  IdList,
  type InvitationSummary,
  LinkToken,
  optionalText,
  PageQuery,
  requiredText,
  type Service,
  Services,
  text,
} from "./common.ts";

export type EnterpriseStatus = "invited" | "registered" | "active" | "disabled";

const UserLimitValue = z
  .number({ error: "Must be a whole number" })
  .int("Must be a whole number")
  .positive("Must be a positive number")
  .max(1_000_000, "Must be at most 1000000")
  .nullable();
const UserLimit = UserLimitValue.default(null);

const enterpriseFields = {
  name: requiredText(2, 100),
  adminEmail: Email,
  userLimit: UserLimit,
  pbxMusicOnHold: z.boolean().default(false),
  accessSipData: z.boolean().default(false),
  requestManagementConsent: z.boolean().default(false),
  billingReference: optionalText(100),
  regionIds: IdList.min(1, "Select at least one SBC region"),
  services: Services,
  pbxTypeIds: IdList.default([]),
};

/** PBX types are required exactly when the PBX Connector service is selected (seed 3). */
function pbxTypesMatchServices(
  v: { services?: Service[]; pbxTypeIds?: string[] },
  ctx: z.RefinementCtx,
) {
  if (!v.services) return;
  if (v.services.includes("PBX") && (v.pbxTypeIds?.length ?? 0) === 0) {
    ctx.addIssue({ code: "custom", path: ["pbxTypeIds"], message: "Assign at least one PBX type" });
  }
}

export const CreateEnterpriseBody = z
  .strictObject(enterpriseFields)
  .superRefine(pbxTypesMatchServices)
  .transform((v) => (v.services.includes("PBX") ? v : { ...v, pbxTypeIds: [] }));
export type CreateEnterpriseBody = z.infer<typeof CreateEnterpriseBody>;

/** Edit: every field optional; the admin e-mail may change only while the enterprise is invited. */
export const UpdateEnterpriseBody = z
  .strictObject({
    name: enterpriseFields.name.optional(),
    adminEmail: Email.optional(),
    // No default here: an omitted user limit must stay as it is, not become unlimited.
    userLimit: UserLimitValue.optional(),
    pbxMusicOnHold: z.boolean().optional(),
    accessSipData: z.boolean().optional(),
    requestManagementConsent: z.boolean().optional(),
    billingReference: optionalText(100).optional(),
    regionIds: IdList.min(1, "Select at least one SBC region").optional(),
    services: Services.optional(),
    pbxTypeIds: IdList.optional(),
  })
  .superRefine(pbxTypesMatchServices);
export type UpdateEnterpriseBody = z.infer<typeof UpdateEnterpriseBody>;

export interface EnterpriseView {
  id: string;
  resellerId: string;
  resellerName: string;
  name: string;
  adminEmail: string;
  userLimit: number | null;
  pbxMusicOnHold: boolean;
  accessSipData: boolean;
  requestManagementConsent: boolean;
  billingReference: string | null;
  regionIds: string[];
  services: Service[];
  pbxTypeIds: string[];
  status: EnterpriseStatus;
  /** The Microsoft 365 organization's name, once registered. */
  tenantName: string | null;
  /** Whether the enterprise lets its service provider act on its behalf (SPEC §3.4). */
  managementConsent: "not_requested" | "pending" | "granted";
  invitation: InvitationSummary | null;
  createdAt: string;
  updatedAt: string;
  abilities: string[];
}

/** The enterprise Complete page (seed 3): the code from the e-mail and the link's token. */
export const VerifyEnterpriseInvitationBody = z.strictObject({
  token: LinkToken,
  code: text().trim().min(1, "Required").max(20, "Must be at most 20 characters"),
});
export type VerifyEnterpriseInvitationBody = z.infer<typeof VerifyEnterpriseInvitationBody>;

export interface EnterpriseInvitationCheck {
  enterpriseName: string;
  resellerName: string;
  adminEmail: string;
  next: "microsoft_sign_in";
}

/** Query of the Enterprises list: paging, search on name and admin e-mail, and a status filter. */
export const EnterpriseListQuery = PageQuery.extend({
  status: z
    .enum(["invited", "registered", "active", "disabled"], {
      error: "Must be invited, registered, active or disabled",
    })
    .optional(),
});
export type EnterpriseListQuery = z.infer<typeof EnterpriseListQuery>;

/** The link token of the enterprise Complete page (`/complete?token=…`). */
export const EnterpriseInvitationQuery = z.strictObject({
  token: LinkToken,
});
export type EnterpriseInvitationQuery = z.infer<typeof EnterpriseInvitationQuery>;

/** What the Complete page shows before the code is typed. */
export interface EnterpriseInvitationInfo {
  enterpriseName: string;
  resellerName: string;
  expiresAt: string;
}
