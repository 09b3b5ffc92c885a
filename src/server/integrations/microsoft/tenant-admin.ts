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

/**
 * What Direct Routing changes in a customer's directory through Graph, acting as the application
 * in that tenant (app permissions `Domain.ReadWrite.All`, `User.ReadWrite.All`): the derived trunk
 * domains and the licensed user that activates each one. Every lookup returns null for what is
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
  };
}
