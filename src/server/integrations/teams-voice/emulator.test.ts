/**
 * The emulator adapter end to end: msal tokens for the Teams admin API, the emulator's Teams voice
 * origin over real HTTPS, Microsoft's rules and errors as the port's `AppError`s.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caught } from "../../../../test/caught.ts";
import { type Emulator, roleTemplateIds, skus, startEmulator } from "../../../emulator/index.ts";
import { parseEnv } from "../../env.ts";
import { microsoftConfigFromEnv } from "../microsoft/config.ts";
import { createGraphClient, type GraphClient } from "../microsoft/graph.ts";
import { createHttpTransport, type HttpTransport } from "../microsoft/http.ts";
import { createMicrosoft, type Microsoft } from "../microsoft/port.ts";
import { teamsVoiceFromEnv } from "./from-env.ts";
import type { TeamsVoice } from "./port.ts";

const clientId = randomUUID();
const clientSecret = "teams-voice-adapter-secret";
const carrier = "use1.sbc.example.net";
const trunk = `contoso.${carrier}`;
const retry = { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, maxTotalMs: 2_000 };

let emulator: Emulator;
let microsoft: Microsoft;
let voice: TeamsVoice;
let graph: GraphClient;
let transport: HttpTransport;
let tenantId: string;
let noRoleTenantId: string;
let phoneUserId: string;

const route = {
  identity: "Teamgate US",
  numberPattern: "^\\+1\\d{10}$",
  onlinePstnGatewayList: [trunk],
  onlinePstnUsages: ["Teamgate"],
  priority: 1,
};

beforeAll(async () => {
  emulator = await startEmulator();
  emulator.control.registerApp({
    clientId,
    clientSecret,
    redirectUris: ["https://teamgate.test/cb"],
    appRoles: [
      "Organization.Read.All",
      "Domain.ReadWrite.All",
      "User.ReadWrite.All",
      "LicenseAssignment.ReadWrite.All",
      "RoleManagement.ReadWrite.Directory",
      "TeamsTelephoneNumber.ReadWrite.All",
    ],
  });
  emulator.control.addCarrierTrunk(carrier);
  const seeded = emulator.control.seedTenant({
    displayName: "Contoso",
    domain: "contoso.example",
    users: [
      {
        userPrincipalName: "phone@contoso.example",
        displayName: "Pat Phone",
        password: "pw",
        licenses: ["teams", "teamsPhone"],
      },
    ],
  });
  tenantId = seeded.tenantId;
  phoneUserId = seeded.users[0]!.id;
  noRoleTenantId = emulator.control.seedTenant({
    displayName: "Fabrikam",
    domain: "fabrikam.example",
    users: [],
  }).tenantId;
  for (const t of [tenantId, noRoleTenantId])
    emulator.control.grantAdminConsent(t, clientId, { longAgo: true });

  const parsed = parseEnv({
    MS_CLIENT_ID: clientId,
    MS_CLIENT_SECRET: clientSecret,
    MS_LOGIN_BASE: emulator.loginUrl,
    MS_GRAPH_BASE: emulator.graphUrl,
    MS_CA_FILE: emulator.caFile,
  });
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  microsoft = createMicrosoft(microsoftConfigFromEnv(parsed.env)!, { retry });
  // What the Direct Routing workflow does through Graph, here with the raw client.
  transport = createHttpTransport({ caPem: emulator.caPem });
  graph = createGraphClient({
    graphBase: emulator.graphUrl,
    transport,
    accessToken: () => microsoft.acquireAppToken(tenantId),
    retry,
  });
  // The role the platform's registration gives its service principal in every customer tenant.
  const sp = emulator.control
    .tenantState(tenantId)
    .servicePrincipals.find((s) => s.appId === clientId)!;
  await graph.post("/roleManagement/directory/roleAssignments", {
    principalId: sp.id,
    roleDefinitionId: roleTemplateIds.teamsAdministrator,
    directoryScopeId: "/",
  });
  voice = teamsVoiceFromEnv(parsed.env, microsoft, {
    talksToEmulator: true,
    caPem: emulator.caPem,
    retry,
  })!;
});

afterAll(async () => {
  await voice?.close();
  await transport?.close();
  await microsoft?.close();
  await emulator?.stop();
});

describe("choosing the adapter", () => {
  it("is the emulator when the platform talks to it, PowerShell otherwise or when asked, none without Microsoft", () => {
    expect(voice.kind).toBe("emulator");
    const env = (extra: Record<string, string>) => {
      const parsed = parseEnv({ MS_CLIENT_ID: clientId, MS_CLIENT_SECRET: "x", ...extra });
      if (!parsed.ok) throw new Error(parsed.problems.join("; "));
      return parsed.env;
    };
    expect(teamsVoiceFromEnv(env({}), microsoft, { talksToEmulator: false })?.kind).toBe(
      "powershell",
    );
    expect(
      teamsVoiceFromEnv(env({ TEAMS_VOICE_ADAPTER: "powershell" }), microsoft, {
        talksToEmulator: true,
      })?.kind,
    ).toBe("powershell");
    expect(teamsVoiceFromEnv(env({}), null, { talksToEmulator: true })).toBeNull();
  });
});

describe("the emulator adapter", () => {
  it("adds PSTN usages idempotently and lists them", async () => {
    await voice.addPstnUsage(tenantId, "Teamgate");
    await voice.addPstnUsage(tenantId, "Teamgate");
    await voice.addPstnUsage(tenantId, "Spare");
    await voice.removePstnUsage(tenantId, "Spare");
    await voice.removePstnUsage(tenantId, "Never there");
    expect(await voice.listPstnUsages(tenantId)).toEqual(["Teamgate"]);
  });

  it("reports the derived trunk pending until Microsoft activates it, and refuses routes meanwhile", async () => {
    expect(await voice.getDomainActivation(tenantId, trunk)).toBe("pending");
    const refused = await caught(voice.createVoiceRoute(tenantId, route));
    expect(refused.code).toBe("microsoft_error");
    expect(refused.cause).toMatchObject({
      status: 400,
      message: `Cannot find specified Gateway "${trunk}".`,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });

    // What the activation workflow does through Graph: domain, TXT proof, a licensed user.
    await graph.post("/domains", { id: trunk });
    const records = await graph.get<{ value: { recordType: string; text?: string }[] }>(
      `/domains/${trunk}/verificationDnsRecords`,
    );
    emulator.control.publishTxt(trunk, records.value.find((r) => r.recordType === "Txt")!.text!);
    await graph.post(`/domains/${trunk}/verify`, {});
    const user = await graph.post<{ id: string }>("/users", {
      accountEnabled: false,
      displayName: "Teamgate Direct Routing",
      mailNickname: "teamgate-dr",
      userPrincipalName: `teamgate-dr@${trunk}`,
      passwordProfile: { password: "Activ8-Only!x" },
      usageLocation: "US",
    });
    emulator.control.setDirectRoutingActivationDelay(400);
    await graph.post(`/users/${user.id}/assignLicense`, {
      addLicenses: [{ skuId: skus.teams.skuId, disabledPlans: [] }],
      removeLicenses: [],
    });
    expect(await voice.getDomainActivation(tenantId, trunk)).toBe("pending");
    await new Promise((r) => setTimeout(r, 450));
    expect(await voice.getDomainActivation(tenantId, trunk)).toBe("active");
    emulator.control.setDirectRoutingActivationDelay(0);
  });

  it("creates, reads, replaces and removes a voice route; a second create is a conflict", async () => {
    expect(await voice.getVoiceRoute(tenantId, route.identity)).toBeNull();
    expect(await voice.createVoiceRoute(tenantId, route)).toEqual(route);
    const again = await caught(voice.createVoiceRoute(tenantId, route));
    expect(again.code).toBe("conflict");
    expect(again.cause).toMatchObject({ status: 409 });
    const changed = { ...route, priority: 3, description: "Outbound via the carrier" };
    expect(await voice.setVoiceRoute(tenantId, changed)).toEqual(changed);
    expect(await voice.getVoiceRoute(tenantId, "teamgate us")).toEqual(changed);
    await voice.removeVoiceRoute(tenantId, route.identity);
    await voice.removeVoiceRoute(tenantId, route.identity);
    expect(await voice.getVoiceRoute(tenantId, route.identity)).toBeNull();
    expect((await caught(voice.setVoiceRoute(tenantId, route))).code).toBe("not_found");
    await voice.createVoiceRoute(tenantId, route);
  });

  it("manages a routing policy and a dial plan, grants them, and refuses removing them while granted", async () => {
    const policy = { identity: "Teamgate", onlinePstnUsages: ["Teamgate"] };
    expect(await voice.createVoiceRoutingPolicy(tenantId, policy)).toEqual(policy);
    expect((await caught(voice.createVoiceRoutingPolicy(tenantId, policy))).code).toBe("conflict");
    const plan = {
      identity: "Teamgate-NL",
      description: "Dutch numbers",
      normalizationRules: [
        {
          name: "National",
          pattern: "^0(\\d{9})$",
          translation: "+31$1",
          isInternalExtension: false,
        },
      ],
    };
    expect(await voice.createTenantDialPlan(tenantId, plan)).toEqual(plan);
    const withRule = {
      ...plan,
      normalizationRules: [
        ...plan.normalizationRules,
        { name: "Ext", pattern: "^(\\d{4})$", translation: "+3120555$1", description: "Short" },
      ],
    };
    expect((await voice.setTenantDialPlan(tenantId, withRule)).normalizationRules).toEqual([
      plan.normalizationRules[0],
      { ...withRule.normalizationRules[1], isInternalExtension: false },
    ]);
    expect(await voice.getTenantDialPlan(tenantId, "missing")).toBeNull();

    await voice.grantVoiceRoutingPolicy(tenantId, phoneUserId, "Teamgate");
    await voice.grantTenantDialPlan(tenantId, phoneUserId, "Teamgate-NL");
    expect(await voice.getOnlineUser(tenantId, phoneUserId)).toEqual({
      id: phoneUserId,
      userPrincipalName: "phone@contoso.example",
      enterpriseVoiceEnabled: true,
      onlineVoiceRoutingPolicy: "Teamgate",
      tenantDialPlan: "Teamgate-NL",
      lineUri: null,
      voicemailEnabled: true,
    });
    expect(await voice.getOnlineUser(tenantId, randomUUID())).toBeNull();
    expect((await caught(voice.grantVoiceRoutingPolicy(tenantId, phoneUserId, "Nope"))).code).toBe(
      "not_found",
    );

    const inUse = await caught(voice.removeVoiceRoutingPolicy(tenantId, "Teamgate"));
    expect(inUse.code).toBe("microsoft_error");
    expect((await caught(voice.removeTenantDialPlan(tenantId, "Teamgate-NL"))).code).toBe(
      "microsoft_error",
    );
    expect((await caught(voice.removePstnUsage(tenantId, "Teamgate"))).code).toBe(
      "microsoft_error",
    );

    await voice.grantVoiceRoutingPolicy(tenantId, phoneUserId, null);
    await voice.grantTenantDialPlan(tenantId, phoneUserId, null);
    await voice.removeVoiceRoutingPolicy(tenantId, "Teamgate");
    await voice.removeTenantDialPlan(tenantId, "Teamgate-NL");
    await voice.removeTenantDialPlan(tenantId, "Teamgate-NL");
    expect(await voice.getVoiceRoutingPolicy(tenantId, "Teamgate")).toBeNull();
  });

  it("turns a user's voicemail off and on; the online user shows it and the number Graph assigned", async () => {
    await voice.setVoicemailEnabled(tenantId, phoneUserId, false);
    expect(await voice.getOnlineUser(tenantId, phoneUserId)).toMatchObject({
      voicemailEnabled: false,
    });
    await voice.setVoicemailEnabled(tenantId, phoneUserId, true);
    expect((await voice.getOnlineUser(tenantId, phoneUserId))?.voicemailEnabled).toBe(true);
    expect((await caught(voice.setVoicemailEnabled(tenantId, randomUUID(), false))).code).toBe(
      "not_found",
    );
    expect((await caught(voice.setVoicemailEnabled(noRoleTenantId, phoneUserId, false))).code).toBe(
      "microsoft_forbidden",
    );

    const operation = await microsoft.assignPhoneNumber(tenantId, phoneUserId, "+12065550100");
    expect((await voice.getOnlineUser(tenantId, phoneUserId))?.lineUri).toBeNull();
    for (let i = 0; i < 60; i++) {
      if ((await microsoft.getPhoneNumberOperation(tenantId, operation)).status !== "running")
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await voice.getOnlineUser(tenantId, phoneUserId))?.lineUri).toBe("tel:+12065550100");
  });

  it("reads and sets the global music on hold", async () => {
    expect(await voice.getGlobalMusicOnHold(tenantId)).toBe("Enabled");
    await voice.setGlobalMusicOnHold(tenantId, "Disabled");
    expect(await voice.getGlobalMusicOnHold(tenantId)).toBe("Disabled");
  });

  it("is microsoft_forbidden where the application lacks the Teams Administrator role", async () => {
    const error = await caught(voice.listPstnUsages(noRoleTenantId));
    expect(error.code).toBe("microsoft_forbidden");
    expect(error.cause).toMatchObject({ status: 403, code: "Forbidden" });
  });

  it("retries 429 and 503, then reports microsoft_throttled and microsoft_unavailable", async () => {
    emulator.control.injectFault({ path: "^/teams-voice/", status: 503, times: 1 });
    expect(await voice.listPstnUsages(tenantId)).toEqual(["Teamgate"]);
    emulator.control.injectFault({
      path: "^/teams-voice/",
      status: 429,
      retryAfterSeconds: 1,
      times: 2,
    });
    const throttled = await caught(voice.listPstnUsages(tenantId));
    expect(throttled.code).toBe("microsoft_throttled");
    expect(throttled.headers).toEqual({ "retry-after": "1" });
    emulator.control.injectFault({ path: "^/teams-voice/", status: 503, times: 2 });
    expect((await caught(voice.listPstnUsages(tenantId))).code).toBe("microsoft_unavailable");
    emulator.control.clearFaults();
  });

  it("never created an object twice: a create call per object, plus the refused repeats", () => {
    expect(emulator.control.teamsVoice(tenantId).createCalls).toEqual({
      pstnUsage: 3,
      voiceRoute: 4,
      voiceRoutingPolicy: 2,
      tenantDialPlan: 1,
    });
  });
});
