import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  type FetchImplementation,
  type JWTPayload,
  jwtVerify,
} from "jose";
import { AppError } from "../../lib/errors.ts";
import { isTenantId } from "./config.ts";
import { describeNetworkError, type HttpTransport } from "./http.ts";

/** The tenant id Microsoft gives every personal (MSA) account. */
export const PERSONAL_ACCOUNT_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad";

/** What the platform needs from a verified sign-in. */
export interface SignInClaims {
  tid: string;
  oid: string;
  name: string | undefined;
  preferredUsername: string | undefined;
  isPersonalAccount: boolean;
}

interface TenantKeys {
  issuer: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

const MAX_CACHED_TENANTS = 1000;

/**
 * Verifies id tokens ourselves: msal-node checks the nonce but not the signature, issuer or
 * audience. Keys and issuer come from the tenant's OpenID discovery document on MS_LOGIN_BASE.
 */
export function createIdTokenVerifier(options: {
  loginBase: string;
  clientId: string;
  transport: HttpTransport;
  clockToleranceSeconds?: number;
}) {
  const tenants = new Map<string, TenantKeys>();
  const jwksByUri = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  // undici's Response is the WHATWG Response jose expects; only the TypeScript types differ.
  const fetchForJose = ((url: string, init: { headers: Headers; signal: AbortSignal }) =>
    options.transport.fetch(url, {
      headers: Object.fromEntries(init.headers.entries()),
      signal: init.signal,
      redirect: "manual",
    })) as unknown as FetchImplementation;

  async function keysFor(tid: string): Promise<TenantKeys> {
    const cached = tenants.get(tid);
    if (cached) return cached;
    const url = `${options.loginBase}/${tid}/v2.0/.well-known/openid-configuration`;
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await options.transport.fetch(url, {
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`discovery answered ${response.status}`);
      }
      document = (await response.json()) as typeof document;
    } catch (e) {
      throw new AppError("microsoft_unavailable", "Microsoft sign-in is unavailable right now", {
        cause: { step: "openid discovery", tenant: tid, ...describeNetworkError(e) },
      });
    }
    if (typeof document.issuer !== "string" || typeof document.jwks_uri !== "string") {
      throw new AppError("microsoft_error", "Microsoft sign-in answered unexpectedly", {
        cause: { step: "openid discovery", tenant: tid },
      });
    }
    const jwksUri = document.jwks_uri;
    let jwks = jwksByUri.get(jwksUri);
    if (!jwks) {
      jwks = createRemoteJWKSet(new URL(jwksUri), { [customFetch]: fetchForJose });
      jwksByUri.set(jwksUri, jwks);
    }
    const keys = { issuer: document.issuer.replace("{tenantid}", tid), jwks };
    if (tenants.size >= MAX_CACHED_TENANTS) {
      const oldest = tenants.keys().next().value;
      if (oldest !== undefined) tenants.delete(oldest);
    }
    tenants.set(tid, keys);
    return keys;
  }

  return {
    /** Checks signature, issuer, audience, lifetime and nonce; returns the claims we use. */
    async verify(idToken: string, expectedNonce: string): Promise<SignInClaims> {
      const refused = (reason: string, cause?: unknown) =>
        new AppError("microsoft_sign_in_failed", "The Microsoft sign-in could not be verified", {
          cause: { reason, ...(cause === undefined ? {} : { error: describeNetworkError(cause) }) },
        });
      let unverified: JWTPayload;
      try {
        unverified = decodeJwt(idToken);
      } catch (e) {
        throw refused("id token is not a JWT", e);
      }
      const tid = unverified.tid;
      if (typeof tid !== "string" || !isTenantId(tid)) throw refused("id token has no tenant id");
      const keys = await keysFor(tid.toLowerCase());
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(idToken, keys.jwks, {
          issuer: keys.issuer,
          audience: options.clientId,
          clockTolerance: options.clockToleranceSeconds ?? 300,
          requiredClaims: ["tid", "oid", "nonce", "exp", "iat"],
        }));
      } catch (e) {
        throw refused("id token verification failed", e);
      }
      if (payload.nonce !== expectedNonce) throw refused("nonce mismatch");
      if (typeof payload.oid !== "string") throw refused("id token has no object id");
      return {
        tid: tid.toLowerCase(),
        oid: payload.oid,
        name: typeof payload.name === "string" ? payload.name : undefined,
        preferredUsername:
          typeof payload.preferred_username === "string" ? payload.preferred_username : undefined,
        isPersonalAccount: tid.toLowerCase() === PERSONAL_ACCOUNT_TENANT_ID,
      };
    },
  };
}

export type IdTokenVerifier = ReturnType<typeof createIdTokenVerifier>;
