import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { EmulatorContext } from "./context.ts";
import { GraphError, verifiedBearer } from "./errors.ts";
import {
  currentNumberAssignments,
  hasTeamsPhone,
  isNumberAssignmentActive,
  type NormalizationRuleRecord,
  roleTemplateIds,
  type TeamsVoiceKind,
  type TeamsVoiceState,
  type Tenant,
  type TenantDialPlanRecord,
  type User,
  type VoiceRouteRecord,
  type VoiceRoutingPolicyRecord,
} from "./state.ts";

/** Where the Teams voice origin lives on the Graph host: `/teams-voice/{tenantId}/…`. */
export const teamsVoiceBase = "/teams-voice";

/** Directory roles that may run the Teams voice cmdlets (the session's RBAC comes from `wids`). */
const voiceAdminRoles: string[] = [
  roleTemplateIds.teamsAdministrator,
  roleTemplateIds.globalAdministrator,
];

const musicOnHoldValues = ["Enabled", "Disabled", "UserOverride"] as const;

/** What the MicrosoftTeams module answers when a gateway is not a usable derived trunk (public reports of New-CsOnlineVoiceRoute). */
const unknownGateway = (fqdn: string) =>
  new GraphError(400, "BadRequest", `Cannot find specified Gateway "${fqdn}".`);

const badRequest = (message: string) => new GraphError(400, "BadRequest", message);
const notFound = (kind: string, identity: string) =>
  new GraphError(404, "NotFound", `Cannot find ${kind} "${identity}" because it does not exist.`);

/** .NET regular expression escapes; any other `\<letter>` is an error in .NET (JS would accept it). */
const dotNetEscapes = /\\([A-Za-z])/g;
const knownEscapeLetters = new Set("dDwWsSbBAzZGntrfvecxupPk".split(""));

/** A .NET regular expression the emulator can check: JS syntax, with .NET's refusal of unknown escapes. */
function assertRegex(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0)
    throw badRequest(`${field} must be a non-empty regular expression.`);
  try {
    new RegExp(value);
  } catch (e) {
    throw badRequest(
      `${field} '${value}' is not a valid regular expression: ${(e as Error).message}`,
    );
  }
  for (const m of value.matchAll(dotNetEscapes)) {
    const before = value.slice(0, m.index);
    const escaped = (before.match(/\\+$/)?.[0].length ?? 0) % 2 === 1;
    if (!escaped && !knownEscapeLetters.has(m[1] ?? ""))
      throw badRequest(
        `${field} '${value}' is not a valid regular expression: unrecognized escape sequence \\${m[1]}.`,
      );
  }
  return value;
}

/** A name (identity, usage): non-empty, no control characters. */
function assertName(value: unknown, field: string, max = 256): string {
  if (typeof value !== "string" || !value.trim() || value.length > max || /[\p{Cc}]/u.test(value))
    throw badRequest(`${field} must be a non-empty name of at most ${max} characters.`);
  return value.trim();
}

function assertText(value: unknown, field: string, max: number): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string" || value.length > max)
    throw badRequest(`${field} must be text of at most ${max} characters.`);
  return value;
}

function assertNames(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest(`${field} must be a list.`);
  return value.map((v) => assertName(v, field));
}

const key = (identity: string) => identity.toLowerCase();

/**
 * The Teams voice origin: what the MicrosoftTeams PowerShell module manages for Direct Routing,
 * as a small REST API under `/teams-voice/{tenantId}` on the Graph host. Callers authenticate
 * with an app-only token for the Teams admin API resource and need the Teams Administrator role
 * (or Global Administrator) in the tenant; Microsoft's rules apply (usages must exist, a route's
 * gateways must be activated derived trunks, objects in use cannot be removed, names are unique).
 * Every answer carries `x-ms-correlation-id`; create calls are counted per kind.
 */
export function teamsVoiceRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const { state, issuer } = ctx;

  // Every answer of the origin, faults included, carries a correlation id (also in error bodies).
  app.addHook("onSend", async (request, reply, payload) => {
    if (!request.url.startsWith(`${teamsVoiceBase}/`) || reply.hasHeader("x-ms-correlation-id"))
      return payload;
    const fromBody =
      typeof payload === "string" ? payload.match(/"request-id":"([^"]+)"/)?.[1] : undefined;
    reply.header("x-ms-correlation-id", fromBody ?? randomUUID());
    return payload;
  });

  /** The caller's tenant, once the token is valid, for this tenant, and holds a voice admin role. */
  async function authorize(request: FastifyRequest<{ Params: { tenantId: string } }>): Promise<{
    tenant: Tenant;
    voice: TeamsVoiceState;
  }> {
    const claims = await verifiedBearer(request.headers.authorization, (token) =>
      issuer.verifyTeamsToken(token),
    );
    const tenant = state.tenants.get(claims.tid);
    if (!tenant || claims.tid !== request.params.tenantId.toLowerCase())
      throw new GraphError(
        403,
        "Forbidden",
        "The access token is not valid for the tenant in the request.",
      );
    if (!(claims.wids ?? []).some((w) => voiceAdminRoles.includes(w)))
      throw new GraphError(
        403,
        "Forbidden",
        "The application does not hold the Teams Administrator role in this tenant: the session has no rights to run this cmdlet.",
      );
    return { tenant, voice: tenant.teamsVoice };
  }

  function countCreate(voice: TeamsVoiceState, kind: TeamsVoiceKind, n = 1): void {
    voice.createCalls[kind] += n;
  }

  const usageExists = (voice: TeamsVoiceState, usage: string) =>
    voice.pstnUsages.some((u) => key(u) === key(usage));

  function assertUsagesExist(voice: TeamsVoiceState, usages: string[]): void {
    for (const u of usages)
      if (!usageExists(voice, u)) throw badRequest(`Cannot find specified PSTN usage "${u}".`);
  }

  function findUser(tenant: Tenant, id: string): User {
    const k = key(id);
    const user =
      tenant.users.get(k) ??
      [...tenant.users.values()].find((u) => u.userPrincipalName.toLowerCase() === k);
    if (!user) throw notFound("user", id);
    return user;
  }

  // ---- PSTN usages (Get-/Set-CsOnlinePstnUsage) --------------------------------------------

  type P = { Params: { tenantId: string } };
  type PI = { Params: { tenantId: string; identity: string } };
  const base = `${teamsVoiceBase}/:tenantId`;
  const presentUsages = (voice: TeamsVoiceState) => ({
    identity: "Global",
    usage: [...voice.pstnUsages],
  });

  app.get<P>(`${base}/pstnUsages`, async (request) => {
    const { voice } = await authorize(request);
    return presentUsages(voice);
  });

  app.patch<P>(`${base}/pstnUsages`, async (request) => {
    const { voice } = await authorize(request);
    const body = (request.body ?? {}) as { add?: unknown; remove?: unknown };
    const add = assertNames(body.add, "add");
    const remove = assertNames(body.remove, "remove");
    countCreate(voice, "pstnUsage", add.length);
    for (const usage of remove) {
      const route = [...voice.voiceRoutes.values()].find((r) =>
        r.onlinePstnUsages.some((u) => key(u) === key(usage)),
      );
      const policy = [...voice.voiceRoutingPolicies.values()].find((p) =>
        p.onlinePstnUsages.some((u) => key(u) === key(usage)),
      );
      const user = route
        ? `voice route "${route.identity}"`
        : policy
          ? `voice routing policy "${policy.identity}"`
          : null;
      if (user) throw badRequest(`The PSTN usage "${usage}" cannot be removed: ${user} uses it.`);
    }
    voice.pstnUsages = voice.pstnUsages.filter((u) => !remove.some((r) => key(r) === key(u)));
    for (const usage of add) if (!usageExists(voice, usage)) voice.pstnUsages.push(usage);
    return presentUsages(voice);
  });

  // ---- Voice routes (New-/Get-/Set-/Remove-CsOnlineVoiceRoute) ----------------------------

  function parseRoute(
    tenant: Tenant,
    voice: TeamsVoiceState,
    body: Record<string, unknown>,
    identity: string,
  ): VoiceRouteRecord {
    const gateways = assertNames(body.onlinePstnGatewayList, "onlinePstnGatewayList").map((g) =>
      g.toLowerCase(),
    );
    const usages = assertNames(body.onlinePstnUsages, "onlinePstnUsages");
    const priority = body.priority ?? 0;
    if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 0)
      throw badRequest("priority must be a whole number ≥ 0.");
    const route: VoiceRouteRecord = {
      identity,
      numberPattern:
        body.numberPattern === undefined
          ? "[0-9]{10}"
          : assertRegex(body.numberPattern, "NumberPattern"),
      onlinePstnGatewayList: gateways,
      onlinePstnUsages: usages,
      priority,
      description: assertText(body.description, "description", 1024),
    };
    // A derived trunk is accepted only once Microsoft serves it for this tenant
    // (https://learn.microsoft.com/microsoftteams/direct-routing-sbc-multiple-tenants).
    for (const g of gateways)
      if (state.domainActivation(tenant.id, g).status !== "active") throw unknownGateway(g);
    assertUsagesExist(voice, usages);
    return route;
  }

  app.get<P>(`${base}/voiceRoutes`, async (request) => {
    const { voice } = await authorize(request);
    return { value: [...voice.voiceRoutes.values()] };
  });

  app.get<PI>(`${base}/voiceRoutes/:identity`, async (request) => {
    const { voice } = await authorize(request);
    const route = voice.voiceRoutes.get(key(request.params.identity));
    if (!route) throw notFound("voice route", request.params.identity);
    return route;
  });

  app.post<P>(`${base}/voiceRoutes`, async (request, reply) => {
    const { tenant, voice } = await authorize(request);
    countCreate(voice, "voiceRoute");
    const body = (request.body ?? {}) as Record<string, unknown>;
    const identity = assertName(body.identity, "identity");
    if (voice.voiceRoutes.has(key(identity)))
      throw conflict(`A voice route with the identity "${identity}" already exists.`);
    const route = parseRoute(tenant, voice, body, identity);
    voice.voiceRoutes.set(key(identity), route);
    return reply.code(201).send(route);
  });

  app.put<PI>(`${base}/voiceRoutes/:identity`, async (request) => {
    const { tenant, voice } = await authorize(request);
    const existing = voice.voiceRoutes.get(key(request.params.identity));
    if (!existing) throw notFound("voice route", request.params.identity);
    const route = parseRoute(
      tenant,
      voice,
      (request.body ?? {}) as Record<string, unknown>,
      existing.identity,
    );
    voice.voiceRoutes.set(key(existing.identity), route);
    return route;
  });

  app.delete<PI>(`${base}/voiceRoutes/:identity`, async (request, reply) => {
    const { voice } = await authorize(request);
    if (!voice.voiceRoutes.delete(key(request.params.identity)))
      throw notFound("voice route", request.params.identity);
    return reply.code(204).send();
  });

  // ---- Voice routing policies and tenant dial plans (policies granted to users) ------------

  const grantedTo =
    (voice: TeamsVoiceState, field: "voiceRoutingPolicy" | "tenantDialPlan") =>
    (identity: string) =>
      [...voice.grants].filter(([, g]) => key(g[field] ?? "") === key(identity)).map(([u]) => u);

  function parsePolicy(
    voice: TeamsVoiceState,
    body: Record<string, unknown>,
    identity: string,
  ): VoiceRoutingPolicyRecord {
    const usages = assertNames(body.onlinePstnUsages, "onlinePstnUsages");
    assertUsagesExist(voice, usages);
    return {
      identity,
      onlinePstnUsages: usages,
      description: assertText(body.description, "description", 1024),
    };
  }

  function parseDialPlan(body: Record<string, unknown>, identity: string): TenantDialPlanRecord {
    const rules = body.normalizationRules ?? [];
    if (!Array.isArray(rules)) throw badRequest("normalizationRules must be a list.");
    // New-CsTenantDialPlan: "The number of normalization rules cannot exceed 50 per TenantDialPlan."
    if (rules.length > 50)
      throw badRequest("The number of normalization rules cannot exceed 50 per TenantDialPlan.");
    const seen = new Set<string>();
    const normalizationRules = rules.map((raw): NormalizationRuleRecord => {
      const r = (raw ?? {}) as Record<string, unknown>;
      const name = assertName(r.name, "normalization rule name");
      if (seen.has(key(name)))
        throw badRequest(`The dial plan has two normalization rules named "${name}".`);
      seen.add(key(name));
      if (typeof r.translation !== "string")
        throw badRequest(`Normalization rule "${name}" needs a translation.`);
      if (r.isInternalExtension !== undefined && typeof r.isInternalExtension !== "boolean")
        throw badRequest("isInternalExtension must be true or false.");
      return {
        name,
        pattern: assertRegex(r.pattern, "Pattern"),
        translation: r.translation,
        description: assertText(r.description, "description", 512),
        isInternalExtension: r.isInternalExtension === true,
      };
    });
    return {
      identity,
      description: assertText(body.description, "description", 1040),
      normalizationRules,
    };
  }

  /** New-CsTenantDialPlan: letters, digits, hyphen and dot, at most 49, not starting with a dot. */
  function assertDialPlanIdentity(value: unknown): string {
    if (typeof value !== "string" || !/^[A-Za-z0-9-][A-Za-z0-9.-]{0,48}$/.test(value))
      throw badRequest(
        "The dial plan identity must be 1 to 49 letters, digits, hyphens or dots, not starting with a dot.",
      );
    return value;
  }

  const collections = [
    {
      path: "voiceRoutingPolicies",
      kind: "voiceRoutingPolicy" as const,
      label: "voice routing policy",
      map: (v: TeamsVoiceState) => v.voiceRoutingPolicies as Map<string, { identity: string }>,
      parse: (v: TeamsVoiceState, body: Record<string, unknown>, identity: string) =>
        parsePolicy(v, body, identity),
      identityOf: (value: unknown) => assertName(value, "identity"),
      holders: (v: TeamsVoiceState) => grantedTo(v, "voiceRoutingPolicy"),
    },
    {
      path: "tenantDialPlans",
      kind: "tenantDialPlan" as const,
      label: "tenant dial plan",
      map: (v: TeamsVoiceState) => v.tenantDialPlans as Map<string, { identity: string }>,
      parse: (_v: TeamsVoiceState, body: Record<string, unknown>, identity: string) =>
        parseDialPlan(body, identity),
      identityOf: assertDialPlanIdentity,
      holders: (v: TeamsVoiceState) => grantedTo(v, "tenantDialPlan"),
    },
  ];

  for (const c of collections) {
    app.get<P>(`${base}/${c.path}`, async (request) => {
      const { voice } = await authorize(request);
      return { value: [...c.map(voice).values()] };
    });

    app.get<PI>(`${base}/${c.path}/:identity`, async (request) => {
      const { voice } = await authorize(request);
      const found = c.map(voice).get(key(request.params.identity));
      if (!found) throw notFound(c.label, request.params.identity);
      return found;
    });

    app.post<P>(`${base}/${c.path}`, async (request, reply) => {
      const { voice } = await authorize(request);
      countCreate(voice, c.kind);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const identity = c.identityOf(body.identity);
      if (c.map(voice).has(key(identity)))
        throw conflict(`A ${c.label} with the identity "${identity}" already exists.`);
      const created = c.parse(voice, body, identity);
      c.map(voice).set(key(identity), created);
      return reply.code(201).send(created);
    });

    app.put<PI>(`${base}/${c.path}/:identity`, async (request) => {
      const { voice } = await authorize(request);
      const existing = c.map(voice).get(key(request.params.identity));
      if (!existing) throw notFound(c.label, request.params.identity);
      const updated = c.parse(
        voice,
        (request.body ?? {}) as Record<string, unknown>,
        existing.identity,
      );
      c.map(voice).set(key(existing.identity), updated);
      return updated;
    });

    app.delete<PI>(`${base}/${c.path}/:identity`, async (request, reply) => {
      const { voice } = await authorize(request);
      const existing = c.map(voice).get(key(request.params.identity));
      if (!existing) throw notFound(c.label, request.params.identity);
      const users = c.holders(voice)(existing.identity);
      if (users.length > 0)
        throw badRequest(
          `The ${c.label} "${existing.identity}" cannot be removed: it is granted to ${users.length} user(s).`,
        );
      c.map(voice).delete(key(existing.identity));
      return reply.code(204).send();
    });
  }

  // ---- The Global Teams calling policy (music on hold) ---------------------------------------

  const globalOnly = (identity: string) => {
    if (key(identity) !== "global") throw notFound("Teams calling policy", identity);
  };

  app.get<PI>(`${base}/teamsCallingPolicies/:identity`, async (request) => {
    const { voice } = await authorize(request);
    globalOnly(request.params.identity);
    return { identity: "Global", musicOnHoldEnabledType: voice.musicOnHoldEnabledType };
  });

  app.patch<PI>(`${base}/teamsCallingPolicies/:identity`, async (request) => {
    const { voice } = await authorize(request);
    globalOnly(request.params.identity);
    const value = ((request.body ?? {}) as { musicOnHoldEnabledType?: unknown })
      .musicOnHoldEnabledType;
    const valid = musicOnHoldValues.find((v) => key(v) === key(String(value)));
    if (!valid)
      throw badRequest("MusicOnHoldEnabledType must be Enabled, Disabled or UserOverride.");
    voice.musicOnHoldEnabledType = valid;
    return { identity: "Global", musicOnHoldEnabledType: valid };
  });

  // ---- Online users and their grants (Get-CsOnlineUser, Grant-Cs…) -------------------------

  /** `VoicemailEnabled`: as set, else Teams' default (on for a user with Teams Phone). */
  const voicemailEnabled = (tenant: Tenant, user: User) =>
    tenant.teamsVoice.voicemail.get(user.id) ?? hasTeamsPhone(user);

  function presentOnlineUser(tenant: Tenant, user: User) {
    const grant = tenant.teamsVoice.grants.get(user.id) ?? {};
    const number = currentNumberAssignments(tenant).find(
      (a) => a.assignmentTargetId === user.id && isNumberAssignmentActive(tenant, a),
    );
    return {
      id: user.id,
      userPrincipalName: user.userPrincipalName,
      enterpriseVoiceEnabled: hasTeamsPhone(user),
      onlineVoiceRoutingPolicy: grant.voiceRoutingPolicy ?? null,
      tenantDialPlan: grant.tenantDialPlan ?? null,
      lineUri: number ? `tel:${number.telephoneNumber}` : null,
      voicemailEnabled: voicemailEnabled(tenant, user),
    };
  }

  type PU = { Params: { tenantId: string; userId: string } };
  app.get<PU>(`${base}/users/:userId`, async (request) => {
    const { tenant } = await authorize(request);
    return presentOnlineUser(tenant, findUser(tenant, request.params.userId));
  });

  for (const [path, field, label] of [
    ["onlineVoiceRoutingPolicy", "voiceRoutingPolicy", "voice routing policy"],
    ["tenantDialPlan", "tenantDialPlan", "tenant dial plan"],
  ] as const) {
    app.put<PU>(`${base}/users/:userId/${path}`, async (request, reply: FastifyReply) => {
      const { tenant, voice } = await authorize(request);
      const user = findUser(tenant, request.params.userId);
      const name = ((request.body ?? {}) as { policyName?: unknown }).policyName ?? null;
      const grant = { ...voice.grants.get(user.id) };
      if (name === null) delete grant[field];
      else {
        const policies =
          field === "voiceRoutingPolicy" ? voice.voiceRoutingPolicies : voice.tenantDialPlans;
        const policy = policies.get(key(assertName(name, "policyName")));
        if (!policy) throw notFound(label, String(name));
        grant[field] = policy.identity;
      }
      if (grant.voiceRoutingPolicy === undefined && grant.tenantDialPlan === undefined)
        voice.grants.delete(user.id);
      else voice.grants.set(user.id, grant);
      return reply.code(204).send();
    });
  }

  // ---- Voicemail (Get-/Set-CsOnlineVoicemailUserSettings) ----------------------------------

  const presentVoicemail = (tenant: Tenant, user: User) => ({
    identity: user.id,
    voicemailEnabled: voicemailEnabled(tenant, user),
  });

  app.get<PU>(`${base}/users/:userId/voicemailSettings`, async (request) => {
    const { tenant } = await authorize(request);
    return presentVoicemail(tenant, findUser(tenant, request.params.userId));
  });

  app.patch<PU>(`${base}/users/:userId/voicemailSettings`, async (request) => {
    const { tenant, voice } = await authorize(request);
    const user = findUser(tenant, request.params.userId);
    const body = (request.body ?? {}) as { voicemailEnabled?: unknown };
    // A switch parameter: PowerShell refuses anything but $true or $false.
    if (typeof body.voicemailEnabled !== "boolean")
      throw badRequest("VoicemailEnabled must be $true or $false.");
    voice.voicemail.set(user.id, body.voicemailEnabled);
    return presentVoicemail(tenant, user);
  });

  // ---- Derived trunks: whether Microsoft serves one for this tenant yet -------------------

  app.get<{ Params: { tenantId: string; fqdn: string } }>(
    `${base}/derivedTrunks/:fqdn`,
    async (request) => {
      const { tenant } = await authorize(request);
      const { fqdn, status } = state.domainActivation(tenant.id, request.params.fqdn);
      return { fqdn, activation: status };
    },
  );
}

function conflict(message: string): GraphError {
  return new GraphError(409, "Conflict", message);
}
