import { AppError } from "../../lib/errors.ts";
import { type GraphClient, odataString } from "./graph.ts";

/** A domain of a customer tenant, as Direct Routing needs it. */
export interface TenantDomain {
  /** The domain name, lower case. */
  id: string;
  isVerified: boolean;
}

/** A user looked up by sign-in name, with the SKUs of its licences. */
export interface TenantUser {
  id: string;
  userPrincipalName: string;
  licenseSkuIds: string[];
}

/** A licence the tenant has bought, with its service plans and the units still free. */
export interface SubscribedSku {
  skuId: string;
  skuPartNumber: string;
  servicePlanIds: string[];
  available: number;
}

export interface NewTenantUser {
  userPrincipalName: string;
  displayName: string;
  mailNickname: string;
  /** Two-letter country code; Microsoft refuses to license a user without it. */
  usageLocation: string;
  /** Set once and never kept: the account is created disabled and never signs in. */
  password: string;
}

/** An asynchronous Teams phone number operation now (`notStarted` counts as running). */
export interface PhoneNumberOperation {
  status: "running" | "succeeded" | "failed";
  /** Microsoft's words about the outcome (why it failed); null when it says nothing. */
  detail: string | null;
}

/** How far Microsoft has activated a number assignment (Graph's `activationState`). */
export type NumberActivationState =
  | "activated"
  | "assignmentPending"
  | "assignmentFailed"
  | "updatePending"
  | "updateFailed"
  /** A value Graph added after this code was written. */
  | "unknown";

/** The phone number Teams has assigned to a user (primary first). */
export interface UserPhoneNumber {
  /** E.164, with its `+`. */
  telephoneNumber: string;
  activationState: NumberActivationState;
}

/**
 * What Direct Routing changes in a customer's directory through Graph, acting as the application
 * in that tenant (app permissions `Domain.ReadWrite.All`, `User.ReadWrite.All`): the derived trunk
 * domains and the licensed user that activates each one; and the calling users' phone numbers in
 * Teams (`TeamsTelephoneNumber.ReadWrite.All`). Every lookup returns null for what is
 * absent, so a workflow step looks before it creates.
 */
export interface TenantAdmin {
  getDomain(tenantId: string, name: string): Promise<TenantDomain | null>;
  /** Adds an unverified domain (a subdomain of a domain verified in the tenant is verified at once). */
  addDomain(tenantId: string, name: string): Promise<TenantDomain>;
  /** The `MS=ms…` value Microsoft expects in the domain's TXT record. */
  domainVerificationText(tenantId: string, name: string): Promise<string>;
  /** Asks Microsoft to verify the domain: false while it cannot see the TXT record yet. */
  verifyDomain(tenantId: string, name: string): Promise<boolean>;
  /** Removes the domain; absent is not an error. Refused while users are on it. */
  removeDomain(tenantId: string, name: string): Promise<void>;
  findUserByPrincipalName(tenantId: string, upn: string): Promise<TenantUser | null>;
  createUser(tenantId: string, user: NewTenantUser): Promise<TenantUser>;
  /** Deletes the user; absent is not an error. */
  removeUser(tenantId: string, userId: string): Promise<void>;
  listSubscribedSkus(tenantId: string): Promise<SubscribedSku[]>;
  assignLicense(tenantId: string, userId: string, skuId: string): Promise<void>;

  /**
   * Gives the user `number` (E.164) as their primary Direct Routing number in Teams (Graph
   * `assignNumber`, app permission `TeamsTelephoneNumber.ReadWrite.All`). Microsoft answers at
   * once and assigns asynchronously: the result is the operation's id, for
   * `getPhoneNumberOperation`. A number held by another user or a user without Teams Phone fails
   * the operation, not this call.
   */
  assignPhoneNumber(tenantId: string, userId: string, number: string): Promise<string>;
  /** Takes the Direct Routing number back from its user (Graph `unassignNumber`), asynchronously: the operation's id. */
  unassignPhoneNumber(tenantId: string, number: string): Promise<string>;
  /** Where an assign or unassign operation stands; `not_found` for an unknown id. */
  getPhoneNumberOperation(tenantId: string, operationId: string): Promise<PhoneNumberOperation>;
  /** The user's phone number in Teams (the primary one when several), or null. */
  getUserPhoneNumber(tenantId: string, userId: string): Promise<UserPhoneNumber | null>;
}

const numbersBase = "/admin/teams/telephoneNumberManagement";

const activationStates = new Set<NumberActivationState>([
  "activated",
  "assignmentPending",
  "assignmentFailed",
  "updatePending",
  "updateFailed",
]);

/**
 * The operation id in the `Location` of an accepted number request: Microsoft links
 * `…/telephoneNumberManagement/operations('<id>')` (absolute); `…/operations/<id>` is read too.
 * The id alone is kept, so the operation is read on the client's own Graph base.
 */
export function phoneNumberOperationId(location: string | null): string {
  const path = (location ?? "").replace(/[?#].*$/, "");
  const id = /\/operations(?:\('([^']+)'\)|\/([^/()']+))$/.exec(path);
  const raw = id?.[1] ?? id?.[2];
  if (!raw)
    throw new AppError(
      "microsoft_error",
      "Microsoft accepted the request but linked no operation",
      {
        cause: { location: location?.slice(0, 300) ?? null },
      },
    );
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

const segment = encodeURIComponent;

function isNotFound(error: unknown): boolean {
  return error instanceof AppError && error.code === "not_found";
}

/** The cause Graph's client attached: Graph's own error code and words. */
function graphCause(error: unknown): { code?: string; message?: string } {
  return (error instanceof AppError ? error.cause : undefined) ?? {};
}

/** `TenantAdmin` over the application's Graph client of each tenant. */
export function createTenantAdmin(graphFor: (tenantId: string) => GraphClient): TenantAdmin {
  async function getDomain(tenantId: string, name: string): Promise<TenantDomain | null> {
    try {
      const domain = await graphFor(tenantId).get<{ id?: string; isVerified?: boolean }>(
        `/domains/${segment(name)}`,
      );
      return { id: (domain.id ?? name).toLowerCase(), isVerified: domain.isVerified === true };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  return {
    getDomain,

    async addDomain(tenantId, name) {
      const domain = await graphFor(tenantId).post<{ id?: string; isVerified?: boolean }>(
        "/domains",
        { id: name },
      );
      return { id: (domain.id ?? name).toLowerCase(), isVerified: domain.isVerified === true };
    },

    async domainVerificationText(tenantId, name) {
      const records = await graphFor(tenantId).get<{
        value?: { recordType?: string; text?: string }[];
      }>(`/domains/${segment(name)}/verificationDnsRecords`);
      const txt = records.value?.find((r) => r.recordType === "Txt" && r.text)?.text;
      if (!txt)
        throw new AppError("microsoft_error", "Microsoft gave no TXT record to verify the domain", {
          cause: { domain: name },
        });
      return txt;
    },

    async verifyDomain(tenantId, name) {
      try {
        const domain = await graphFor(tenantId).post<{ isVerified?: boolean }>(
          `/domains/${segment(name)}/verify`,
          {},
        );
        return domain?.isVerified === true;
      } catch (error) {
        const cause = graphCause(error);
        // Microsoft cannot see the TXT record yet (DNS has not propagated to its resolvers).
        if (cause.code === "Request_BadRequest" && /verif/i.test(cause.message ?? "")) {
          if (/already verified/i.test(cause.message ?? "")) return true;
          return false;
        }
        throw error;
      }
    },

    async removeDomain(tenantId, name) {
      try {
        await graphFor(tenantId).request("DELETE", `/domains/${segment(name)}`);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },

    async findUserByPrincipalName(tenantId, upn) {
      const found = await graphFor(tenantId).get<{
        value?: {
          id: string;
          userPrincipalName: string;
          assignedLicenses?: { skuId: string }[];
        }[];
      }>(
        `/users?$filter=${segment(`userPrincipalName eq ${odataString(upn)}`)}&$select=id,userPrincipalName,assignedLicenses`,
      );
      const user = found.value?.[0];
      if (!user) return null;
      return {
        id: user.id,
        userPrincipalName: user.userPrincipalName,
        licenseSkuIds: (user.assignedLicenses ?? []).map((l) => l.skuId),
      };
    },

    async createUser(tenantId, user) {
      const created = await graphFor(tenantId).post<{ id: string; userPrincipalName: string }>(
        "/users",
        {
          accountEnabled: false,
          displayName: user.displayName,
          mailNickname: user.mailNickname,
          userPrincipalName: user.userPrincipalName,
          usageLocation: user.usageLocation,
          passwordProfile: { forceChangePasswordNextSignIn: true, password: user.password },
        },
      );
      return { id: created.id, userPrincipalName: created.userPrincipalName, licenseSkuIds: [] };
    },

    async removeUser(tenantId, userId) {
      try {
        await graphFor(tenantId).request("DELETE", `/users/${segment(userId)}`);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },

    async listSubscribedSkus(tenantId) {
      const skus = await graphFor(tenantId).get<{
        value?: {
          skuId: string;
          skuPartNumber: string;
          capabilityStatus?: string;
          consumedUnits?: number;
          prepaidUnits?: { enabled?: number };
          servicePlans?: { servicePlanId: string }[];
        }[];
      }>("/subscribedSkus");
      return (skus.value ?? [])
        .filter((s) => s.capabilityStatus === undefined || s.capabilityStatus === "Enabled")
        .map((s) => ({
          skuId: s.skuId,
          skuPartNumber: s.skuPartNumber,
          servicePlanIds: (s.servicePlans ?? []).map((p) => p.servicePlanId.toLowerCase()),
          available: Math.max(0, (s.prepaidUnits?.enabled ?? 0) - (s.consumedUnits ?? 0)),
        }));
    },

    async assignLicense(tenantId, userId, skuId) {
      await graphFor(tenantId).post(`/users/${segment(userId)}/assignLicense`, {
        addLicenses: [{ skuId, disabledPlans: [] }],
        removeLicenses: [],
      });
    },

    async assignPhoneNumber(tenantId, userId, number) {
      const { location } = await graphFor(tenantId).postAccepted(
        `${numbersBase}/numberAssignments/assignNumber`,
        {
          telephoneNumber: number,
          assignmentTargetId: userId,
          numberType: "directRouting",
          assignmentCategory: "primary",
        },
      );
      return phoneNumberOperationId(location);
    },

    async unassignPhoneNumber(tenantId, number) {
      const { location } = await graphFor(tenantId).postAccepted(
        `${numbersBase}/numberAssignments/unassignNumber`,
        { telephoneNumber: number, numberType: "directRouting" },
      );
      return phoneNumberOperationId(location);
    },

    async getPhoneNumberOperation(tenantId, operationId) {
      const op = await graphFor(tenantId).get<{
        status?: string;
        numbers?: { status?: string; statusDetail?: string | null }[] | null;
      }>(`${numbersBase}/operations/${segment(operationId)}`);
      const status =
        op?.status === "notStarted" || op?.status === "running"
          ? "running"
          : op?.status === "succeeded" || op?.status === "failed"
            ? op.status
            : null;
      if (!status)
        throw new AppError("microsoft_error", "Microsoft reported an unknown operation status", {
          cause: { operationId, status: op?.status },
        });
      const detail = (op.numbers ?? []).find((n) => n.statusDetail)?.statusDetail ?? null;
      return { status, detail };
    },

    async getUserPhoneNumber(tenantId, userId) {
      const filter = segment(`assignmentTargetId eq ${odataString(userId.toLowerCase())}`);
      const assignments: {
        telephoneNumber?: string;
        assignmentCategory?: string;
        activationState?: string;
      }[] = [];
      for await (const page of graphFor(tenantId).pages<(typeof assignments)[number]>(
        `${numbersBase}/numberAssignments?$filter=${filter}`,
      ))
        assignments.push(...page.value);
      const found =
        assignments.find((a) => a.telephoneNumber && a.assignmentCategory === "primary") ??
        assignments.find((a) => a.telephoneNumber);
      if (!found?.telephoneNumber) return null;
      const state = found.activationState as NumberActivationState | undefined;
      return {
        telephoneNumber: found.telephoneNumber.startsWith("+")
          ? found.telephoneNumber
          : `+${found.telephoneNumber}`,
        activationState: state && activationStates.has(state) ? state : "unknown",
      };
    },
  };
}
