/**
 * The PowerShell adapter without PowerShell: the scripts it writes are compared with golden files
 * (fixtures/*.ps1), its parsing with outputs shaped as the cmdlets' JSON (fixtures/*.json), and its
 * error mapping with failures as the scripts' catch block reports them. A fake runner stands in
 * for pwsh; the real runner is checked with a stand-in executable.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { caught } from "../../../../test/caught.ts";
import { teamsAdminApiScope } from "./port.ts";
import {
  buildScript,
  createPowerShellTeamsVoice,
  mapPowerShellError,
  type PowerShellResult,
  psQuote,
  scriptBodies,
  spawnPowerShell,
  tokenVariables,
} from "./powershell.ts";

const fixtures = join(import.meta.dirname, "fixtures");
const recorded = (name: string) =>
  JSON.stringify(JSON.parse(readFileSync(join(fixtures, `${name}.json`), "utf8")));

const tenantId = "7c1d0f5e-2a3b-4c4d-8e5f-6a7b8c9d0e1f";
const graphToken = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJncmFwaCJ9.c2lnbmF0dXJlLWdyYXBo";
const teamsToken = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ0ZWFtcyJ9.c2lnbmF0dXJlLXRlYW1z";
const microsoft = {
  acquireAppToken: async (_tenant: string, options?: { scope?: string }) =>
    options?.scope === teamsAdminApiScope ? teamsToken : graphToken,
};

/** A fake pwsh: remembers each script and environment, answers with the next queued result. */
function fakeRunner(...results: PowerShellResult[]) {
  const calls: { script: string; env: Record<string, string> }[] = [];
  return {
    calls,
    run: async (script: string, env: Record<string, string>) => {
      calls.push({ script, env });
      return results.shift() ?? { exitCode: 0, stdout: "", stderr: "" };
    },
  };
}
const ok = (stdout: string): PowerShellResult => ({ exitCode: 0, stdout, stderr: "" });
const failed = (failure: object): PowerShellResult => ({
  exitCode: 1,
  stdout: "",
  stderr: `${JSON.stringify(failure)}\n`,
});

/** PowerShell's reading of a single-quoted literal: a quote character doubled is one of it. */
function readSingleQuoted(literal: string): string {
  const quote = /['\u2018\u2019\u201A\u201B]/;
  expect(literal[0]).toMatch(quote);
  let out = "";
  for (let i = 1; i < literal.length; i++) {
    const c = literal[i]!;
    if (quote.test(c)) {
      if (i + 1 < literal.length && quote.test(literal[i + 1]!)) {
        out += c;
        i++;
        continue;
      }
      expect(i, "the literal ends only at its last character").toBe(literal.length - 1);
      return out;
    }
    out += c;
  }
  throw new Error("unterminated literal");
}

describe("psQuote", () => {
  it.each([
    ["plain", "Teamgate US", "'Teamgate US'"],
    ["a single quote", "O'Brien", "'O''Brien'"],
    ["typographic quotes", "‘a’ ‚b‛", "'‘‘a’’ ‚‚b‛‛'"],
    ["a backtick and $", "`$(Remove-Item *)` $env:X", "'`$(Remove-Item *)` $env:X'"],
    ["newlines", "line1\nline2\r\n'; exit", "'line1\nline2\r\n''; exit'"],
    ["non-ASCII", "Zürich – 東京 ☎", "'Zürich – 東京 ☎'"],
    ["an empty string", "", "''"],
  ])("quotes %s so PowerShell reads it back unchanged", (_name, value, expected) => {
    const literal = psQuote(value);
    expect(literal).toBe(expected);
    expect(readSingleQuoted(literal)).toBe(value);
  });

  it("refuses NUL", () => {
    expect(() => psQuote("a\0b")).toThrow(/NUL/);
  });
});

const route = {
  identity: "Teamgate US",
  numberPattern: "^\\+1(\\d{10})$",
  onlinePstnGatewayList: ["contoso.use1.sbc.example.net"],
  onlinePstnUsages: ["Teamgate"],
  priority: 1,
  description: "Outbound via the carrier's SBC",
};
const plan = {
  identity: "Teamgate-NL",
  description: "Dutch numbers",
  normalizationRules: [
    { name: "National", pattern: "^0(\\d{9})$", translation: "+31$1", isInternalExtension: false },
    {
      name: "Ext",
      pattern: "^(\\d{4})$",
      translation: "+3120555$1",
      description: "Short",
      isInternalExtension: true,
    },
  ],
};
const userId = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";

describe("generated scripts (golden files: the frame, then each call's cmdlets)", () => {
  const cases: [string, string[]][] = [
    ["list-pstn-usages", scriptBodies.listPstnUsages()],
    ["add-pstn-usage", scriptBodies.addPstnUsage("Teamgate")],
    ["remove-pstn-usage", scriptBodies.removePstnUsage("Teamgate")],
    ["get-voice-route", scriptBodies.getVoiceRoute("Teamgate US")],
    ["create-voice-route", scriptBodies.createVoiceRoute(route)],
    ["set-voice-route", scriptBodies.setVoiceRoute({ ...route, onlinePstnUsages: [] })],
    ["remove-voice-route", scriptBodies.removeVoiceRoute("Teamgate US")],
    ["get-voice-routing-policy", scriptBodies.getVoiceRoutingPolicy("Teamgate")],
    [
      "create-voice-routing-policy",
      scriptBodies.createVoiceRoutingPolicy({
        identity: "Teamgate",
        onlinePstnUsages: ["Teamgate"],
      }),
    ],
    [
      "set-voice-routing-policy",
      scriptBodies.setVoiceRoutingPolicy({
        identity: "Teamgate",
        onlinePstnUsages: ["Teamgate", "Fallback"],
        description: "Calls through Teamgate",
      }),
    ],
    ["remove-voice-routing-policy", scriptBodies.removeVoiceRoutingPolicy("Teamgate")],
    ["get-tenant-dial-plan", scriptBodies.getTenantDialPlan("Teamgate-NL")],
    ["create-tenant-dial-plan", scriptBodies.createTenantDialPlan(plan)],
    [
      "set-tenant-dial-plan",
      scriptBodies.setTenantDialPlan({ identity: "Teamgate-NL", normalizationRules: [] }),
    ],
    ["remove-tenant-dial-plan", scriptBodies.removeTenantDialPlan("Teamgate-NL")],
    ["get-global-music-on-hold", scriptBodies.getGlobalMusicOnHold()],
    ["set-global-music-on-hold", scriptBodies.setGlobalMusicOnHold("Disabled")],
    ["get-domain-activation", scriptBodies.getDomainActivation("contoso.use1.sbc.example.net")],
    ["grant-voice-routing-policy", scriptBodies.grantVoiceRoutingPolicy(userId, "Teamgate")],
    ["ungrant-voice-routing-policy", scriptBodies.grantVoiceRoutingPolicy(userId, null)],
    ["grant-tenant-dial-plan", scriptBodies.grantTenantDialPlan(userId, "Teamgate-NL")],
    ["get-online-user", scriptBodies.getOnlineUser(userId)],
    ["set-voicemail-enabled", scriptBodies.setVoicemailEnabled(userId, true)],
    ["set-voicemail-disabled", scriptBodies.setVoicemailEnabled(userId, false)],
  ];
  it("frames every call: connect with the tokens from the environment, errors as JSON on stderr", async () => {
    await expect(buildScript(["<the call's cmdlets>"])).toMatchFileSnapshot(
      "./fixtures/connect.ps1",
    );
  });

  it.each(cases)("%s", async (name, body) => {
    await expect(`${body.join("\n")}\n`).toMatchFileSnapshot(`./fixtures/${name}.ps1`);
  });

  it("covers every call of the port", () => {
    expect(Object.keys(scriptBodies)).toHaveLength(22);
  });
});

describe("running a call", () => {
  it("passes the two tokens in the environment only, never in the script", async () => {
    const runner = fakeRunner(ok(recorded("get-csonlinepstnusage")));
    const voice = createPowerShellTeamsVoice({ microsoft, run: runner.run });
    expect(await voice.listPstnUsages(tenantId)).toEqual(["Teamgate", "Local"]);
    const [call] = runner.calls;
    expect(call!.env).toEqual({
      [tokenVariables.graph]: graphToken,
      [tokenVariables.teams]: teamsToken,
    });
    expect(call!.script).not.toContain(graphToken);
    expect(call!.script).not.toContain(teamsToken);
    expect(call!.script).toContain(
      "Connect-MicrosoftTeams -AccessTokens @($graphToken, $teamsToken) -ErrorAction Stop",
    );
  });

  it("keeps a hostile name inside its literal", async () => {
    const runner = fakeRunner(ok(""));
    const voice = createPowerShellTeamsVoice({ microsoft, run: runner.run });
    await voice.removeVoiceRoute(tenantId, "x'; Remove-CsOnlineVoiceRoute -Identity *; '");
    expect(runner.calls[0]!.script).toContain(
      "Remove-CsOnlineVoiceRoute -Identity 'x''; Remove-CsOnlineVoiceRoute -Identity *; ''' -ErrorAction Stop",
    );
  });
});

describe("parsing the cmdlets' output", () => {
  const banner = "WARNING: something the module printed first\n";

  it("reads routes, policies, dial plans, music on hold and online users", async () => {
    const runner = fakeRunner(
      ok(banner + recorded("get-csonlinevoiceroute")),
      ok(recorded("get-csonlinevoiceroutingpolicy")),
      ok(recorded("get-cstenantdialplan")),
      ok(recorded("get-csteamscallingpolicy")),
      ok(recorded("get-csonlineuser")),
      ok(recorded("get-csonlineuser-policy-objects")),
      ok('{"activation":"pending"}'),
    );
    const voice = createPowerShellTeamsVoice({ microsoft, run: runner.run });
    expect(await voice.getVoiceRoute(tenantId, "Teamgate US")).toEqual({
      identity: "Teamgate US",
      numberPattern: "^\\+1\\d{10}$",
      onlinePstnGatewayList: ["contoso.use1.sbc.example.net"],
      onlinePstnUsages: ["Teamgate"],
      priority: 1,
    });
    expect(await voice.getVoiceRoutingPolicy(tenantId, "Teamgate")).toEqual({
      identity: "Teamgate",
      onlinePstnUsages: ["Teamgate"],
      description: "Calls through Teamgate",
    });
    expect(await voice.getTenantDialPlan(tenantId, "Teamgate-NL")).toEqual({
      identity: "Teamgate-NL",
      description: "Dutch numbers",
      normalizationRules: [
        {
          name: "National",
          pattern: "^0(\\d{9})$",
          translation: "+31$1",
          isInternalExtension: false,
        },
        {
          name: "Ext",
          pattern: "^(\\d{4})$",
          translation: "+3120555$1",
          isInternalExtension: true,
          description: "Short",
        },
      ],
    });
    expect(await voice.getGlobalMusicOnHold(tenantId)).toBe("Disabled");
    expect(await voice.getOnlineUser(tenantId, "pat@contoso.example")).toEqual({
      id: userId,
      userPrincipalName: "pat@contoso.example",
      enterpriseVoiceEnabled: true,
      onlineVoiceRoutingPolicy: "Teamgate",
      tenantDialPlan: "Teamgate-NL",
      lineUri: "tel:+31205550100",
      voicemailEnabled: true,
    });
    expect(await voice.getOnlineUser(tenantId, userId)).toEqual({
      id: userId,
      userPrincipalName: "una@contoso.example",
      enterpriseVoiceEnabled: false,
      onlineVoiceRoutingPolicy: "Teamgate",
      tenantDialPlan: null,
      lineUri: null,
      voicemailEnabled: false,
    });
    expect(await voice.getDomainActivation(tenantId, "contoso.use1.sbc.example.net")).toBe(
      "pending",
    );
  });

  it("answers null when a read finds nothing, and fails on an unexpected shape", async () => {
    const runner = fakeRunner(
      ok(""),
      failed({ message: 'Management object not found for identity "nobody@contoso.example".' }),
      ok('{"Identity":"Teamgate US"}'),
      ok("not json"),
    );
    const voice = createPowerShellTeamsVoice({ microsoft, run: runner.run });
    expect(await voice.getVoiceRoutingPolicy(tenantId, "Missing")).toBeNull();
    expect(await voice.getOnlineUser(tenantId, "nobody@contoso.example")).toBeNull();
    expect((await caught(voice.getVoiceRoute(tenantId, "Teamgate US"))).code).toBe(
      "microsoft_error",
    );
    expect((await caught(voice.listPstnUsages(tenantId))).code).toBe("microsoft_error");
  });
});

describe("errors", () => {
  it("maps a derived trunk Microsoft does not serve yet to microsoft_error, with the cmdlet's words", async () => {
    const runner = fakeRunner({
      exitCode: 1,
      stdout: "",
      stderr: `${recorded("error-unknown-gateway")}\n`,
    });
    const voice = createPowerShellTeamsVoice({ microsoft, run: runner.run });
    const error = await caught(voice.createVoiceRoute(tenantId, route));
    expect(error.code).toBe("microsoft_error");
    expect(error.cause).toMatchObject({
      code: "CustomValidationFailed,Microsoft.Rtc.Management.Internal.NewOnlineVoiceRouteCmdlet",
      message: 'Cannot find specified Gateway "contoso.use1.sbc.example.net".',
    });
  });

  it.each([
    [
      "Response status code does not indicate success: 429 (Too Many Requests).",
      "microsoft_throttled",
    ],
    ["The remote server returned an error: (503) Server Unavailable.", "microsoft_unavailable"],
    ["The operation has timed out.", "microsoft_unavailable"],
    ["Access Denied. You are not authorized to perform this operation.", "microsoft_forbidden"],
    ["AADSTS7000229: The client application is missing service principal.", "microsoft_forbidden"],
    ["Policy 'Teamgate' already exists.", "conflict"],
    ['Management object not found for identity "x".', "not_found"],
    ["Something we have not seen.", "microsoft_error"],
  ])("%s → %s", (message, code) => {
    expect(mapPowerShellError({ message }).code).toBe(code);
  });

  it("keeps a correlation id and never a token in the cause", () => {
    const error = mapPowerShellError({
      message: `Unexpected answer. CorrelationId: 4f1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d token=${graphToken}`,
    });
    expect(error.cause).toMatchObject({ requestId: "4f1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" });
    expect(JSON.stringify(error.cause)).not.toContain(graphToken);
  });

  it("is microsoft_unavailable when pwsh times out, unavailable when it cannot start", async () => {
    const slow = createPowerShellTeamsVoice({
      microsoft,
      run: async () => ({ exitCode: null, stdout: "", stderr: "", timedOut: true }),
    });
    expect((await caught(slow.listPstnUsages(tenantId))).code).toBe("microsoft_unavailable");
    const missing = createPowerShellTeamsVoice({
      microsoft,
      run: async () => {
        throw Object.assign(new Error("spawn pwsh ENOENT"), { code: "ENOENT" });
      },
    });
    expect((await caught(missing.listPstnUsages(tenantId))).code).toBe("unavailable");
  });

  it("reads a failure that is not our JSON as microsoft_error", async () => {
    const voice = createPowerShellTeamsVoice({
      microsoft,
      run: async () => ({ exitCode: 1, stdout: "", stderr: "Fatal error. Internal CLR error.\n" }),
    });
    const error = await caught(voice.listPstnUsages(tenantId));
    expect(error.code).toBe("microsoft_error");
    expect(error.cause).toMatchObject({ message: "Fatal error. Internal CLR error." });
  });

  it("is unavailable, never 'not found', when the MicrosoftTeams module is missing", async () => {
    const runner = fakeRunner(
      failed({
        message:
          "The specified module 'MicrosoftTeams' was not loaded because no valid module file was found in any module directory.",
        type: "System.IO.FileNotFoundException",
        category: "ResourceUnavailable",
        errorId: "Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand",
      }),
    );
    const voice = createPowerShellTeamsVoice({ microsoft, run: runner.run });
    expect((await caught(voice.getOnlineUser(tenantId, userId))).code).toBe("unavailable");
  });
});

describe("spawnPowerShell", () => {
  const dir = mkdtempSync(join(tmpdir(), "teamgate-pwsh-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fake = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };

  it("runs with pwsh's arguments, the script on stdin, and only the given environment", async () => {
    const path = fake(
      "pwsh-echo",
      'echo "args:$*"; cat; echo "graph:$TEAMGATE_GRAPH_TOKEN"; echo "home:$HOME" >&2',
    );
    const run = spawnPowerShell({ path, baseEnv: { PATH: "/usr/bin:/bin" } });
    const result = await run("Write-Output 'Zürich'\n", { TEAMGATE_GRAPH_TOKEN: "t0k3n" });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      "args:-NoLogo -NoProfile -NonInteractive -Command -\nWrite-Output 'Zürich'\ngraph:t0k3n\n",
    );
    // HOME is set for this test process but not passed on: the child sees only what it is given.
    expect(result.stderr).toBe("home:\n");
  });

  it("stops a run that takes too long", async () => {
    const run = spawnPowerShell({
      path: fake("pwsh-slow", "sleep 5"),
      baseEnv: { PATH: "/usr/bin:/bin" },
      timeoutMs: 100,
    });
    expect((await run("", {})).timedOut).toBe(true);
  });
});
