import { createHash, randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";

/** The audience of every Graph access token. */
export const graphResource = "https://graph.microsoft.com";
export const graphAppId = "00000003-0000-0000-c000-000000000000";
/**
 * "Skype and Teams Tenant Admin API": the second token Teams PowerShell connects with
 * (`48ac35b8-…/.default`). App-only tokens for it carry no `roles` (the -Cs cmdlets need no API
 * permission), only the service principal's directory roles in `wids`
 * (https://learn.microsoft.com/microsoftteams/teams-powershell-application-authentication).
 */
export const teamsAdminResource = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239";

const accessTokenSeconds = 3599;

export type SigningKey = Parameters<SignJWT["sign"]>[0];

/** The emulator's RS256 signing key and the JWKS that publishes it. */
export interface TokenKeys {
  kid: string;
  privateKey: SigningKey;
  publicKey: SigningKey;
  publicJwk: JWK;
}

/** Loads the signing key from `dir` (or creates and keeps it there) so tokens survive a restart. */
export async function loadOrCreateKeys(dir: string): Promise<TokenKeys> {
  const file = join(dir, "signing-key.json");
  let privateJwk: JWK;
  if (existsSync(file)) {
    privateJwk = JSON.parse(readFileSync(file, "utf8")) as JWK;
  } else {
    const pair = await generateKeyPair("RS256", { extractable: true });
    privateJwk = await exportJWK(pair.privateKey);
    writeFileSync(file, JSON.stringify(privateJwk), { mode: 0o600 });
  }
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    privateKey: await importJWK(privateJwk, "RS256"),
    publicKey: await importJWK(publicJwk, "RS256"),
    publicJwk: { ...publicJwk, kid, use: "sig" },
  };
}

export function issuerFor(loginUrl: string, tenantId: string): string {
  return `${loginUrl}/${tenantId}/v2.0`;
}

/**
 * The issuer of Graph access tokens: Graph accepts v1.0 tokens only, whatever endpoint issued
 * them, so they name the v1 security token service (as Entra's real Graph tokens do).
 */
export function graphIssuerFor(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

/** `client_info` as Microsoft returns it: base64url JSON naming the account's home. */
export function clientInfo(userId: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: userId, utid: tenantId })).toString("base64url");
}

/** Microsoft's `sub` is pairwise: stable per user and application. */
export function pairwiseSubject(userId: string, clientId: string): string {
  return createHash("sha256").update(`${userId}:${clientId}`).digest("base64url").slice(0, 43);
}

export interface UserClaims {
  oid: string;
  tid: string;
  name: string;
  preferredUsername: string;
  email: string | null;
  /** Directory role template ids; ID tokens carry them only when the app's manifest asks. */
  wids: string[];
}

/** Signs tokens for one emulator instance. */
export class TokenIssuer {
  constructor(
    private readonly keys: TokenKeys,
    private readonly origin: () => string,
  ) {}

  private get loginUrl(): string {
    return this.origin();
  }

  jwks(): { keys: (JWK & { issuer: string })[] } {
    return { keys: [{ ...this.keys.publicJwk, issuer: `${this.loginUrl}/{tenantid}/v2.0` }] };
  }

  private async sign(payload: JWTPayload, seconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...payload, uti: randomBytes(16).toString("base64url") })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.keys.kid })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + seconds)
      .sign(this.keys.privateKey);
  }

  idToken(input: {
    clientId: string;
    user: UserClaims;
    nonce?: string | undefined;
    withEmail: boolean;
    /** The app's `groupMembershipClaims` asks for directory roles (`DirectoryRole` or `All`). */
    withWids: boolean;
  }) {
    const { user } = input;
    return this.sign(
      {
        iss: issuerFor(this.loginUrl, user.tid),
        aud: input.clientId,
        sub: pairwiseSubject(user.oid, input.clientId),
        oid: user.oid,
        tid: user.tid,
        name: user.name,
        preferred_username: user.preferredUsername,
        ...(input.withEmail && user.email ? { email: user.email } : {}),
        ...(input.nonce ? { nonce: input.nonce } : {}),
        ...(input.withWids ? { wids: user.wids } : {}),
        ver: "2.0",
      },
      accessTokenSeconds,
    );
  }

  delegatedAccessToken(input: { clientId: string; user: UserClaims; scopes: string[] }) {
    const { user } = input;
    return this.sign(
      {
        iss: graphIssuerFor(user.tid),
        aud: graphResource,
        sub: pairwiseSubject(user.oid, graphAppId),
        oid: user.oid,
        tid: user.tid,
        appid: input.clientId,
        appidacr: "1",
        name: user.name,
        upn: user.preferredUsername,
        unique_name: user.preferredUsername,
        scp: input.scopes.join(" "),
        wids: user.wids,
        idtyp: "user",
        ver: "1.0",
      },
      accessTokenSeconds,
    );
  }

  appAccessToken(input: {
    clientId: string;
    tenantId: string;
    servicePrincipalId: string;
    roles: string[];
    /** Directory roles assigned to the service principal (Microsoft adds `wids` when there are any). */
    wids?: string[];
    /** The resource the token is for (default Graph). */
    audience?: string;
  }) {
    return this.sign(
      {
        iss: graphIssuerFor(input.tenantId),
        aud: input.audience ?? graphResource,
        sub: input.servicePrincipalId,
        oid: input.servicePrincipalId,
        tid: input.tenantId,
        appid: input.clientId,
        appidacr: "1",
        // Entra leaves `roles` out when no application permission is in effect yet.
        ...(input.roles.length ? { roles: input.roles } : {}),
        ...(input.wids?.length ? { wids: input.wids } : {}),
        idtyp: "app",
        ver: "1.0",
      },
      accessTokenSeconds,
    );
  }

  /** Verifies a token this emulator issued for Graph; throws a described error otherwise. */
  async verifyGraphToken(token: string): Promise<GraphTokenClaims> {
    const { payload } = await jwtVerify(token, this.keys.publicKey, {
      algorithms: ["RS256"],
      audience: [graphResource, graphAppId, `${graphResource}/`],
      clockTolerance: 300, // as Graph: five minutes of clock skew
    });
    return payload as GraphTokenClaims;
  }

  /** Verifies a token this emulator issued for the Teams admin API; throws a described error otherwise. */
  async verifyTeamsToken(token: string): Promise<GraphTokenClaims> {
    const { payload } = await jwtVerify(token, this.keys.publicKey, {
      algorithms: ["RS256"],
      audience: [teamsAdminResource, `api://${teamsAdminResource}`],
      clockTolerance: 300,
    });
    return payload as GraphTokenClaims;
  }

  get expiresIn(): number {
    return accessTokenSeconds;
  }
}

export interface GraphTokenClaims extends JWTPayload {
  tid: string;
  oid: string;
  appid: string;
  scp?: string;
  roles?: string[];
  /** Directory role template ids held by the caller (a service principal's, in app-only tokens). */
  wids?: string[];
  idtyp?: string;
}

export function newOpaqueToken(): string {
  return `${randomUUID()}.${randomBytes(32).toString("base64url")}`;
}
