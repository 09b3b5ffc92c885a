import { accessSync, constants, existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

/** What a gateway node runs, and the Debian package each comes from. */
const programs = [
  { name: "kamailio", package: "kamailio", role: "SIP: registrations, routing, TLS to Microsoft" },
  {
    name: "rtpengine",
    package: "rtpengine-daemon",
    role: "media: SRTP towards Microsoft, RTP to the PBX",
  },
  { name: "sipp", package: "sip-tester", role: "tests and benchmarks only" },
] as const;

/** Kamailio modules the gateway's configuration loads, and their packages. */
const modules = [
  { name: "uac", package: "kamailio" },
  { name: "htable", package: "kamailio" },
  { name: "dispatcher", package: "kamailio" },
  { name: "dialog", package: "kamailio" },
  { name: "ipops", package: "kamailio" },
  { name: "textopsx", package: "kamailio" },
  { name: "siptrace", package: "kamailio" },
  { name: "xhttp", package: "kamailio" },
  { name: "jsonrpcs", package: "kamailio" },
  { name: "tls", package: "kamailio-tls-modules" },
  { name: "rtpengine", package: "kamailio" },
  { name: "json", package: "kamailio-json-modules" },
] as const;

export interface DoctorReport {
  present: string[];
  missing: { what: string; package: string }[];
  /** The one `apt-get install` line that adds what is missing, or null. */
  installLine: string | null;
}

function onPath(command: string, path = process.env.PATH ?? ""): boolean {
  return path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Debian installs Kamailio's modules under /usr/lib/<multiarch>/kamailio/modules. */
function kamailioModuleDirs(): string[] {
  const dirs = ["/usr/lib/kamailio/modules", "/usr/local/lib/kamailio/modules"];
  try {
    for (const entry of readdirSync("/usr/lib"))
      dirs.push(join("/usr/lib", entry, "kamailio", "modules"));
  } catch {
    // no /usr/lib: nothing more to look at
  }
  return dirs.filter((d) => existsSync(d));
}

/**
 * What this machine has of what a gateway node needs (`teamgate doctor`): the programs on PATH
 * and Kamailio's modules, and the `apt-get install` line that adds the rest.
 */
export function checkGatewayPrerequisites(
  where: { path?: string; moduleDirs?: string[] } = {},
): DoctorReport {
  const present: string[] = [];
  const missing: DoctorReport["missing"] = [];
  for (const p of programs)
    if (onPath(p.name, where.path)) present.push(`${p.name} (${p.role})`);
    else missing.push({ what: `${p.name} (${p.role})`, package: p.package });
  const dirs = where.moduleDirs ?? kamailioModuleDirs();
  for (const m of modules)
    if (dirs.some((d) => existsSync(join(d, `${m.name}.so`))))
      present.push(`kamailio module ${m.name}`);
    else missing.push({ what: `kamailio module ${m.name}`, package: m.package });
  const packages = [...new Set(missing.map((m) => m.package))];
  return {
    present,
    missing,
    installLine: packages.length > 0 ? `apt-get install -y ${packages.join(" ")}` : null,
  };
}

/**
 * Whether a gateway node can run here: Kamailio and every module its configuration loads are
 * present (rtpengine carries media only, sipp is for tests: neither is needed to register).
 */
export function canRunGateway(report: DoctorReport): boolean {
  return !report.missing.some((m) => m.what.startsWith("kamailio"));
}

/** The report as `teamgate doctor` prints it. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = ["Gateway prerequisites"];
  for (const p of report.present) lines.push(`  ok       ${p}`);
  for (const m of report.missing) lines.push(`  missing  ${m.what}  (Debian package ${m.package})`);
  lines.push(
    report.installLine
      ? `Add what is missing with:\n  ${report.installLine}`
      : "Everything a gateway node needs is installed.",
  );
  return `${lines.join("\n")}\n`;
}
