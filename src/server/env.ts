import { isIP } from "node:net";
import { z } from "zod";
import { isDnsName } from "./integrations/dns/records.ts";

const stripTrailingSlashes = (url: string) => url.replace(/\/+$/, "");

/** The TSIG algorithms `nsupdate` signs with (DNS_TSIG_ALGORITHM). */
export const tsigAlgorithms = [
  "hmac-sha256",
  "hmac-sha384",
  "hmac-sha512",
  "hmac-sha224",
  "hmac-sha1",
  "hmac-md5",
] as const;

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** Every variable Teamgate reads; `.env.example` documents each one. */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number({ error: "Must be a whole number" }).int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.url().optional(),
  TRUST_PROXY: bool.default(false),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "Must be a postgres:// URL")
    .optional(),
  DATA_DIR: z.string().default("./data"),
  APP_SECRET: z.string().min(32, "Must be at least 32 characters").optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "Must be an smtp:// or smtps:// URL")
    .optional(),
  MAIL_FROM: z.string().default("Teamgate <no-reply@teamgate.localhost>"),
  MAIL_CAPTURE_PORT: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(0)
    .max(65535)
    .default(2525),
  MAIL_INBOX_PORT: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(0)
    .max(65535)
    .default(2526),
  EMULATOR_LOGIN_PORT: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(0)
    .max(65535)
    .default(4431),
  EMULATOR_GRAPH_PORT: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(0)
    .max(65535)
    .default(4432),
  DEMO_PBX_SIP_PORT: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(1)
    .max(65535)
    .default(5070),
  DEMO_PBX_RPC_PORT: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(1)
    .max(65535)
    .default(5071),
  LOCAL_GATEWAY_SIP_PORT: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(1)
    .max(65535)
    .default(5080),
  LOCAL_GATEWAY_RPC_PORT: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(1)
    .max(65535)
    .default(5081),
  LOCAL_GATEWAY_HEP_PORT: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(1)
    .max(65535)
    .default(9060),
  SESSION_RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(1)
    .default(600),
  SESSION_TTL_HOURS: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(1)
    .max(720)
    .default(12),
  INVITATION_TTL_DAYS: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(1)
    .max(90)
    .default(7),
  LOGIN_MAX_FAILURES: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(1)
    .max(100)
    .default(5),
  LOGIN_LOCK_MINUTES: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(1)
    .max(1440)
    .default(15),
  /** How long a gateway node holds a device's registration lease without renewing it (ADR 0019). */
  GATEWAY_LEASE_SECONDS: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(5)
    .max(3600)
    .default(30),
  /** How often the scheduler syncs each registered enterprise's users from Microsoft. */
  USER_SYNC_INTERVAL_MINUTES: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(5)
    .max(10080)
    .default(60),
  // Microsoft: one multi-tenant Entra application. Without MS_CLIENT_ID and MS_CLIENT_SECRET the
  // Microsoft integration is disabled. The bases point at Microsoft or at the emulator.
  MS_CLIENT_ID: z.string().min(1).optional(),
  MS_CLIENT_SECRET: z.string().min(1).optional(),
  MS_LOGIN_BASE: z
    .url({ protocol: /^https$/, error: "Must be an https:// URL" })
    .default("https://login.microsoftonline.com")
    .transform(stripTrailingSlashes),
  MS_GRAPH_BASE: z
    .url({ protocol: /^https$/, error: "Must be an https:// URL" })
    .default("https://graph.microsoft.com")
    .transform(stripTrailingSlashes),
  /** Graph's resource identifier, the prefix of its scopes (`…/.default`); not a URL we call. */
  MS_GRAPH_RESOURCE: z
    .url({ protocol: /^https$/, error: "Must be an https:// URL" })
    .default("https://graph.microsoft.com")
    .transform(stripTrailingSlashes),
  /** Hosts (host[:port]) msal trusts as authorities; default: the host of MS_LOGIN_BASE. */
  MS_KNOWN_AUTHORITIES: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((h) => h.trim())
        .filter(Boolean),
    ),
  /** A PEM file of extra certificate authorities to trust for the two bases (the emulator's CA). */
  MS_CA_FILE: z.string().min(1).optional(),
  MS_REDIRECT_PATH: z.string().startsWith("/").default("/api/v1/microsoft/callback"),
  /**
   * How Teamgate manages Teams voice objects in customer tenants: `powershell` (pwsh with the
   * MicrosoftTeams module) or `emulator` (the emulator's Teams voice origin). Default: `emulator`
   * when the platform talks to the bundled emulator, `powershell` otherwise.
   */
  TEAMS_VOICE_ADAPTER: z.enum(["emulator", "powershell"]).optional(),
  /** The PowerShell 7 executable the `powershell` adapter runs. */
  TEAMS_POWERSHELL_PATH: z.string().min(1).default("pwsh"),
  MS_ADMIN_CONSENT_REDIRECT_PATH: z
    .string()
    .startsWith("/")
    .default("/api/v1/microsoft/admin-consent/callback"),
  // DNS for the derived trunk domains (docs/direct-routing.md): the Microsoft emulator's DNS, or
  // dynamic updates (RFC 2136) signed with a TSIG key to the operator's authoritative server.
  DNS_ADAPTER: z.enum(["emulator", "rfc2136"]).default("emulator"),
  /** The emulator's login origin, where its control API is; set by `teamgate start` when it runs one. */
  DNS_EMULATOR_URL: z
    .url({ protocol: /^https$/, error: "Must be an https:// URL" })
    .optional()
    .transform((v) => (v === undefined ? v : stripTrailingSlashes(v))),
  /** A PEM file of the emulator's CA, trusted for DNS_EMULATOR_URL only. */
  DNS_EMULATOR_CA_FILE: z.string().min(1).optional(),
  /** The emulator's control token (an emulator off loopback requires one). */
  DNS_EMULATOR_CONTROL_TOKEN: z.string().min(1).optional(),
  DNS_RFC2136_SERVER: z
    .string()
    .refine((v) => isIP(v) !== 0 || isDnsName(v), "Must be a host name or an IP address")
    .optional(),
  DNS_RFC2136_PORT: z.coerce
    .number({ error: "Must be a whole number" })
    .int()
    .min(1)
    .max(65535)
    .default(53),
  /** The zone to update; unset: nsupdate asks the server for the zone of each name. */
  DNS_RFC2136_ZONE: z
    .string()
    .refine(isDnsName, "Must be a DNS name, e.g. sbc.example.net")
    .optional()
    .transform((v) => v?.replace(/\.$/, "")),
  DNS_TSIG_KEY_NAME: z
    .string()
    .refine(isDnsName, "Must be a DNS name, e.g. teamgate-update")
    .optional(),
  DNS_TSIG_ALGORITHM: z.enum(tsigAlgorithms).default("hmac-sha256"),
  /** The TSIG key's secret (base64), as `tsig-keygen` prints it. Never logged. */
  DNS_TSIG_SECRET: z
    .string()
    .regex(
      /^(?=.)(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
      "Must be base64, as tsig-keygen prints it",
    )
    .optional(),
});

export type Env = z.infer<typeof EnvSchema>;

/** Parses an environment; returns every problem at once rather than the first. */
export function parseEnv(
  source: Record<string, string | undefined>,
): { ok: true; env: Env } | { ok: false; problems: string[] } {
  const result = EnvSchema.safeParse(source);
  const problems = result.success
    ? []
    : result.error.issues.map((i) => `${i.path.join(".") || "(env)"}: ${i.message}`);
  // Checked on the raw source so they are reported alongside any other problem.
  if (Boolean(source.MS_CLIENT_ID) !== Boolean(source.MS_CLIENT_SECRET)) {
    problems.push(
      "MS_CLIENT_SECRET: MS_CLIENT_ID and MS_CLIENT_SECRET are set together or not at all",
    );
  }
  problems.push(...dnsProblems(source));
  if (source.NODE_ENV === "production") {
    if (!source.APP_SECRET) problems.push("APP_SECRET: Required in production");
    if (!source.PUBLIC_URL) problems.push("PUBLIC_URL: Required in production");
  }
  if (result.success && problems.length === 0) return { ok: true, env: result.data };
  return { ok: false, problems };
}

const rfc2136Variables = [
  "DNS_RFC2136_SERVER",
  "DNS_RFC2136_ZONE",
  "DNS_TSIG_KEY_NAME",
  "DNS_TSIG_SECRET",
] as const;
const emulatorDnsVariables = [
  "DNS_EMULATOR_URL",
  "DNS_EMULATOR_CA_FILE",
  "DNS_EMULATOR_CONTROL_TOKEN",
] as const;

/** What the chosen DNS adapter needs and what only the other one reads (a forgotten DNS_ADAPTER). */
function dnsProblems(source: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (source.DNS_ADAPTER === "rfc2136") {
    for (const name of ["DNS_RFC2136_SERVER", "DNS_TSIG_KEY_NAME", "DNS_TSIG_SECRET"] as const)
      if (!source[name]) problems.push(`${name}: Required with DNS_ADAPTER=rfc2136`);
    for (const name of emulatorDnsVariables)
      if (source[name]) problems.push(`${name}: Only read with DNS_ADAPTER=emulator`);
  } else if (!source.DNS_ADAPTER || source.DNS_ADAPTER === "emulator") {
    for (const name of rfc2136Variables)
      if (source[name]) problems.push(`${name}: Only read with DNS_ADAPTER=rfc2136`);
    for (const name of ["DNS_EMULATOR_CA_FILE", "DNS_EMULATOR_CONTROL_TOKEN"] as const)
      if (source[name] && !source.DNS_EMULATOR_URL)
        problems.push(`${name}: Set together with DNS_EMULATOR_URL`);
  }
  return problems;
}

/** What a child process (Teams PowerShell) may see of ours: where programs, modules, home and temp are. */
const childVariables = [
  "PATH",
  "HOME",
  "USERPROFILE",
  "TMPDIR",
  "TEMP",
  "TMP",
  "LANG",
  "LC_ALL",
  "PSModulePath",
  "SystemRoot",
  "APPDATA",
  "LOCALAPPDATA",
  "ProgramFiles",
  "XDG_DATA_HOME",
  "XDG_CACHE_HOME",
  "XDG_CONFIG_HOME",
];

/**
 * The environment a child process starts from: only the variables it needs to find programs,
 * modules and its home, never the platform's secrets (APP_SECRET, MS_CLIENT_SECRET, DATABASE_URL).
 */
export function childProcessEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of childVariables) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** The one reader of `process.env`: prints every problem and exits when the environment is invalid. */
export function loadEnv(): Env {
  const parsed = parseEnv(process.env);
  if (!parsed.ok) {
    process.stderr.write(`Invalid environment:\n  ${parsed.problems.join("\n  ")}\n`);
    process.exit(1);
  }
  return parsed.env;
}
