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

/** The one message for a user limit that is not a whole number of at least 1. */
export const userLimitMessage = "Enter a whole number of at least 1, or leave blank for unlimited";

const UserLimitValue = z
  .number({ error: userLimitMessage })
  .int(userLimitMessage)
  .min(1, userLimitMessage)
  .max(1_000_000, "Enter at most 1000000, or leave blank for unlimited")
  .nullable();
const UserLimit = UserLimitValue.default(null);

/**
 * The request value of a user limit as a person typed it: blank is unlimited (null), digits are
 * that number, and anything else stays the text it is, so the contract refuses it with a field
 * error instead of a silently corrected number.
 */
export function userLimitOfText(text: string): number | string | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  return /^[0-9]{1,9}$/.test(trimmed) ? Number(trimmed) : text;
}

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

/**
 * The row actions of the Enterprises page (seed 3: Edit, Disable/Enable, Resend invitation),
 * offered exactly when the server would accept them.
 */
export const enterpriseAbilities = [
  "enterprise.update",
  "enterprise.disable",
  "enterprise.enable",
  "enterprise.resend_invitation",
] as const;
export type EnterpriseAbility = (typeof enterpriseAbilities)[number];

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
  abilities: EnterpriseAbility[];
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

/**
 * Where a page of the Enterprises list starts (keyset paging, ADR 0011): `a.<id>` for the rows
 * after (older than) that enterprise, `b.<id>` for the rows before (newer than) it.
 */
export const EnterpriseListCursor = z
  .string()
  .regex(/^[ab]\.[A-Za-z0-9_-]{1,64}$/, "Must be a cursor from a previous page");
export type EnterpriseListCursor = z.infer<typeof EnterpriseListCursor>;

/**
 * Query of the Enterprises list, newest first: a cursor from a previous page (none = the first
 * page), the page size, search on name and admin e-mail, and a status filter.
 */
export const EnterpriseListQuery = z.strictObject({
  cursor: EnterpriseListCursor.optional(),
  pageSize: PageQuery.shape.pageSize,
  q: PageQuery.shape.q,
  status: z
    .enum(["invited", "registered", "active", "disabled"], {
      error: "Must be invited, registered, active or disabled",
    })
    .optional(),
});
export type EnterpriseListQuery = z.infer<typeof EnterpriseListQuery>;

/** The list counts matching enterprises up to this many; beyond it says "more than". */
export const enterpriseListCountCap = 1000;

/** A page of the Enterprises list: the rows, a capped total, and the cursors to its neighbours. */
export interface EnterprisePage<T = EnterpriseView> {
  items: T[];
  /** How many enterprises match, exact up to `enterpriseListCountCap`. */
  total: number;
  /** True when more than `total` enterprises match (the count stopped at the cap). */
  isTotalCapped: boolean;
  pageSize: number;
  /** The cursor of the next (older) page, or null on the last page. */
  nextCursor: string | null;
  /** The cursor of the previous (newer) page, or null on the first page. */
  prevCursor: string | null;
}

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
