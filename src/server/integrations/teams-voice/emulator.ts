import { AppError } from "../../lib/errors.ts";
import { createHttpTransport, type HttpTransport } from "../microsoft/http.ts";
import type { Microsoft } from "../microsoft/port.ts";
import {
  createTeamsAdminApiClient,
  type RetryPolicy,
  type TeamsAdminApiClient,
} from "../microsoft/teams-admin-api.ts";
import {
  type MusicOnHold,
  type OnlineUser,
  type TeamsVoice,
  type TenantDialPlan,
  teamsAdminApiScope,
  type VoiceRoute,
  type VoiceRoutingPolicy,
} from "./port.ts";

/** A Teams voice object as the emulator's origin returns it (descriptions are "" when unset). */
interface Described {
  description?: string;
}

/** `description` only when it says something, as the port's optional field. */
function withDescription<T extends Described>(value: T): T {
  const { description, ...rest } = value;
  return (description ? { ...rest, description } : rest) as T;
}

const isNotFound = (error: unknown) => error instanceof AppError && error.code === "not_found";

/**
 * The Teams voice port over the Microsoft emulator's Teams voice origin
 * (`${graphBase}/teams-voice/{tenantId}`), authenticated with an app-only token for the Teams admin
 * API from the Microsoft port. Throttling and unavailability are retried as Graph calls are;
 * failures are the Graph client's `AppError`s, and 409 is `conflict`.
 */
export function createEmulatorTeamsVoice(options: {
  microsoft: Pick<Microsoft, "acquireAppToken">;
  /** The emulator's Graph origin (MS_GRAPH_BASE), without a trailing slash. */
  graphBase: string;
  /** The emulator's CA (PEM), trusted for this adapter's connections only. */
  caPem?: string | undefined;
  retry?: Partial<RetryPolicy>;
  transport?: HttpTransport;
}): TeamsVoice {
  const transport = options.transport ?? createHttpTransport({ caPem: options.caPem });
  const owned = options.transport === undefined;

  function client(tenantId: string): TeamsAdminApiClient {
    return createTeamsAdminApiClient({
      origin: options.graphBase,
      transport,
      accessToken: () => options.microsoft.acquireAppToken(tenantId, { scope: teamsAdminApiScope }),
      ...(options.retry ? { retry: options.retry } : {}),
    });
  }

  async function call<T>(
    tenantId: string,
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    body?: unknown,
  ): Promise<T> {
    const url = `${options.graphBase}/teams-voice/${encodeURIComponent(tenantId)}${path}`;
    return client(tenantId).request<T>(method, url, body);
  }

  /** A GET that answers null for 404. */
  async function find<T>(tenantId: string, path: string): Promise<T | null> {
    try {
      return await call<T>(tenantId, "GET", path);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** A DELETE where absent is done. */
  async function remove(tenantId: string, path: string): Promise<void> {
    try {
      await call(tenantId, "DELETE", path);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  const id = encodeURIComponent;
  const usages = (tenantId: string, change: { add?: string[]; remove?: string[] }) =>
    call<{ usage: string[] }>(tenantId, "PATCH", "/pstnUsages", change);

  /** The three named collections share one shape: get, create, replace, remove. */
  function collection<T extends { identity: string } & Described>(path: string) {
    return {
      get: async (tenantId: string, identity: string) => {
        const found = await find<T>(tenantId, `${path}/${id(identity)}`);
        return found && withDescription(found);
      },
      create: async (tenantId: string, value: T) =>
        withDescription(await call<T>(tenantId, "POST", path, value)),
      set: async (tenantId: string, value: T) =>
        withDescription(await call<T>(tenantId, "PUT", `${path}/${id(value.identity)}`, value)),
      remove: (tenantId: string, identity: string) => remove(tenantId, `${path}/${id(identity)}`),
    };
  }
  const routes = collection<VoiceRoute>("/voiceRoutes");
  const policies = collection<VoiceRoutingPolicy>("/voiceRoutingPolicies");
  const dialPlans = collection<TenantDialPlan>("/tenantDialPlans");

  return {
    kind: "emulator",

    listPstnUsages: async (tenantId) =>
      (await call<{ usage: string[] }>(tenantId, "GET", "/pstnUsages")).usage,
    addPstnUsage: async (tenantId, usage) => {
      await usages(tenantId, { add: [usage] });
    },
    removePstnUsage: async (tenantId, usage) => {
      await usages(tenantId, { remove: [usage] });
    },

    getVoiceRoute: routes.get,
    createVoiceRoute: routes.create,
    setVoiceRoute: routes.set,
    removeVoiceRoute: routes.remove,

    getVoiceRoutingPolicy: policies.get,
    createVoiceRoutingPolicy: policies.create,
    setVoiceRoutingPolicy: policies.set,
    removeVoiceRoutingPolicy: policies.remove,

    getTenantDialPlan: async (tenantId, identity) => {
      const plan = await dialPlans.get(tenantId, identity);
      return plan && { ...plan, normalizationRules: plan.normalizationRules.map(withDescription) };
    },
    createTenantDialPlan: async (tenantId, plan) => {
      const created = await dialPlans.create(tenantId, plan);
      return { ...created, normalizationRules: created.normalizationRules.map(withDescription) };
    },
    setTenantDialPlan: async (tenantId, plan) => {
      const updated = await dialPlans.set(tenantId, plan);
      return { ...updated, normalizationRules: updated.normalizationRules.map(withDescription) };
    },
    removeTenantDialPlan: dialPlans.remove,

    getGlobalMusicOnHold: async (tenantId) =>
      (
        await call<{ musicOnHoldEnabledType: MusicOnHold }>(
          tenantId,
          "GET",
          "/teamsCallingPolicies/Global",
        )
      ).musicOnHoldEnabledType,
    setGlobalMusicOnHold: async (tenantId, value) => {
      await call(tenantId, "PATCH", "/teamsCallingPolicies/Global", {
        musicOnHoldEnabledType: value,
      });
    },

    getDomainActivation: async (tenantId, fqdn) =>
      (
        await call<{ activation: "active" | "pending" }>(
          tenantId,
          "GET",
          `/derivedTrunks/${id(fqdn)}`,
        )
      ).activation,

    grantVoiceRoutingPolicy: async (tenantId, userId, policy) => {
      await call(tenantId, "PUT", `/users/${id(userId)}/onlineVoiceRoutingPolicy`, {
        policyName: policy,
      });
    },
    grantTenantDialPlan: async (tenantId, userId, plan) => {
      await call(tenantId, "PUT", `/users/${id(userId)}/tenantDialPlan`, { policyName: plan });
    },
    setVoicemailEnabled: async (tenantId, userId, enabled) => {
      await call(tenantId, "PATCH", `/users/${id(userId)}/voicemailSettings`, {
        voicemailEnabled: enabled,
      });
    },
    getOnlineUser: (tenantId, userId) => find<OnlineUser>(tenantId, `/users/${id(userId)}`),

    close: async () => {
      if (owned) await transport.close();
    },
  };
}
