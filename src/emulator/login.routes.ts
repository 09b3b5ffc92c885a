import { createHash, randomBytes, randomUUID, X509Certificate } from "node:crypto";
import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { decodeProtectedHeader, importX509, jwtVerify } from "jose";
import type { EmulatorContext } from "./context.ts";
import { EntraError, entraError } from "./errors.ts";
import { consentPage, errorPage, formPostPage, signInPage } from "./pages.ts";
import {
  type RegisteredApp,
  requiresAdmin,
  roleTemplateIds,
  type Tenant,
  type User,
} from "./state.ts";
import {
  clientInfo,
  graphResource,
  newOpaqueToken,
  teamsAdminResource,
  type UserClaims,
} from "./tokens.ts";

const sessionCookie = "ESTSAUTH";
const flowTtlMs = 60 * 60_000;
const codeTtlMs = 10 * 60_000;
const refreshTtlMs = 90 * 24 * 3600_000;
const oidcScopes = new Set(["openid", "profile", "email", "offline_access"]);

const permissionText: Record<string, string> = {
  openid: "Sign you in",
  profile: "View your basic profile",
  email: "View your email address",
  offline_access: "Maintain access to data you have given it access to",
  "user.read": "Sign you in and read your profile",
  "user.readbasic.all": "Read all users' basic profiles",
  "user.read.all": "Read all users' full profiles",
  "group.read.all": "Read all groups",
  "groupmember.read.all": "Read all group memberships",
  "directory.read.all": "Read directory data",
  "organization.read.all": "Read organization information",
  "domain.readwrite.all": "Read and write domains",
  "rolemanagement.readwrite.directory": "Read and write your organization's directory roles",
  "rolemanagement.read.directory": "Read your organization's directory role settings",
};

function describe(scope: string): string {
  const text = permissionText[scope.toLowerCase()];
  return text ? `${text} (${scope})` : scope;
}

/** "https://graph.microsoft.com/User.Read" → "User.Read"; OIDC scopes stay as they are. */
function shortScope(scope: string): string {
  return scope.replace(
    /^(https:\/\/graph\.microsoft\.com|00000003-0000-0000-c000-000000000000)\//i,
    "",
  );
}

function isForeignResource(scope: string): boolean {
  return /^[a-z]+:\/\//i.test(scope) && !/^https:\/\/graph\.microsoft\.com\//i.test(scope);
}

type Authority =
  | { kind: "tenant"; tenant: Tenant }
  | { kind: "organizations" | "common" | "consumers" };

interface Flow {
  id: string;
  kind: "authorize" | "adminconsent";
  clientId: string;
  redirectUri: string;
  authority: Authority;
  state: string | undefined;
  nonce: string | undefined;
  scopes: string[];
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
  prompt: string | undefined;
  responseMode: string;
  loginHint: string | undefined;
  userId?: string;
  tenantId?: string;
  createdAt: number;
}

interface Grant {
  clientId: string;
  tenantId: string;
  userId: string;
  scopes: string[];
  nonce?: string | undefined;
}
interface Code extends Grant {
  redirectUri: string;
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
  expiresAt: number;
  used: boolean;
}
interface RefreshGrant extends Grant {
  expiresAt: number;
}

type Params = Record<string, string | undefined>;

function stringParams(value: unknown): Params {
  const out: Params = {};
  if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out[k] = Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v);
  return out;
}

function withQuery(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

/** The login origin: discovery, keys, the authorize and admin-consent pages, and the token endpoint. */
export async function loginRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const { state, issuer } = ctx;
  const flows = new Map<string, Flow>();
  const codes = new Map<string, Code>();
  const refreshTokens = new Map<string, RefreshGrant>();
  const sessions = new Map<string, { tenantId: string; userId: string }>();

  await app.register(formbody);
  await app.register(cookie);

  function resolveAuthority(segment: string): Authority | null {
    const s = segment.toLowerCase();
    if (s === "organizations" || s === "common" || s === "consumers") return { kind: s };
    const tenant = state.findTenant(s);
    return tenant ? { kind: "tenant", tenant } : null;
  }

  function tenantNotFound(segment: string): EntraError {
    return new EntraError(
      400,
      90002,
      "invalid_request",
      `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }

  function sendEntra(reply: FastifyReply, e: EntraError) {
    return reply.code(e.status).send(entraError(ctx.loginUrl, e.aadsts, e.error, e.message));
  }

  function htmlError(
    reply: FastifyReply,
    status: number,
    code: number,
    message: string,
    backHref?: string,
  ) {
    return reply
      .code(status)
      .type("text/html; charset=utf-8")
      .send(
        errorPage({
          title: "Sorry, but we're having trouble signing you in.",
          message: `AADSTS${code}: ${message}`,
          ...(backHref ? { backHref } : {}),
        }),
      );
  }

  function html(reply: FastifyReply, body: string, status = 200) {
    return reply
      .code(status)
      .type("text/html; charset=utf-8")
      .header("Cache-Control", "no-store")
      .send(body);
  }

  // ---- discovery --------------------------------------------------------------------------------

  function discovery(segment: string, tenantId: string | null) {
    const path = tenantId ?? segment;
    const issuerTenant = tenantId ?? "{tenantid}";
    const base = `${ctx.loginUrl}/${path}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: [
        "client_secret_post",
        "private_key_jwt",
        "client_secret_basic",
      ],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${ctx.loginUrl}/${issuerTenant}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${ctx.graphUrl}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "acr",
        "nonce",
        "preferred_username",
        "name",
        "tid",
        "ver",
        "at_hash",
        "c_hash",
        "email",
        "oid",
        "wids",
      ],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: "EU",
      cloud_instance_name: new URL(ctx.loginUrl).host,
      cloud_graph_host_name: new URL(ctx.graphUrl).host,
      msgraph_host: new URL(ctx.graphUrl).host,
      rbac_url: ctx.graphUrl,
    };
  }

  app.get<{ Params: { tenant: string } }>(
    "/:tenant/v2.0/.well-known/openid-configuration",
    async (request, reply) => {
      const authority = resolveAuthority(request.params.tenant);
      if (!authority) return sendEntra(reply, tenantNotFound(request.params.tenant));
      return authority.kind === "tenant"
        ? discovery(request.params.tenant, authority.tenant.id)
        : discovery(
            authority.kind,
            authority.kind === "consumers" ? "9188040d-6c67-4c5b-b112-36a304b66dad" : null,
          );
    },
  );

  app.get("/common/discovery/instance", async (request) => {
    const host = new URL(ctx.loginUrl).host;
    const q = stringParams(request.query);
    return {
      tenant_discovery_endpoint:
        q.authorization_endpoint?.replace(
          /oauth2\/v2\.0\/authorize$/,
          "v2.0/.well-known/openid-configuration",
        ) ?? `${ctx.loginUrl}/common/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    };
  });

  const keys = async () => issuer.jwks();
  app.get("/:tenant/discovery/v2.0/keys", keys);
  app.get("/:tenant/discovery/keys", keys);
  app.get("/common/discovery/keys", keys);

  // ---- sign-in, consent -------------------------------------------------------------------------

  function sessionOf(request: FastifyRequest): { tenant: Tenant; user: User } | null {
    const id = request.cookies[sessionCookie];
    const session = id ? sessions.get(id) : undefined;
    if (!session) return null;
    const tenant = state.tenants.get(session.tenantId);
    const user = tenant?.users.get(session.userId);
    return tenant && user?.accountEnabled ? { tenant, user } : null;
  }

  function isGlobalAdmin(user: User): boolean {
    return user.roles.includes("globalAdministrator");
  }

  /** Tenant-wide consent to Graph application permissions: Global or Privileged Role Administrator. */
  function mayGrantAppConsent(user: User): boolean {
    return isGlobalAdmin(user) || user.roles.includes("privilegedRoleAdministrator");
  }

  /** Checks the common request parameters; returns the app or sends an error page. */
  function checkClient(q: Params, reply: FastifyReply, tenantName: string): RegisteredApp | null {
    if (!q.client_id) {
      htmlError(
        reply,
        400,
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
      return null;
    }
    const registered = state.apps.get(q.client_id);
    if (!registered) {
      htmlError(
        reply,
        400,
        700016,
        `Application with identifier '${q.client_id}' was not found in the directory '${tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      );
      return null;
    }
    if (!q.redirect_uri || !registered.redirectUris.includes(q.redirect_uri)) {
      htmlError(
        reply,
        400,
        50011,
        `The redirect URI '${q.redirect_uri ?? ""}' specified in the request does not match the redirect URIs configured for the application '${registered.clientId}'.`,
      );
      return null;
    }
    return registered;
  }

  function newFlow(kind: Flow["kind"], q: Params, authority: Authority, scopes: string[]): Flow {
    const now = Date.now();
    for (const [id, f] of flows) if (now - f.createdAt > flowTtlMs) flows.delete(id);
    const flow: Flow = {
      id: randomBytes(24).toString("base64url"),
      kind,
      clientId: q.client_id ?? "",
      redirectUri: q.redirect_uri ?? "",
      authority,
      state: q.state,
      nonce: q.nonce,
      scopes,
      codeChallenge: q.code_challenge,
      codeChallengeMethod: q.code_challenge ? (q.code_challenge_method ?? "plain") : undefined,
      prompt: q.prompt,
      responseMode: q.response_mode ?? "query",
      loginHint: q.login_hint,
      createdAt: now,
    };
    flows.set(flow.id, flow);
    return flow;
  }

  function redirectBack(
    reply: FastifyReply,
    flow: Flow,
    params: Record<string, string | undefined>,
  ) {
    flows.delete(flow.id);
    const all = { ...params, state: flow.state };
    if (flow.responseMode === "form_post") {
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(all)) if (v !== undefined) fields[k] = v;
      return html(reply, formPostPage(flow.redirectUri, fields));
    }
    return reply.redirect(withQuery(flow.redirectUri, all), 302);
  }

  function errorRedirectHref(flow: Flow, code: number, message: string, subcode?: string): string {
    return withQuery(flow.redirectUri, {
      ...(flow.kind === "adminconsent" ? { admin_consent: "True" } : {}),
      error: "access_denied",
      ...(subcode ? { error_subcode: subcode } : {}),
      error_description: `AADSTS${code}: ${message}`,
      state: flow.state,
    });
  }

  function resourceScopes(flow: Flow, registered: RegisteredApp): string[] {
    const out: string[] = [];
    for (const s of flow.scopes) {
      if (oidcScopes.has(s.toLowerCase())) continue;
      if (shortScope(s).toLowerCase() === ".default")
        out.push(...registered.delegatedScopes.filter((d) => !oidcScopes.has(d.toLowerCase())));
      else out.push(shortScope(s));
    }
    return [...new Set(out)];
  }

  /** Where a flow goes once the user is known: the consent page, an error, or back with a code. */
  function afterSignIn(reply: FastifyReply, flow: Flow, tenant: Tenant, user: User) {
    flow.userId = user.id;
    flow.tenantId = tenant.id;
    const registered = state.apps.get(flow.clientId);
    if (!registered)
      return htmlError(
        reply,
        400,
        700016,
        `Application with identifier '${flow.clientId}' was not found.`,
      );

    if (flow.kind === "adminconsent") {
      if (tenant.isPersonal)
        return redirectBack(reply, flow, {
          admin_consent: "True",
          error: "access_denied",
          error_description: `AADSTS500200: User account '${user.userPrincipalName}' is a personal Microsoft account. Personal Microsoft accounts are not supported for this application unless explicitly invited to an organization. Try signing out and signing back in with an organizational account.`,
        });
      if (!mayGrantAppConsent(user)) return needAdminApproval(reply, flow, registered);
      if (flow.prompt === "none")
        return redirectBack(reply, flow, {
          admin_consent: "True",
          error: "interaction_required",
          error_description: "AADSTS50076: The administrator must consent interactively.",
        });
      return html(
        reply,
        consentPage({
          flow: flow.id,
          appName: registered.displayName,
          userName: user.userPrincipalName,
          permissions: registered.appRoles.map(describe),
          applicationPermissions: true,
          showOnBehalf: false,
        }),
      );
    }

    const wanted = resourceScopes(flow, registered);
    const requestedOidc = flow.scopes.filter((s) => oidcScopes.has(s.toLowerCase()));
    const granted = state.grantedScopes(tenant, registered.clientId, user.id);
    const missing = wanted.filter((s) => !granted.has(s.toLowerCase()));
    const needsAdmin = missing.filter(requiresAdmin);
    if (needsAdmin.length && !isGlobalAdmin(user)) {
      if (flow.prompt === "none")
        return redirectBack(reply, flow, {
          error: "consent_required",
          error_description: `AADSTS65001: The user or administrator has not consented to use the application with ID '${registered.clientId}' named '${registered.displayName}'.`,
        });
      return needAdminApproval(reply, flow, registered);
    }
    const neverConsented = !granted.size;
    if (flow.prompt === "none" && (missing.length || neverConsented))
      return redirectBack(reply, flow, {
        error: "consent_required",
        error_description: `AADSTS65001: The user or administrator has not consented to use the application with ID '${registered.clientId}' named '${registered.displayName}'. Send an interactive authorization request for this user and resource.`,
      });
    if (missing.length || flow.prompt === "consent" || neverConsented)
      return html(
        reply,
        consentPage({
          flow: flow.id,
          appName: registered.displayName,
          userName: user.userPrincipalName,
          permissions: [...requestedOidc, ...wanted].map(describe),
          applicationPermissions: false,
          showOnBehalf: isGlobalAdmin(user) && !tenant.isPersonal,
        }),
      );
    return issueCode(reply, flow, tenant, user, [...requestedOidc, ...wanted]);
  }

  function needAdminApproval(reply: FastifyReply, flow: Flow, registered: RegisteredApp) {
    const message = `${registered.displayName} needs permission to access resources in your organization that only an admin can grant. The grant requires admin permission. Please ask an admin to grant permission to this app before you can use it.`;
    return htmlError(
      reply,
      403,
      90094,
      message,
      errorRedirectHref(flow, 90094, "The grant requires admin permission."),
    );
  }

  function issueCode(
    reply: FastifyReply,
    flow: Flow,
    tenant: Tenant,
    user: User,
    scopes: string[],
  ) {
    const code = `${randomUUID()}.${randomBytes(48).toString("base64url")}`;
    codes.set(code, {
      clientId: flow.clientId,
      tenantId: tenant.id,
      userId: user.id,
      scopes,
      nonce: flow.nonce,
      redirectUri: flow.redirectUri,
      codeChallenge: flow.codeChallenge,
      codeChallengeMethod: flow.codeChallengeMethod,
      expiresAt: Date.now() + codeTtlMs,
      used: false,
    });
    return redirectBack(reply, flow, {
      code,
      client_info: clientInfo(user.id, tenant.id),
      session_state: randomUUID(),
    });
  }

  function signIn(reply: FastifyReply, flow: Flow, body: Params) {
    const login = (body.login ?? "").trim();
    const fail = (message: string) =>
      html(reply, signInPage({ flow: flow.id, error: message, login }), 200);
    const found = state.findUserByUpn(login);
    if (!found)
      return fail(
        `AADSTS50034: We couldn't find an account with that username. Try another, or get a new Microsoft account.`,
      );
    const { tenant, user } = found;
    const a = flow.authority;
    if (a.kind === "tenant" && a.tenant.id !== tenant.id)
      return fail(
        `AADSTS50020: User account '${user.userPrincipalName}' from identity provider does not exist in tenant '${a.tenant.displayName}' and cannot access the application '${flow.clientId}' in that tenant.`,
      );
    const registered = state.apps.get(flow.clientId);
    if (
      a.kind === "common" &&
      tenant.isPersonal &&
      registered?.signInAudience !== "AzureADandPersonalMicrosoftAccount"
    )
      return fail(
        `AADSTS50020: User account '${user.userPrincipalName}' from identity provider 'live.com' does not exist in tenant 'Microsoft Services' and cannot access the application '${flow.clientId}'(${registered?.displayName ?? ""}) in that tenant. The account needs to be added as an external user in the tenant first.`,
      );
    if (a.kind === "organizations" && tenant.isPersonal)
      return fail(
        `AADSTS500200: User account '${user.userPrincipalName}' is a personal Microsoft account. Personal Microsoft accounts are not supported for this application unless explicitly invited to an organization.`,
      );
    if (a.kind === "consumers" && !tenant.isPersonal)
      return fail(
        `AADSTS50020: User account '${user.userPrincipalName}' is a work or school account; this application accepts personal accounts only.`,
      );
    if (user.password !== (body.passwd ?? ""))
      return fail(
        "AADSTS50126: Your account or password is incorrect. If you don't remember your password, reset it now.",
      );
    if (!user.accountEnabled) return fail("AADSTS50057: The user account is disabled.");
    const sid = randomBytes(24).toString("base64url");
    sessions.set(sid, { tenantId: tenant.id, userId: user.id });
    reply.setCookie(sessionCookie, sid, {
      path: "/",
      httpOnly: true,
      secure: true,
      sameSite: "none",
    });
    return afterSignIn(reply, flow, tenant, user);
  }

  function consent(reply: FastifyReply, flow: Flow, body: Params) {
    const tenant = flow.tenantId ? state.tenants.get(flow.tenantId) : undefined;
    const user = flow.userId ? tenant?.users.get(flow.userId) : undefined;
    const registered = state.apps.get(flow.clientId);
    if (!tenant || !user || !registered) return html(reply, signInPage({ flow: flow.id }));
    if (body.cancel !== undefined || body.accept === undefined)
      return redirectBack(reply, flow, {
        ...(flow.kind === "adminconsent" ? { admin_consent: "True" } : {}),
        error: "access_denied",
        error_subcode: "cancel",
        error_description: "AADSTS65004: User declined to consent to access the app.",
      });
    const record = state.consentOf(tenant, registered.clientId);
    if (flow.kind === "adminconsent") {
      if (!mayGrantAppConsent(user) || tenant.isPersonal)
        return needAdminApproval(reply, flow, registered);
      state.grantAdminConsent(tenant.id, registered.clientId);
      record.consentedBy.push(user.id);
      return redirectBack(reply, flow, {
        admin_consent: "True",
        tenant: tenant.id,
        scope: registered.appRoles.map((r) => `${graphResource}/${r}`).join(" "),
      });
    }
    const scopes = [
      ...flow.scopes.filter((s) => oidcScopes.has(s.toLowerCase())),
      ...resourceScopes(flow, registered),
    ];
    if (body.consent_on_behalf !== undefined) {
      if (!isGlobalAdmin(user) || tenant.isPersonal)
        return needAdminApproval(reply, flow, registered);
      for (const s of scopes) record.tenantScopes.add(s);
    } else {
      if (
        !isGlobalAdmin(user) &&
        scopes.some((s) => requiresAdmin(s) && !record.tenantScopes.has(s))
      )
        return needAdminApproval(reply, flow, registered);
      const mine = record.userScopes.get(user.id) ?? new Set<string>();
      for (const s of scopes) mine.add(s);
      record.userScopes.set(user.id, mine);
    }
    record.consentedBy.push(user.id);
    state.ensureServicePrincipal(tenant, registered);
    return issueCode(reply, flow, tenant, user, scopes);
  }

  async function startFlow(
    kind: Flow["kind"],
    request: FastifyRequest<{ Params: { tenant: string } }>,
    reply: FastifyReply,
  ) {
    const q = stringParams(request.query);
    const authority = resolveAuthority(request.params.tenant);
    if (!authority)
      return htmlError(
        reply,
        400,
        90002,
        `Tenant '${request.params.tenant}' not found. Check to make sure you have the correct tenant ID.`,
      );
    const registered = checkClient(q, reply, request.params.tenant);
    if (!registered) return reply;
    let scopes = (q.scope ?? "").split(/\s+/).filter(Boolean);
    const fail = (error: string, code: number, message: string) =>
      reply.redirect(
        withQuery(q.redirect_uri ?? "", {
          error,
          error_description: `AADSTS${code}: ${message}`,
          state: q.state,
        }),
        302,
      );
    if (kind === "authorize") {
      if (q.response_type !== "code")
        return fail(
          "unsupported_response_type",
          700054,
          "response_type 'code' is the only one this application may use.",
        );
      if (
        q.code_challenge &&
        q.code_challenge_method &&
        !["S256", "plain"].includes(q.code_challenge_method)
      )
        return fail(
          "invalid_request",
          501491,
          `Invalid code_challenge_method '${q.code_challenge_method}'.`,
        );
      if (!scopes.length)
        return fail(
          "invalid_request",
          900144,
          "The request body must contain the following parameter: 'scope'.",
        );
      const foreign = scopes.find(isForeignResource);
      if (foreign)
        return fail(
          "invalid_resource",
          500011,
          `The resource principal named ${foreign} was not found in the tenant.`,
        );
    } else {
      scopes = scopes.length ? scopes : [`${graphResource}/.default`];
    }
    const flow = newFlow(kind, q, authority, scopes);
    const session = sessionOf(request);
    if (q.prompt === "none" && !session)
      return redirectBack(reply, flow, {
        ...(kind === "adminconsent" ? { admin_consent: "True" } : {}),
        error: "login_required",
        error_description:
          "AADSTS50058: A silent sign-in request was sent but no user is signed in.",
      });
    const forceLogin = q.prompt === "login" || q.prompt === "select_account";
    if (session && !forceLogin) {
      const a = authority;
      const fits =
        (a.kind === "tenant" && a.tenant.id === session.tenant.id) ||
        (a.kind === "organizations" && !session.tenant.isPersonal) ||
        (a.kind === "consumers" && session.tenant.isPersonal) ||
        a.kind === "common";
      if (
        fits &&
        (!q.login_hint ||
          q.login_hint.toLowerCase() === session.user.userPrincipalName.toLowerCase())
      )
        return afterSignIn(reply, flow, session.tenant, session.user);
    }
    return html(
      reply,
      signInPage({ flow: flow.id, ...(q.login_hint ? { login: q.login_hint } : {}) }),
    );
  }

  async function continueFlow(request: FastifyRequest, reply: FastifyReply) {
    const body = stringParams(request.body);
    const flow = body.flow ? flows.get(body.flow) : undefined;
    if (!flow || Date.now() - flow.createdAt > flowTtlMs)
      return htmlError(
        reply,
        400,
        50089,
        "Flow token expired - Authentication Failed. Start again from the application.",
      );
    if (body.login !== undefined) return signIn(reply, flow, body);
    return consent(reply, flow, body);
  }

  type TenantRequest = FastifyRequest<{ Params: { tenant: string } }>;
  app.get("/:tenant/oauth2/v2.0/authorize", (request: TenantRequest, reply) =>
    startFlow("authorize", request, reply),
  );
  app.post("/:tenant/oauth2/v2.0/authorize", continueFlow);
  for (const path of ["/:tenant/v2.0/adminconsent", "/:tenant/adminconsent"]) {
    app.get(path, (request: TenantRequest, reply) => startFlow("adminconsent", request, reply));
    app.post(path, continueFlow);
  }

  app.get<{ Params: { tenant: string } }>("/:tenant/oauth2/v2.0/logout", async (request, reply) => {
    const id = request.cookies[sessionCookie];
    if (id) sessions.delete(id);
    reply.clearCookie(sessionCookie, { path: "/" });
    const q = stringParams(request.query);
    if (q.post_logout_redirect_uri) return reply.redirect(q.post_logout_redirect_uri, 302);
    return html(
      reply,
      errorPage({
        title: "You signed out of your account",
        message: "It's a good idea to close all browser windows.",
      }),
    );
  });

  // ---- token endpoint ---------------------------------------------------------------------------

  function userClaims(tenant: Tenant, user: User): UserClaims {
    return {
      oid: user.id,
      tid: tenant.id,
      name: user.displayName,
      preferredUsername: user.userPrincipalName,
      email: user.mail,
      wids: [
        ...user.roles.map((r) => roleTemplateIds[r]),
        ...(tenant.isPersonal ? [] : [roleTemplateIds.user]),
      ],
    };
  }

  async function authenticateClient(
    body: Params,
    request: FastifyRequest,
    tokenUrl: string,
  ): Promise<RegisteredApp> {
    let clientId = body.client_id;
    let secret = body.client_secret;
    const basic = request.headers.authorization?.match(/^Basic\s+(.+)$/i)?.[1];
    if (basic) {
      const [id, s] = Buffer.from(basic, "base64").toString("utf8").split(":");
      clientId = decodeURIComponent(id ?? "");
      secret = decodeURIComponent(s ?? "");
    }
    if (!clientId)
      throw new EntraError(
        400,
        900144,
        "invalid_request",
        "The request body must contain the following parameter: 'client_id'.",
      );
    const registered = state.apps.get(clientId);
    if (!registered)
      throw new EntraError(
        400,
        700016,
        "unauthorized_client",
        `Application with identifier '${clientId}' was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    if (secret !== undefined) {
      if (secret !== registered.clientSecret)
        throw new EntraError(
          401,
          7000215,
          "invalid_client",
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        );
      return registered;
    }
    if (body.client_assertion) {
      await verifyAssertion(registered, body.client_assertion, tokenUrl);
      return registered;
    }
    throw new EntraError(
      401,
      7000218,
      "invalid_client",
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }

  async function verifyAssertion(registered: RegisteredApp, assertion: string, tokenUrl: string) {
    const bad = (code: number, message: string) =>
      new EntraError(401, code, "invalid_client", message);
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      throw bad(50027, "JWT token is invalid or malformed.");
    }
    const x5t = header.x5t;
    const x5t256 = header["x5t#S256"];
    const cert = registered.certificates.find((pem) => {
      const der = new X509Certificate(pem).raw;
      return (
        (x5t && createHash("sha1").update(der).digest("base64url") === x5t) ||
        (x5t256 && createHash("sha256").update(der).digest("base64url") === x5t256)
      );
    });
    if (!cert)
      throw bad(
        700027,
        `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${x5t ?? x5t256 ?? ""}']`,
      );
    try {
      await jwtVerify(assertion, await importX509(cert, header.alg ?? "RS256"), {
        issuer: registered.clientId,
        subject: registered.clientId,
        audience: [tokenUrl, tokenUrl.replace(/\/oauth2\/v2\.0\/token$/, "/v2.0")],
        // Entra tolerates five minutes of clock skew; clients may round `nbf` up to the next second.
        clockTolerance: 300,
      });
    } catch (e) {
      const code = (e as { code?: string }).code;
      const claim = (e as { claim?: string }).claim;
      if (
        code === "ERR_JWT_EXPIRED" ||
        (code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && claim === "nbf")
      )
        throw bad(700024, "Client assertion is not within its valid time range.");
      throw bad(700027, "Client assertion failed signature validation.");
    }
  }

  async function tokenResponse(
    registered: RegisteredApp,
    tenant: Tenant,
    user: User,
    scopes: string[],
    nonce?: string,
  ) {
    const claims = userClaims(tenant, user);
    const lower = new Set(scopes.map((s) => s.toLowerCase()));
    const resource = scopes.filter((s) => !oidcScopes.has(s.toLowerCase()));
    const accessScopes = resource.length ? resource : scopes.filter((s) => s !== "offline_access");
    const body: Record<string, string | number> = {
      token_type: "Bearer",
      scope: accessScopes.join(" "),
      expires_in: issuer.expiresIn,
      ext_expires_in: issuer.expiresIn,
      access_token: await issuer.delegatedAccessToken({
        clientId: registered.clientId,
        user: claims,
        scopes: accessScopes,
      }),
    };
    if (lower.has("offline_access")) {
      const rt = newOpaqueToken();
      refreshTokens.set(rt, {
        clientId: registered.clientId,
        tenantId: tenant.id,
        userId: user.id,
        scopes,
        expiresAt: Date.now() + refreshTtlMs,
      });
      body.refresh_token = rt;
    }
    if (lower.has("openid"))
      body.id_token = await issuer.idToken({
        clientId: registered.clientId,
        user: claims,
        nonce,
        withEmail: lower.has("email"),
        withWids:
          registered.groupMembershipClaims === "DirectoryRole" ||
          registered.groupMembershipClaims === "All",
      });
    body.client_info = clientInfo(user.id, tenant.id);
    return body;
  }

  function codeGrant(body: Params, segment: string): Code {
    if (!body.code)
      throw new EntraError(
        400,
        900144,
        "invalid_request",
        "The request body must contain the following parameter: 'code'.",
      );
    const code = codes.get(body.code);
    if (!code)
      throw new EntraError(
        400,
        9002313,
        "invalid_grant",
        "Invalid request. Request is malformed or invalid.",
      );
    if (code.used)
      throw new EntraError(
        400,
        54005,
        "invalid_grant",
        "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
      );
    if (code.expiresAt < Date.now())
      throw new EntraError(
        400,
        70008,
        "invalid_grant",
        "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
      );
    const authority = resolveAuthority(segment);
    if (authority?.kind === "tenant" && authority.tenant.id !== code.tenantId)
      throw new EntraError(
        400,
        700005,
        "invalid_grant",
        "Provided Authorization Code is intended to use against other tenant, thus rejected.",
      );
    return code;
  }

  app.post<{ Params: { tenant: string } }>("/:tenant/oauth2/v2.0/token", async (request, reply) => {
    const body = stringParams(request.body);
    const segment = request.params.tenant;
    const tokenUrl = `${ctx.loginUrl}/${segment}/oauth2/v2.0/token`;
    try {
      const authority = resolveAuthority(segment);
      if (!authority) throw tenantNotFound(segment);
      if (!body.grant_type)
        throw new EntraError(
          400,
          900144,
          "invalid_request",
          "The request body must contain the following parameter: 'grant_type'.",
        );
      const registered = await authenticateClient(body, request, tokenUrl);
      reply.header("Cache-Control", "no-store");

      if (body.grant_type === "authorization_code") {
        const code = codeGrant(body, segment);
        if (code.clientId !== registered.clientId)
          throw new EntraError(
            400,
            70000,
            "invalid_grant",
            "The provided authorization code was issued to a different client.",
          );
        if (body.redirect_uri !== code.redirectUri)
          throw new EntraError(
            400,
            50011,
            "invalid_grant",
            `The redirect URI '${body.redirect_uri ?? ""}' specified in the request does not match the redirect URI used to obtain the authorization code.`,
          );
        if (code.codeChallenge) {
          const verifier = body.code_verifier ?? "";
          const computed =
            code.codeChallengeMethod === "S256"
              ? createHash("sha256").update(verifier).digest("base64url")
              : verifier;
          if (!verifier || computed !== code.codeChallenge)
            throw new EntraError(
              400,
              501481,
              "invalid_grant",
              "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            );
        }
        code.used = true;
        const tenant = state.tenants.get(code.tenantId);
        const user = tenant?.users.get(code.userId);
        if (!tenant || !user)
          throw new EntraError(
            400,
            50173,
            "invalid_grant",
            "The provided grant has expired due to it being revoked.",
          );
        return tokenResponse(registered, tenant, user, code.scopes, code.nonce);
      }

      if (body.grant_type === "refresh_token") {
        const grant = body.refresh_token ? refreshTokens.get(body.refresh_token) : undefined;
        if (!grant || grant.clientId !== registered.clientId)
          throw new EntraError(
            400,
            9002313,
            "invalid_grant",
            "Invalid request. Request is malformed or invalid.",
          );
        if (grant.expiresAt < Date.now())
          throw new EntraError(
            400,
            700082,
            "invalid_grant",
            "The refresh token has expired due to inactivity.",
          );
        const tenant = state.tenants.get(grant.tenantId);
        const user = tenant?.users.get(grant.userId);
        if (!tenant || !user)
          throw new EntraError(
            400,
            50173,
            "invalid_grant",
            "The provided grant has expired due to it being revoked.",
          );
        if (!user.accountEnabled)
          throw new EntraError(400, 50057, "invalid_grant", "The user account is disabled.");
        const granted = state.grantedScopes(tenant, registered.clientId, user.id);
        for (const s of grant.scopes) granted.add(s.toLowerCase());
        const requested = (body.scope ?? "").split(/\s+/).filter(Boolean);
        const scopes: string[] = [];
        for (const s of requested.length ? requested : grant.scopes) {
          const short = shortScope(s);
          if (short.toLowerCase() === ".default") {
            scopes.push(...registered.delegatedScopes.filter((d) => granted.has(d.toLowerCase())));
            continue;
          }
          if (!granted.has(short.toLowerCase()))
            throw new EntraError(
              400,
              65001,
              "invalid_grant",
              `The user or administrator has not consented to use the application with ID '${registered.clientId}' named '${registered.displayName}'. Send an interactive authorization request for this user and resource.`,
            );
          scopes.push(short);
        }
        if (
          grant.scopes.some((s) => s.toLowerCase() === "offline_access") &&
          !scopes.includes("offline_access")
        )
          scopes.push("offline_access");
        return tokenResponse(registered, tenant, user, [...new Set(scopes)]);
      }

      if (body.grant_type === "client_credentials") {
        if (authority.kind === "common" || authority.kind === "consumers")
          throw new EntraError(
            400,
            9001023,
            "invalid_request",
            "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
          );
        if (authority.kind !== "tenant")
          throw new EntraError(
            400,
            50059,
            "invalid_request",
            "No tenant-identifying information found in either the request or implied by any provided credentials.",
          );
        const tenant = authority.tenant;
        const scope = body.scope ?? "";
        if (!/\/\.default$/.test(scope) || scope.split(/\s+/).length !== 1)
          throw new EntraError(
            400,
            1002012,
            "invalid_scope",
            `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
          );
        const forTeams = scope.toLowerCase() === `${teamsAdminResource}/.default`;
        if (
          !forTeams &&
          !/^(https:\/\/graph\.microsoft\.com|00000003-0000-0000-c000-000000000000)\/\.default$/i.test(
            scope,
          )
        )
          throw new EntraError(
            400,
            500011,
            "invalid_resource",
            `The resource principal named ${scope.replace(/\/\.default$/, "")} was not found in the tenant named ${tenant.displayName}.`,
          );
        const sp = tenant.servicePrincipals.get(registered.clientId);
        const now = Date.now();
        if (!sp || tenant.isPersonal || sp.visibleAt > now)
          throw new EntraError(
            400,
            7000229,
            "invalid_client",
            `The client application ${registered.clientId} is missing service principal in the tenant ${tenant.id}.`,
          );
        // With a service principal but no application permission in effect (none granted, or an
        // admin consent still propagating), Entra issues a token without `roles`; Graph refuses it.
        // A later consent's new grants propagate alone: the roles in effect before stay.
        const consentRecord = tenant.consents.get(registered.clientId);
        // The app's application permissions are Graph's: a Teams admin API token has none.
        const roles =
          consentRecord?.adminConsented && !forTeams
            ? [...consentRecord.appRoles].filter(
                (r) =>
                  registered.appRoles.includes(r) &&
                  (consentRecord.appRoleEffectiveAt.get(r) ?? 0) <= now,
              )
            : [];
        return {
          token_type: "Bearer",
          expires_in: issuer.expiresIn,
          ext_expires_in: issuer.expiresIn,
          access_token: await issuer.appAccessToken({
            clientId: registered.clientId,
            tenantId: tenant.id,
            servicePrincipalId: sp.id,
            roles,
            wids: tenant.roleAssignments
              .filter((a) => a.principalId === sp.id && (a.effectiveAt ?? 0) <= now)
              .map((a) => a.roleDefinitionId),
            ...(forTeams ? { audience: teamsAdminResource } : {}),
          }),
        };
      }

      throw new EntraError(
        400,
        70003,
        "unsupported_grant_type",
        `The app requested an unsupported grant type '${body.grant_type}'.`,
      );
    } catch (e) {
      if (e instanceof EntraError) return sendEntra(reply, e);
      throw e;
    }
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        entraError(
          ctx.loginUrl,
          90002,
          "invalid_request",
          `No route for ${request.method} ${request.url.split("?")[0]}.`,
        ),
      ),
  );
}
