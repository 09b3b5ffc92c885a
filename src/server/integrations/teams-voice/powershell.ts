import { spawn } from "node:child_process";
import { z } from "zod";
import { AppError } from "../../lib/errors.ts";
import type { Microsoft } from "../microsoft/port.ts";
import {
  type MusicOnHold,
  type NormalizationRule,
  type OnlineUser,
  type TeamsVoice,
  type TenantDialPlan,
  teamsAdminApiScope,
  type VoiceRoute,
  type VoiceRoutingPolicy,
} from "./port.ts";

/** What one `pwsh` run produced. */
export interface PowerShellResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The run was stopped for taking longer than allowed. */
  timedOut?: boolean;
}

/**
 * Runs one script: `script` on the child's stdin, `env` as its whole environment (the access
 * tokens travel here, never in the script or its arguments). Injectable so tests replay outputs.
 */
export type PowerShellRunner = (
  script: string,
  env: Record<string, string>,
) => Promise<PowerShellResult>;

/** The environment variables the scripts read the two access tokens from. */
export const tokenVariables = {
  graph: "TEAMGATE_GRAPH_TOKEN",
  teams: "TEAMGATE_TEAMS_TOKEN",
} as const;

const maxOutputBytes = 4 * 1024 * 1024;

/**
 * A runner that spawns `pwsh -NoLogo -NoProfile -NonInteractive -Command -` and writes the
 * script to its stdin. `baseEnv` (PATH, HOME, PSModulePath…) plus the call's variables are the
 * child's whole environment, so none of the platform's own secrets reach it. A run longer than
 * `timeoutMs` is killed.
 */
export function spawnPowerShell(options: {
  path: string;
  baseEnv: Record<string, string>;
  timeoutMs?: number;
}): PowerShellRunner {
  const timeoutMs = options.timeoutMs ?? 180_000;
  return (script, env) =>
    new Promise((resolve, reject) => {
      // Its own process group on POSIX, so a timeout ends pwsh and anything it started.
      const group = process.platform !== "win32";
      const child = spawn(
        options.path,
        ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"],
        {
          env: { ...options.baseEnv, POWERSHELL_TELEMETRY_OPTOUT: "1", ...env },
          stdio: ["pipe", "pipe", "pipe"],
          windowsHide: true,
          detached: group,
        },
      );
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let size = 0;
      let settled = false;
      const settle = (result: PowerShellResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxOutputBytes) into.push(chunk);
      };
      child.stdout.on("data", collect(stdout));
      child.stderr.on("data", collect(stderr));
      const timer = setTimeout(() => {
        try {
          if (group && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
          else child.kill("SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
        settle({ exitCode: null, stdout: "", stderr: "", timedOut: true });
      }, timeoutMs);
      child.on("error", (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      });
      child.on("close", (exitCode) => {
        settle({
          exitCode,
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
        });
      });
      child.stdin.on("error", () => {});
      child.stdin.end(script, "utf8");
    });
}

/**
 * A PowerShell single-quoted string literal of `value`: nothing inside is expanded (`$`, backticks,
 * newlines stay literal). PowerShell ends such a string at any of five quote characters (' and
 * the typographic ‘ ’ ‚ ‛), so each is doubled; NUL cannot be passed and is refused.
 */
export function psQuote(value: string): string {
  if (value.includes("\0"))
    throw new AppError("validation_failed", "A NUL character cannot be passed to PowerShell");
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}

/** `@('a', 'b')`: a PowerShell array of quoted strings. */
function psArray(values: readonly string[]): string {
  return `@(${values.map(psQuote).join(", ")})`;
}

const psBool = (value: boolean) => (value ? "$true" : "$false");

/** `-Name value` pairs, leaving out the ones whose value is undefined. */
function params(pairs: [string, string | undefined][]): string {
  return pairs
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(([name, value]) => ` -${name} ${value}`)
    .join("");
}

const json = "ConvertTo-Json -Depth 5 -Compress";

/**
 * The whole script of one call: connect with the two tokens from the environment, run `body`
 * (which writes at most one line of JSON), and on any failure write the error as JSON on stderr
 * and exit 1. `-Command -` reads stdin like an interactive session, so the script ends with a
 * blank line to close the last block.
 */
export function buildScript(body: string[]): string {
  return [
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    "$WarningPreference = 'SilentlyContinue'",
    "$InformationPreference = 'SilentlyContinue'",
    "[Console]::OutputEncoding = [System.Text.Encoding]::UTF8",
    "try {",
    "  Import-Module MicrosoftTeams -ErrorAction Stop",
    `  $graphToken = $env:${tokenVariables.graph}`,
    `  $teamsToken = $env:${tokenVariables.teams}`,
    "  Connect-MicrosoftTeams -AccessTokens @($graphToken, $teamsToken) -ErrorAction Stop | Out-Null",
    ...body.map((line) => `  ${line}`),
    "} catch {",
    "  $failure = [ordered]@{",
    "    message = $_.Exception.Message",
    "    type = $_.Exception.GetType().FullName",
    "    category = [string]$_.CategoryInfo.Category",
    "    errorId = [string]$_.FullyQualifiedErrorId",
    "  }",
    "  [Console]::Error.WriteLine(($failure | ConvertTo-Json -Compress))",
    "  exit 1",
    "}",
    "",
    "",
  ].join("\n");
}

const routeFields =
  "Identity, NumberPattern, OnlinePstnGatewayList, OnlinePstnUsages, Priority, Description";
const policyFields = "Identity, OnlinePstnUsages, Description";
const dialPlanFields = "Identity, Description, NormalizationRules";
const userFields =
  "Identity, UserPrincipalName, EnterpriseVoiceEnabled, LineUri, OnlineVoiceRoutingPolicy, TenantDialPlan";

const quoted = (value: string | undefined) => (value === undefined ? undefined : psQuote(value));

/** `<cmdlet> -Identity '<identity>' … -ErrorAction Stop`, its output discarded. */
const write = (cmdlet: string, identity: string, rest = "") =>
  `${cmdlet} -Identity ${psQuote(identity)}${rest} -ErrorAction Stop | Out-Null`;

/** `Get-<noun> -Identity '<identity>'` as JSON: what a create or set reads back. */
const readBack = (noun: string, identity: string, fields: string) =>
  `Get-${noun} -Identity ${psQuote(identity)} -ErrorAction Stop | Select-Object ${fields} | ${json}`;

/**
 * The object of kind `noun` named `identity`, or nothing (no error when absent). Policies and dial
 * plans name themselves `Tag:<name>`.
 */
const find = (noun: string, identity: string, tagged = false) =>
  `Get-${noun} -ErrorAction Stop | Where-Object { $_.Identity -eq ${psQuote(tagged ? `Tag:${identity}` : identity)} }`;

/** Removes the object when it is there: absent is done. */
const removeIfFound = (noun: string, identity: string, tagged = false) => [
  `if (${find(noun, identity, tagged)}) {`,
  `  Remove-${noun} -Identity ${psQuote(identity)} -ErrorAction Stop`,
  "}",
];

/** Adds or removes a usage of the global list, only when that changes it. */
const changeUsage = (usage: string, change: "Add" | "Remove") => [
  "$usages = @((Get-CsOnlinePstnUsage -Identity Global -ErrorAction Stop).Usage)",
  `if ($usages ${change === "Add" ? "-notcontains" : "-contains"} ${psQuote(usage)}) {`,
  `  Set-CsOnlinePstnUsage -Identity Global -Usage @{${change}=${psQuote(usage)}} -ErrorAction Stop | Out-Null`,
  "}",
];

function routeParams(route: VoiceRoute, replace: boolean): string {
  const list = (values: string[]) => (values.length > 0 || replace ? psArray(values) : undefined);
  return params([
    ["NumberPattern", psQuote(route.numberPattern)],
    ["OnlinePstnGatewayList", list(route.onlinePstnGatewayList)],
    ["OnlinePstnUsages", list(route.onlinePstnUsages)],
    ["Priority", String(Math.trunc(route.priority))],
    ["Description", quoted(route.description)],
  ]);
}

function policyParams(policy: VoiceRoutingPolicy, replace: boolean): string {
  const usages = policy.onlinePstnUsages;
  return params([
    ["OnlinePstnUsages", usages.length > 0 || replace ? psArray(usages) : undefined],
    ["Description", quoted(policy.description)],
  ]);
}

/** `$rules = @(…)`: the plan's normalization rules built in memory (New-CsVoiceNormalizationRule -InMemory). */
function rulesVariable(rules: NormalizationRule[]): string[] {
  if (rules.length === 0) return ["$rules = @()"];
  return [
    "$rules = @(",
    ...rules.map(
      (r) =>
        `  (New-CsVoiceNormalizationRule -Parent Global -Name ${psQuote(r.name)} -Pattern ${psQuote(r.pattern)} -Translation ${psQuote(r.translation)}${params([["Description", quoted(r.description)]])} -IsInternalExtension ${psBool(r.isInternalExtension ?? false)} -InMemory -ErrorAction Stop)`,
    ),
    ")",
  ];
}

/**
 * The script body of each call, as `Connect-MicrosoftTeams` then the cmdlets of Microsoft's Direct
 * Routing documentation. Every value is a single-quoted literal (`psQuote`).
 */
export const scriptBodies = {
  listPstnUsages: () => [
    `Get-CsOnlinePstnUsage -Identity Global -ErrorAction Stop | Select-Object Identity, Usage | ${json}`,
  ],
  addPstnUsage: (usage: string) => changeUsage(usage, "Add"),
  removePstnUsage: (usage: string) => changeUsage(usage, "Remove"),
  getVoiceRoute: (identity: string) => [
    `${find("CsOnlineVoiceRoute", identity)} | Select-Object ${routeFields} | ${json}`,
  ],
  createVoiceRoute: (route: VoiceRoute) => [
    write("New-CsOnlineVoiceRoute", route.identity, routeParams(route, false)),
    readBack("CsOnlineVoiceRoute", route.identity, routeFields),
  ],
  setVoiceRoute: (route: VoiceRoute) => [
    write("Set-CsOnlineVoiceRoute", route.identity, routeParams(route, true)),
    readBack("CsOnlineVoiceRoute", route.identity, routeFields),
  ],
  removeVoiceRoute: (identity: string) => removeIfFound("CsOnlineVoiceRoute", identity),
  getVoiceRoutingPolicy: (identity: string) => [
    `${find("CsOnlineVoiceRoutingPolicy", identity, true)} | Select-Object ${policyFields} | ${json}`,
  ],
  createVoiceRoutingPolicy: (policy: VoiceRoutingPolicy) => [
    write("New-CsOnlineVoiceRoutingPolicy", policy.identity, policyParams(policy, false)),
    readBack("CsOnlineVoiceRoutingPolicy", policy.identity, policyFields),
  ],
  setVoiceRoutingPolicy: (policy: VoiceRoutingPolicy) => [
    write("Set-CsOnlineVoiceRoutingPolicy", policy.identity, policyParams(policy, true)),
    readBack("CsOnlineVoiceRoutingPolicy", policy.identity, policyFields),
  ],
  removeVoiceRoutingPolicy: (identity: string) =>
    removeIfFound("CsOnlineVoiceRoutingPolicy", identity, true),
  getTenantDialPlan: (identity: string) => [
    `${find("CsTenantDialPlan", identity, true)} | Select-Object ${dialPlanFields} | ${json}`,
  ],
  createTenantDialPlan: (plan: TenantDialPlan) => [
    ...rulesVariable(plan.normalizationRules),
    write(
      "New-CsTenantDialPlan",
      plan.identity,
      params([
        ["NormalizationRules", plan.normalizationRules.length > 0 ? "@{Add=$rules}" : undefined],
        ["Description", quoted(plan.description)],
      ]),
    ),
    readBack("CsTenantDialPlan", plan.identity, dialPlanFields),
  ],
  setTenantDialPlan: (plan: TenantDialPlan) => [
    ...rulesVariable(plan.normalizationRules),
    write(
      "Set-CsTenantDialPlan",
      plan.identity,
      params([
        ["NormalizationRules", "$rules"],
        ["Description", quoted(plan.description)],
      ]),
    ),
    readBack("CsTenantDialPlan", plan.identity, dialPlanFields),
  ],
  removeTenantDialPlan: (identity: string) => removeIfFound("CsTenantDialPlan", identity, true),
  getGlobalMusicOnHold: () => [
    `Get-CsTeamsCallingPolicy -Identity Global -ErrorAction Stop | Select-Object Identity, MusicOnHoldEnabledType | ${json}`,
  ],
  setGlobalMusicOnHold: (value: MusicOnHold) => [
    write("Set-CsTeamsCallingPolicy", "Global", ` -MusicOnHoldEnabledType ${psQuote(value)}`),
  ],
  /**
   * Microsoft offers no cmdlet that reads a derived trunk's activation; the service refuses a voice
   * route naming a trunk it does not serve yet ("Cannot find specified Gateway"). So a probe
   * route that no number matches (`^$`, no usages, so no policy reaches it) is created and removed
   * at once: created means active, that refusal means pending.
   */
  getDomainActivation: (fqdn: string) => [
    `$probe = ${psQuote(`teamgate-activation-probe-${fqdn}`)}`,
    "if (Get-CsOnlineVoiceRoute -ErrorAction Stop | Where-Object { $_.Identity -eq $probe }) {",
    "  Remove-CsOnlineVoiceRoute -Identity $probe -ErrorAction Stop",
    "}",
    "$activation = 'active'",
    "try {",
    `  New-CsOnlineVoiceRoute -Identity $probe -NumberPattern '^$' -OnlinePstnGatewayList ${psArray([fqdn])} -Description 'Teamgate checks that Microsoft serves this derived trunk; removed at once.' -ErrorAction Stop | Out-Null`,
    "} catch {",
    "  if ($_.Exception.Message -notlike 'Cannot find specified Gateway*') { throw }",
    "  $activation = 'pending'",
    "}",
    "if ($activation -eq 'active') {",
    "  Remove-CsOnlineVoiceRoute -Identity $probe -ErrorAction Stop",
    "}",
    `[ordered]@{ activation = $activation } | ${json}`,
  ],
  grantVoiceRoutingPolicy: (userId: string, policy: string | null) => [
    write(
      "Grant-CsOnlineVoiceRoutingPolicy",
      userId,
      ` -PolicyName ${policy === null ? "$null" : psQuote(policy)}`,
    ),
  ],
  grantTenantDialPlan: (userId: string, plan: string | null) => [
    write(
      "Grant-CsTenantDialPlan",
      userId,
      ` -PolicyName ${plan === null ? "$null" : psQuote(plan)}`,
    ),
  ],
  setVoicemailEnabled: (userId: string, enabled: boolean) => [
    write("Set-CsOnlineVoicemailUserSettings", userId, ` -VoicemailEnabled ${psBool(enabled)}`),
  ],
  // Get-CsOnlineUser does not carry voicemail: its settings are read alongside and added.
  getOnlineUser: (userId: string) => [
    `$user = Get-CsOnlineUser -Identity ${psQuote(userId)} -ErrorAction Stop`,
    `$voicemail = Get-CsOnlineVoicemailUserSettings -Identity ${psQuote(userId)} -ErrorAction Stop`,
    `$user | Select-Object ${userFields}, @{ Name = 'VoicemailEnabled'; Expression = { [bool]$voicemail.VoicemailEnabled } } | ${json}`,
  ],
} satisfies Record<Exclude<keyof TeamsVoice, "kind" | "close">, (...args: never[]) => string[]>;

// ---- Output: the cmdlets' JSON, as ConvertTo-Json writes it ----------------------------------

/** A list property: ConvertTo-Json writes a collection as an array, a missing one as null. */
const list = z
  .union([z.array(z.string()), z.string(), z.null(), z.undefined()])
  .transform((v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]));
const text = z.union([z.string(), z.null(), z.undefined()]).transform((v) => (v ? v : undefined));
/** `Tag:Name` (how policies and dial plans name themselves) → `Name`. */
const tagged = z.string().transform((v) => v.replace(/^Tag:/i, ""));
/** A granted policy: its name, or an object with `Name`, or null for the global default. */
const policyName = z
  .union([
    z.string(),
    z.object({ Name: z.string().nullish() }).passthrough(),
    z.null(),
    z.undefined(),
  ])
  .transform((v) => {
    const name = typeof v === "string" ? v : (v?.Name ?? null);
    return name ? name.replace(/^Tag:/i, "") : null;
  });

const UsagesOutput = z.object({ Usage: list });
const RouteOutput = z.object({
  Identity: z.string(),
  NumberPattern: z.string(),
  OnlinePstnGatewayList: list,
  OnlinePstnUsages: list,
  Priority: z.number().int(),
  Description: text,
});
const PolicyOutput = z.object({ Identity: tagged, OnlinePstnUsages: list, Description: text });
const RuleOutput = z.object({
  Name: z.string(),
  Pattern: z.string(),
  Translation: z.string(),
  Description: text,
  IsInternalExtension: z.boolean().nullish(),
});
const DialPlanOutput = z.object({
  Identity: tagged,
  Description: text,
  NormalizationRules: z
    .union([z.array(RuleOutput), RuleOutput, z.null()])
    .transform((v) => (v === null ? [] : Array.isArray(v) ? v : [v])),
});
const MusicOnHoldOutput = z.object({
  MusicOnHoldEnabledType: z.enum(["Enabled", "Disabled", "UserOverride"]),
});
const ActivationOutput = z.object({ activation: z.enum(["active", "pending"]) });
const UserOutput = z.object({
  Identity: z.string(),
  UserPrincipalName: z.string(),
  EnterpriseVoiceEnabled: z.boolean().nullish(),
  LineUri: z.string().nullish(),
  OnlineVoiceRoutingPolicy: policyName,
  TenantDialPlan: policyName,
  VoicemailEnabled: z.boolean(),
});

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The port's types from the cmdlets' JSON output; a shape we do not expect is `microsoft_error`. */
export const parseOutput = {
  pstnUsages: (value: unknown): string[] => parse(UsagesOutput, value).Usage,
  voiceRoute: (value: unknown): VoiceRoute => {
    const r = parse(RouteOutput, value);
    return {
      identity: r.Identity,
      numberPattern: r.NumberPattern,
      onlinePstnGatewayList: r.OnlinePstnGatewayList,
      onlinePstnUsages: r.OnlinePstnUsages,
      priority: r.Priority,
      ...(r.Description ? { description: r.Description } : {}),
    };
  },
  voiceRoutingPolicy: (value: unknown): VoiceRoutingPolicy => {
    const p = parse(PolicyOutput, value);
    return {
      identity: p.Identity,
      onlinePstnUsages: p.OnlinePstnUsages,
      ...(p.Description ? { description: p.Description } : {}),
    };
  },
  tenantDialPlan: (value: unknown): TenantDialPlan => {
    const d = parse(DialPlanOutput, value);
    return {
      identity: d.Identity,
      normalizationRules: d.NormalizationRules.map((r) => ({
        name: r.Name,
        pattern: r.Pattern,
        translation: r.Translation,
        isInternalExtension: r.IsInternalExtension ?? false,
        ...(r.Description ? { description: r.Description } : {}),
      })),
      ...(d.Description ? { description: d.Description } : {}),
    };
  },
  musicOnHold: (value: unknown): MusicOnHold =>
    parse(MusicOnHoldOutput, value).MusicOnHoldEnabledType,
  activation: (value: unknown): "active" | "pending" => parse(ActivationOutput, value).activation,
  onlineUser: (value: unknown, requestedId: string): OnlineUser => {
    const u = parse(UserOutput, value);
    return {
      // Teams PowerShell 3.0+ gives the object id as Identity; older versions a distinguished name.
      id: guid.test(u.Identity) ? u.Identity.toLowerCase() : requestedId,
      userPrincipalName: u.UserPrincipalName,
      enterpriseVoiceEnabled: u.EnterpriseVoiceEnabled ?? false,
      onlineVoiceRoutingPolicy: u.OnlineVoiceRoutingPolicy,
      tenantDialPlan: u.TenantDialPlan,
      lineUri: u.LineUri ? u.LineUri : null,
      voicemailEnabled: u.VoicemailEnabled,
    };
  },
};

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new AppError("microsoft_error", "Teams PowerShell answered in an unexpected shape", {
      cause: { code: "unexpected_output", message: result.error.message.slice(0, 500) },
    });
  return result.data;
}

// ---- Errors ----------------------------------------------------------------------------------

/** An error as the scripts' catch block writes it (`$_` of the failing cmdlet). */
export interface PowerShellFailure {
  message: string;
  type?: string;
  category?: string;
  errorId?: string;
}

/** Access tokens never appear in causes or logs, even if a message quoted one. */
function redact(text: string): string {
  return text.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, "[token]").slice(0, 500);
}

/**
 * Maps a cmdlet's failure to the codes the Graph client uses: throttled and unavailable are
 * transient; a missing module or cmdlet is `unavailable`; a missing role is `microsoft_forbidden`; an existing name `conflict`; a missing
 * object `not_found`; a gateway Microsoft does not serve (yet), and anything else,
 * `microsoft_error`. The cause keeps the cmdlet's words and any correlation id.
 */
export function mapPowerShellError(failure: PowerShellFailure): AppError {
  const message = redact(failure.message);
  const all = `${message} ${failure.errorId ?? ""} ${failure.category ?? ""}`;
  const cause = {
    code: failure.errorId || failure.category || undefined,
    message,
    type: failure.type,
    requestId: message.match(/correlation ?id\W{0,3}([0-9a-f]{8}-[0-9a-f-]{27})/i)?.[1],
  };
  // The module or one of its cmdlets is missing on this host: the platform is misconfigured.
  if (/Modules_ModuleNotFound|CommandNotFoundException/i.test(`${all} ${failure.type ?? ""}`))
    return new AppError(
      "unavailable",
      "Teams PowerShell cannot run here: install the MicrosoftTeams module (docs/direct-routing.md)",
      { cause },
    );
  if (/\b429\b|too ?many ?requests|throttl/i.test(all))
    return new AppError("microsoft_throttled", "Microsoft is busy; try again shortly", {
      cause,
      headers: { "retry-after": "30" },
    });
  if (
    /\b50[0234]\b|service ?unavailable|temporarily unavailable|timed? ?out|gateway timeout/i.test(
      all,
    )
  )
    return new AppError("microsoft_unavailable", "Microsoft is unavailable right now", { cause });
  if (/Cannot find specified Gateway/i.test(message))
    return new AppError(
      "microsoft_error",
      "Microsoft does not serve this derived trunk for the tenant (yet)",
      {
        cause,
      },
    );
  if (
    /\b40[13]\b|unauthori[sz]ed|forbidden|access (is )?denied|not authori[sz]ed|insufficient privileges|AADSTS\d+/i.test(
      all,
    )
  )
    return new AppError(
      "microsoft_forbidden",
      "Microsoft refused: the application lacks the Teams Administrator role in this tenant",
      { cause },
    );
  if (/already exists|duplicate|\b409\b|conflict/i.test(all))
    return new AppError("conflict", "An object with this name exists in Microsoft Teams", {
      cause,
    });
  if (/not found|does not exist|cannot find|couldn't find|\b404\b/i.test(all))
    return new AppError("not_found", "Not found in Microsoft Teams", { cause });
  return new AppError("microsoft_error", "Teams PowerShell answered with an error", { cause });
}

/** stdout's last JSON line (cmdlets may print banners first); undefined when the call prints nothing. */
function outputOf(stdout: string): unknown {
  const lines = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  try {
    return JSON.parse(last);
  } catch {
    throw new AppError("microsoft_error", "Teams PowerShell answered in an unexpected shape", {
      cause: { code: "unexpected_output", message: redact(last) },
    });
  }
}

/** The value a run produced, or the `AppError` its failure maps to. */
export function resultOf(result: PowerShellResult): unknown {
  if (result.timedOut)
    throw new AppError("microsoft_unavailable", "Teams PowerShell did not answer in time", {
      cause: { code: "timeout" },
    });
  if (result.exitCode === 0) return outputOf(result.stdout);
  const line = result.stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith("{"))
    .at(-1);
  let failure: PowerShellFailure = {
    message: result.stderr.trim() || `pwsh exited with ${String(result.exitCode)}`,
  };
  if (line) {
    try {
      const parsed = JSON.parse(line) as Partial<PowerShellFailure>;
      if (typeof parsed.message === "string") failure = parsed as PowerShellFailure;
    } catch {
      // Not our catch block's JSON: keep the raw text.
    }
  }
  throw mapPowerShellError(failure);
}

/**
 * The Teams voice port over Teams PowerShell: each call runs one script that connects with the
 * application's Graph and Teams admin API tokens (app-only, from the Microsoft port) and runs the
 * cmdlets Microsoft documents for Direct Routing. Tokens reach the script through the child's
 * environment only.
 */
export function createPowerShellTeamsVoice(options: {
  microsoft: Pick<Microsoft, "acquireAppToken">;
  run: PowerShellRunner;
}): TeamsVoice {
  async function run(tenantId: string, body: string[]): Promise<unknown> {
    const [graphToken, teamsToken] = await Promise.all([
      options.microsoft.acquireAppToken(tenantId),
      options.microsoft.acquireAppToken(tenantId, { scope: teamsAdminApiScope }),
    ]);
    let result: PowerShellResult;
    try {
      result = await options.run(buildScript(body), {
        [tokenVariables.graph]: graphToken,
        [tokenVariables.teams]: teamsToken,
      });
    } catch (error) {
      throw new AppError("unavailable", "Teams PowerShell (pwsh) could not be started", {
        cause: { code: (error as NodeJS.ErrnoException).code, message: (error as Error).message },
      });
    }
    return resultOf(result);
  }

  /** A read that answers null when the object is not there. */
  async function find<T>(
    tenantId: string,
    body: string[],
    read: (v: unknown) => T,
  ): Promise<T | null> {
    try {
      const value = await run(tenantId, body);
      return value === undefined || value === null ? null : read(value);
    } catch (error) {
      if (error instanceof AppError && error.code === "not_found") return null;
      throw error;
    }
  }

  /** A call whose only result is its effect. */
  const effect =
    <A extends unknown[]>(build: (...args: A) => string[]) =>
    async (tenantId: string, ...args: A): Promise<void> => {
      await run(tenantId, build(...args));
    };
  /** A call that returns what the script printed, parsed into the port's type. */
  const read =
    <A extends unknown[], R>(build: (...args: A) => string[], parseValue: (v: unknown) => R) =>
    async (tenantId: string, ...args: A): Promise<R> =>
      parseValue(await run(tenantId, build(...args)));
  /** A read that answers null when there is nothing. */
  const lookup =
    <R>(build: (key: string) => string[], parseValue: (v: unknown, key: string) => R) =>
    (tenantId: string, key: string): Promise<R | null> =>
      find(tenantId, build(key), (v) => parseValue(v, key));

  const s = scriptBodies;
  return {
    kind: "powershell",
    listPstnUsages: read(s.listPstnUsages, parseOutput.pstnUsages),
    addPstnUsage: effect(s.addPstnUsage),
    removePstnUsage: effect(s.removePstnUsage),
    getVoiceRoute: lookup(s.getVoiceRoute, parseOutput.voiceRoute),
    createVoiceRoute: read(s.createVoiceRoute, parseOutput.voiceRoute),
    setVoiceRoute: read(s.setVoiceRoute, parseOutput.voiceRoute),
    removeVoiceRoute: effect(s.removeVoiceRoute),
    getVoiceRoutingPolicy: lookup(s.getVoiceRoutingPolicy, parseOutput.voiceRoutingPolicy),
    createVoiceRoutingPolicy: read(s.createVoiceRoutingPolicy, parseOutput.voiceRoutingPolicy),
    setVoiceRoutingPolicy: read(s.setVoiceRoutingPolicy, parseOutput.voiceRoutingPolicy),
    removeVoiceRoutingPolicy: effect(s.removeVoiceRoutingPolicy),
    getTenantDialPlan: lookup(s.getTenantDialPlan, parseOutput.tenantDialPlan),
    createTenantDialPlan: read(s.createTenantDialPlan, parseOutput.tenantDialPlan),
    setTenantDialPlan: read(s.setTenantDialPlan, parseOutput.tenantDialPlan),
    removeTenantDialPlan: effect(s.removeTenantDialPlan),
    getGlobalMusicOnHold: read(s.getGlobalMusicOnHold, parseOutput.musicOnHold),
    setGlobalMusicOnHold: effect(s.setGlobalMusicOnHold),
    getDomainActivation: read(s.getDomainActivation, parseOutput.activation),
    grantVoiceRoutingPolicy: effect(s.grantVoiceRoutingPolicy),
    grantTenantDialPlan: effect(s.grantTenantDialPlan),
    setVoicemailEnabled: effect(s.setVoicemailEnabled),
    getOnlineUser: lookup(s.getOnlineUser, parseOutput.onlineUser),
    close: async () => {},
  };
}
