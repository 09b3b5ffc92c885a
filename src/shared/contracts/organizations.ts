import { z } from "zod";
import {
  Email,
  IdList,
  type InvitationSummary,
  LinkToken,
  NewPassword,
  optionalText,
  PageQuery,
  requiredText,
  type Service,
  Services,
  text,
  Username,
} from "./common.ts";

export type OrganizationStatus = "invited" | "active" | "disabled";

export const CreateMasterResellerBody = z.strictObject({
  companyName: requiredText(2, 100),
  adminName: requiredText(1, 100),
  email: Email,
  billingReference: optionalText(100),
  regionIds: IdList.optional(),
  pbxTypeIds: IdList.optional(),
});
export type CreateMasterResellerBody = z.infer<typeof CreateMasterResellerBody>;

export const UpdateMasterResellerBody = z.strictObject({
  companyName: requiredText(2, 100).optional(),
  adminName: requiredText(1, 100).optional(),
  billingReference: optionalText(100).optional(),
  regionIds: IdList.optional(),
  pbxTypeIds: IdList.optional(),
});
export type UpdateMasterResellerBody = z.infer<typeof UpdateMasterResellerBody>;

/** "Add Reseller" (seed 2). Entitlements default to everything the master reseller has. */
export const CreateResellerBody = z.strictObject({
  name: requiredText(2, 100),
  email: Email,
  services: Services,
  billingReference: optionalText(100),
  regionIds: IdList.optional(),
  pbxTypeIds: IdList.optional(),
});
export type CreateResellerBody = z.infer<typeof CreateResellerBody>;

export const UpdateResellerBody = z.strictObject({
  name: requiredText(2, 100).optional(),
  services: Services.optional(),
  billingReference: optionalText(100).optional(),
  regionIds: IdList.optional(),
  pbxTypeIds: IdList.optional(),
});
export type UpdateResellerBody = z.infer<typeof UpdateResellerBody>;

/** Query of the master reseller and reseller lists: paging, search on name and e-mail, status filter. */
export const OrganizationListQuery = PageQuery.extend({
  status: z
    .enum(["invited", "active", "disabled"], { error: "Must be invited, active or disabled" })
    .optional(),
});
export type OrganizationListQuery = z.infer<typeof OrganizationListQuery>;

/** The row actions of the Master resellers and Resellers pages. */
export const organizationVerbs = [
  "update",
  "disable",
  "enable",
  "resend_invitation",
  "add_reseller",
  "manage_admins",
] as const;
export type OrganizationVerb = (typeof organizationVerbs)[number];
/** What the viewer may do to an organization (`<kind>.<verb>`); the page offers exactly these. */
export type OrganizationAbility =
  | `${"master_reseller" | "reseller"}.${OrganizationVerb}`
  | "operator.manage_admins";

export interface OrganizationView {
  id: string;
  kind: "master_reseller" | "reseller";
  parentId: string | null;
  name: string;
  contactName: string | null;
  email: string;
  status: OrganizationStatus;
  services: Service[];
  billingReference: string | null;
  regionIds: string[];
  pbxTypeIds: string[];
  enterpriseCount?: number;
  invitation: InvitationSummary | null;
  createdAt: string;
  updatedAt: string;
  abilities: OrganizationAbility[];
}

/** The activation form of a master reseller or reseller (seed 2). */
export const ActivateBody = z
  .strictObject({
    token: LinkToken,
    code: text().trim().min(1, "Required").max(20, "Must be at most 20 characters"),
    email: Email,
    username: Username,
    password: NewPassword,
    passwordConfirm: text(),
  })
  .refine((v) => v.password === v.passwordConfirm, {
    path: ["passwordConfirm"],
    message: "Passwords do not match",
  });
export type ActivateBody = z.infer<typeof ActivateBody>;

/** The link token of the activation page (`/activate?token=…`). */
export const ActivationQuery = z.strictObject({
  token: LinkToken,
});
export type ActivationQuery = z.infer<typeof ActivationQuery>;

export interface ActivationInfo {
  organizationName: string;
  kind: "master_reseller" | "reseller";
  expiresAt: string;
}

export const CreateAdminBody = z.strictObject({
  name: requiredText(1, 100),
  email: Email,
  username: Username,
});
export type CreateAdminBody = z.infer<typeof CreateAdminBody>;

/** What the viewer may do to one admin. */
export type AdminAbility = "admin.reset_password" | "admin.delete";

/** An organization's admins, and whether the viewer may add one. */
export interface AdminList {
  items: AdminView[];
  abilities: "admin.create"[];
}

export interface AdminView {
  id: string;
  name: string;
  email: string;
  username: string;
  isFirstAdmin: boolean;
  mustChangePassword: boolean;
  lastLoginAt: string | null;
  createdAt: string;
  /** What the viewer may do to this admin; the page offers exactly these. */
  abilities: AdminAbility[];
}

/** Returned once when an admin is created or its password reset: shown to the creator, never stored. */
export interface AdminWithTemporaryPassword {
  admin: AdminView;
  temporaryPassword: string;
}
