import { createHash } from "node:crypto";
import {
  AuthError,
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
  ServerError,
} from "@azure/msal-node";
import { decodeJwt } from "jose";
import type { Response } from "undici";
import { AppError } from "../../lib/errors.ts";
import { graphDefaultScope, isTenantId, type MicrosoftConfig } from "./config.ts";
import { describeNetworkError, type HttpTransport } from "./http.ts";
import { createIdTokenVerifier, type SignInClaims } from "./id-token.ts";

const DEFAULT_TIMEOUT_MS = 15_000;

/** Where transport failures are reported: msal replaces them with a generic network error. */
export type NetworkFailureLog = (details: Record<string, unknown>, message: string) => void;

/** msal's HTTP client: our transport (and so our trust store), JSON bodies, lower-case headers. */
export function msalNetworkClient(
  transport: HttpTransport,
  logFailure: NetworkFailureLog = () => {},
): INetworkModule {
  async function send<T>(
    method: "GET" | "POST",
    url: string,
    options: NetworkRequestOptions | undefined,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<NetworkResponse<T>> {
    let response: Response;
    try {
      response = await transport.fetch(url, {
        method,
        headers: options?.headers ?? {},
        ...(method === "POST" ? { body: options?.body ?? "" } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const { origin, pathname } = new URL(url);
      logFailure(
        { url: `${origin}${pathname}`, method, ...describeNetworkError(e) },
        "Microsoft sign-in request failed",
      );
      throw e;
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key.toLowerCase()] = value;
    });
    const text = await response.text();
    let body: unknown = {};
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        // An HTML error page (a proxy, a 503): msal reads the status and an empty body.
        body = {};
      }
    }
    return { headers, body: body as T, status: response.status };
  }
  return {
    sendGetRequestAsync: (url, options, timeout) => send("GET", url, options, timeout),
    sendPostRequestAsync: (url, options) => send("POST", url, options),
  };
}

/**
 * What one of our app-only Graph tokens says is in effect: the application permissions (`roles`,
 * sorted) and the service principal's directory roles (`wids`). Null when the token cannot be
 * read (Microsoft may change its format): callers then rely on Graph's answers alone.
 */
export function appTokenGrants(
  accessToken: string,
): { roles: string[]; directoryRoles: string[] } | null {
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(accessToken);
  } catch {
    return null;
  }
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  return { roles: strings(claims.roles).sort(), directoryRoles: strings(claims.wids) };
}

/** base64url(SHA-256(verifier)): the PKCE S256 challenge. */
export function pkceChallenge(codeVerifier: string): string {
  return createHash("sha256").update(codeVerifier).digest("base64url");
}

// 65001 not consented, 700016 app unknown in the tenant, 7000229 no service principal there yet.
const consentErrors = new Set(["65001", "700016", "7000229"]);
const unavailableCodes = new Set([
  "network_error",
  "endpoints_resolution_error",
  "openid_config_error",
  "temporarily_unavailable",
  "service_unavailable",
]);

/** Maps an msal failure to our error codes; Entra's code and description stay in `cause`. */
export function mapMsalError(error: unknown, step: "sign-in" | "app-token"): AppError {
  if (error instanceof AppError) return error;
  if (!(error instanceof AuthError)) {
    return new AppError("microsoft_unavailable", "Microsoft is unavailable right now", {
      cause: { step, ...describeNetworkError(error) },
    });
  }
  // Entra's numeric codes come from the token endpoint's `error_codes` (msal's `errorNo`), or, for
  // an answer msal replays from its throttling cache, as the error code itself; never from the
  // description, whose wording Microsoft changes.
  const numbers = [
    ...(error instanceof ServerError && error.errorNo ? [String(error.errorNo)] : []),
    ...error.errorCode.split(" ").filter((c) => /^\d+$/.test(c)),
  ];
  const aadsts = numbers[0];
  const status = error instanceof ServerError ? error.status : undefined;
  const cause = {
    step,
    errorCode: error.errorCode,
    subError: error.subError || undefined,
    aadsts,
    status,
    correlationId: error.correlationId || undefined,
    // Entra's descriptions carry trace ids and timestamps, never tokens or secrets.
    description: error.errorMessage.slice(0, 500),
  };
  // After a 5xx or 429, msal answers the same kind of request from its throttling cache for up to
  // Retry-After (60 s by default) with the cached error: AADSTS90033 "a transient error" then.
  if (
    unavailableCodes.has(error.errorCode) ||
    (status !== undefined && status >= 500) ||
    numbers.includes("90033")
  ) {
    return new AppError("microsoft_unavailable", "Microsoft is unavailable right now", { cause });
  }
  if (status === 429) {
    return new AppError("microsoft_throttled", "Microsoft is busy; try again shortly", { cause });
  }
  if (
    numbers.some((n) => consentErrors.has(n)) ||
    error.subError === "consent_required" ||
    error.errorCode === "consent_required"
  ) {
    return new AppError(
      "microsoft_consent_required",
      "The Microsoft tenant has not granted this application's permissions",
      { cause },
    );
  }
  if (step === "sign-in") {
    return new AppError(
      "microsoft_sign_in_failed",
      "The Microsoft sign-in could not be completed",
      {
        cause,
      },
    );
  }
  if (error.errorCode === "unauthorized_client" || error.errorCode === "invalid_client") {
    return new AppError("microsoft_forbidden", "Microsoft refused the application", { cause });
  }
  return new AppError("microsoft_error", "Microsoft answered with an error", { cause });
}

export interface SignInUrlRequest {
  state: string;
  nonce: string;
  /** The PKCE verifier kept in the session; only its S256 challenge leaves the server. */
  codeVerifier: string;
  redirectUri: string;
  /** Delegated scopes (openid, profile and offline_access are added by msal). */
  scopes: readonly string[];
  prompt?: "consent" | "select_account" | "login" | "none";
  /** Authority tenant: "organizations" (default: work or school accounts only), or a tenant id. */
  tenant?: string;
  loginHint?: string;
}

export interface RedeemSignInCodeRequest {
  code: string;
  codeVerifier: string;
  redirectUri: string;
  scopes: readonly string[];
  expectedNonce: string;
  tenant?: string;
}

/** A redeemed sign-in: the verified id token, and the delegated Graph token to use at once. */
export interface RedeemedSignIn {
  claims: SignInClaims;
  /** The sign-in's delegated Graph token, for the caller's immediate use (see `DelegatedToken`). */
  graphToken: DelegatedToken;
}

/** A delegated Graph access token: it acts as the signed-in person until it expires. */
export interface DelegatedToken {
  accessToken: string;
  expiresAt: Date;
}

/**
 * The platform's Entra application: sign-in (authorization code + PKCE), admin consent URL and
 * app-only tokens (client credentials per tenant, cached by msal in memory).
 */
export function createMicrosoftAuth(
  config: MicrosoftConfig,
  transport: HttpTransport,
  logFailure?: NetworkFailureLog,
  maxCachedTenants = 1000,
) {
  const networkClient = msalNetworkClient(transport, logFailure);
  const apps = new Map<string, ConfidentialClientApplication>();
  const verifier = createIdTokenVerifier({
    loginBase: config.loginBase,
    clientId: config.clientId,
    transport,
  });

  /**
   * One application per authority, so each tenant's app-only tokens sit in their own cache. The
   * most recently used `maxCachedTenants` are kept (a Map in use order); an evicted tenant only
   * costs a new token at its next call.
   */
  function appFor(tenant: string): ConfidentialClientApplication {
    let app = apps.get(tenant);
    if (app) {
      apps.delete(tenant);
      apps.set(tenant, app);
    } else {
      app = new ConfidentialClientApplication({
        auth: {
          clientId: config.clientId,
          clientSecret: config.clientSecret,
          authority: `${config.loginBase}/${tenant}`,
          knownAuthorities: config.knownAuthorities,
        },
        system: { networkClient },
      });
      apps.set(tenant, app);
      if (apps.size > maxCachedTenants) {
        const oldest = apps.keys().next().value;
        if (oldest !== undefined) apps.delete(oldest);
      }
    }
    return app;
  }

  function checkAuthorityTenant(tenant: string): string {
    if (tenant === "common" || tenant === "organizations" || isTenantId(tenant)) {
      return tenant.toLowerCase();
    }
    throw new AppError("validation_failed", "Not a Microsoft tenant id", {
      fields: { tenantId: "Must be a tenant id (GUID)" },
    });
  }

  function requireTenantId(tenantId: string): string {
    if (!isTenantId(tenantId)) {
      throw new AppError("validation_failed", "Not a Microsoft tenant id", {
        fields: { tenantId: "Must be a tenant id (GUID)" },
      });
    }
    return tenantId.toLowerCase();
  }

  return {
    /** The tenants whose msal application is kept, least recently used first (observability). */
    cachedTenants: (): string[] => [...apps.keys()],

    /** The Microsoft sign-in URL (authorization code flow with PKCE S256, state and nonce). */
    async buildSignInUrl(request: SignInUrlRequest): Promise<string> {
      const app = appFor(checkAuthorityTenant(request.tenant ?? "organizations"));
      try {
        return await app.getAuthCodeUrl({
          scopes: [...request.scopes],
          redirectUri: request.redirectUri,
          state: request.state,
          nonce: request.nonce,
          codeChallenge: pkceChallenge(request.codeVerifier),
          codeChallengeMethod: "S256",
          responseMode: "query",
          ...(request.prompt ? { prompt: request.prompt } : {}),
          ...(request.loginHint ? { loginHint: request.loginHint } : {}),
        });
      } catch (e) {
        throw mapMsalError(e, "sign-in");
      }
    },

    /**
     * Redeems the code from the sign-in redirect and returns the id token's verified claims.
     * The caller has already matched `state`; msal checks PKCE through Entra and the nonce, and
     * we verify the id token's signature, issuer, audience and nonce against the tenant's keys.
     * No token is kept: the signed-in account is removed from msal's cache straight away, and the
     * delegated access token is returned for the caller's immediate use only.
     */
    async redeemSignInCode(request: RedeemSignInCodeRequest): Promise<RedeemedSignIn> {
      const app = appFor(checkAuthorityTenant(request.tenant ?? "organizations"));
      let idToken: string;
      let graphToken: DelegatedToken;
      try {
        const result = await app.acquireTokenByCode({
          code: request.code,
          codeVerifier: request.codeVerifier,
          redirectUri: request.redirectUri,
          scopes: [...request.scopes],
          nonce: request.expectedNonce,
        });
        idToken = result.idToken;
        // msal always reports the expiry of a token it returns; an hour is Entra's shortest.
        graphToken = {
          accessToken: result.accessToken,
          expiresAt: result.expiresOn ?? new Date(Date.now() + 3_600_000),
        };
        if (result.account) await app.getTokenCache().removeAccount(result.account);
      } catch (e) {
        throw mapMsalError(e, "sign-in");
      }
      if (!idToken) {
        throw new AppError("microsoft_sign_in_failed", "Microsoft returned no id token", {
          cause: { reason: "no id token" },
        });
      }
      return { claims: await verifier.verify(idToken, request.expectedNonce), graphToken };
    },

    /** Round 2 of registration: the tenant-wide consent screen for the application permissions. */
    buildAdminConsentUrl(request: {
      tenantId: string;
      redirectUri: string;
      state: string;
    }): string {
      const tenantId = requireTenantId(request.tenantId);
      const query = new URLSearchParams({
        client_id: config.clientId,
        redirect_uri: request.redirectUri,
        scope: graphDefaultScope(config),
        state: request.state,
      });
      return `${config.loginBase}/${tenantId}/v2.0/adminconsent?${query}`;
    },

    /**
     * An app-only token for a tenant (client credentials), for Graph unless `scope` names another
     * resource's `/.default` (e.g. the Teams admin API). msal serves it from its cache until it
     * nears expiry; `fresh` skips the cache (e.g. right after a consent changed).
     */
    async acquireAppToken(
      tenantId: string,
      options: { fresh?: boolean; scope?: string } = {},
    ): Promise<string> {
      const app = appFor(requireTenantId(tenantId));
      try {
        const result = await app.acquireTokenByClientCredential({
          scopes: [options.scope ?? graphDefaultScope(config)],
          ...(options.fresh ? { skipCache: true } : {}),
        });
        if (!result?.accessToken) throw new Error("no access token in the response");
        return result.accessToken;
      } catch (e) {
        throw mapMsalError(e, "app-token");
      }
    },
  };
}

export type MicrosoftAuth = ReturnType<typeof createMicrosoftAuth>;
