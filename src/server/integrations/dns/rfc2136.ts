import { type ChildProcess, spawn } from "node:child_process";
import { lookup, Resolver } from "node:dns/promises";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { tsigAlgorithms } from "../../env.ts";
import { AppError } from "../../lib/errors.ts";
import type { Dns } from "./port.ts";
import { checkRecordName, isDnsName, quoteTxt } from "./records.ts";

/** The operator's authoritative server and the TSIG key it accepts updates signed with. */
export interface Rfc2136Config {
  /** Host name or IP address of the primary (authoritative) server. */
  server: string;
  port: number;
  /** The zone to update; without it nsupdate asks the server for the zone of each name. */
  zone?: string | undefined;
  tsig: { name: string; algorithm: (typeof tsigAlgorithms)[number]; secret: string };
  /** How long one update or lookup may take before it is `dns_unavailable`. */
  timeoutMs: number;
  /** The `nsupdate` program (default: `nsupdate` on the PATH, from Debian's bind9-dnsutils). */
  nsupdatePath?: string;
}

/** TTL of a published record unless the caller gives one. */
export const defaultTxtTtlSeconds = 300;

const base64 = /^(?=.)(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Rcodes and TSIG errors in nsupdate's output that retrying will not change (case matters). */
const rejectedAnswer =
  /\b(REFUSED|NOTAUTH|NOTZONE|NOTIMP|FORMERR|YXDOMAIN|YXRRSET|NXRRSET|BADSIG|BADKEY|BADTIME)\b|TSIG error/;
/** Answers that say the server is down, unreachable or too slow now. */
const unavailableAnswer =
  /SERVFAIL|timed out|connection refused|operation canceled|could not reach|couldn't get address|unreachable|network is down|connection reset/i;

/**
 * The DNS port on the operator's authoritative server: updates are RFC 2136 dynamic updates
 * signed with the TSIG key, sent by Debian's `nsupdate` over TCP (the key in a 0600 file in a
 * private temporary directory, removed afterwards; never in argv or logs); lookups ask that server
 * directly, so they see an update at once. Refusals (REFUSED, NOTAUTH, a bad key, NOTZONE) are
 * `dns_rejected`; a server that is down, slow or failing (SERVFAIL) is `dns_unavailable`.
 */
export function createRfc2136Dns(config: Rfc2136Config): Dns {
  checkConfig(config);
  const nsupdate = config.nsupdatePath ?? "nsupdate";
  const running = new Set<ChildProcess>();
  const serverShown = `${config.server}:${config.port}`;
  const zone = config.zone?.replace(/\.$/, "");
  const keyFileText = `key "${config.tsig.name}" {\n  algorithm ${config.tsig.algorithm};\n  secret "${config.tsig.secret}";\n};\n`;
  const withoutSecret = (text: string) => text.split(config.tsig.secret).join("[redacted]");

  async function update(name: string, line: string, what: string): Promise<void> {
    const script = [
      `server ${config.server} ${config.port}`,
      ...(zone ? [`zone ${zone}.`] : []),
      line,
      "send",
      "",
    ].join("\n");
    const dir = await mkdtemp(join(tmpdir(), "teamgate-nsupdate-"));
    try {
      const keyFile = join(dir, "tsig.key");
      await writeFile(keyFile, keyFileText, { mode: 0o600 });
      const seconds = String(Math.max(1, Math.ceil(config.timeoutMs / 1000)));
      const result = await run(nsupdate, ["-v", "-t", seconds, "-k", keyFile], script);
      if (result.ok) return;
      const output = withoutSecret(result.output).trim();
      const code = result.timedOut ? "TIMEOUT" : answerCode(output);
      const rejected = !result.failedToStart && !result.timedOut && isRefusal(output);
      throw new AppError(
        rejected ? "dns_rejected" : "dns_unavailable",
        rejected
          ? `The DNS server ${serverShown} refused to ${what} ${name} (${code})`
          : `The DNS server ${serverShown} could not ${what} ${name} now (${code})`,
        { cause: { code, message: output || result.reason } },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  function run(
    program: string,
    args: string[],
    stdin: string,
  ): Promise<{
    ok: boolean;
    output: string;
    timedOut: boolean;
    failedToStart: boolean;
    reason: string;
  }> {
    return new Promise((resolve) => {
      const child = spawn(program, args, { stdio: ["pipe", "pipe", "pipe"] });
      running.add(child);
      let output = "";
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, config.timeoutMs + 1000);
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
      });
      child.stderr.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
      });
      child.stdin.on("error", () => {});
      child.on("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        running.delete(child);
        resolve({
          ok: false,
          output,
          timedOut: false,
          failedToStart: true,
          reason:
            error.code === "ENOENT"
              ? `${program} was not found: install Debian's bind9-dnsutils`
              : `${program} could not be started: ${error.message}`,
        });
      });
      child.on("close", (exitCode) => {
        clearTimeout(timer);
        running.delete(child);
        resolve({
          ok: exitCode === 0 && !timedOut,
          output,
          timedOut,
          failedToStart: false,
          reason: timedOut ? "no answer in time" : `nsupdate exited with ${exitCode}`,
        });
      });
      child.stdin.end(stdin);
    });
  }

  async function serverAddress(): Promise<string> {
    const family = isIP(config.server);
    const address =
      family !== 0
        ? config.server
        : await lookup(config.server).then(
            (found) => found.address,
            (error: NodeJS.ErrnoException) => {
              throw new AppError(
                "dns_unavailable",
                `The address of the DNS server ${config.server} is unknown now`,
                { cause: { code: error.code, message: error.message } },
              );
            },
          );
    return isIP(address) === 6 ? `[${address}]:${config.port}` : `${address}:${config.port}`;
  }

  return {
    kind: "rfc2136",
    async publishTxt(name, value, options = {}) {
      const ttl = options.ttlSeconds ?? defaultTxtTtlSeconds;
      if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2_147_483_647)
        throw new AppError("dns_rejected", `The TTL ${ttl} is not a whole number of seconds`);
      await update(
        name,
        `update add ${checkRecordName(name)}. ${ttl} TXT ${quoteTxt(value)}`,
        "publish a TXT record at",
      );
    },
    async removeTxt(name, value) {
      await update(
        name,
        `update delete ${checkRecordName(name)}. TXT ${quoteTxt(value)}`,
        "remove a TXT record at",
      );
    },
    async lookupTxt(name) {
      checkRecordName(name);
      // A resolver of its own per lookup: nothing is cached between two of them.
      const resolver = new Resolver({ timeout: config.timeoutMs, tries: 1 });
      resolver.setServers([await serverAddress()]);
      try {
        return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(""));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "unknown";
        if (code === "ENOTFOUND" || code === "ENODATA") return [];
        const rejected = code === "EREFUSED" || code === "ENOTIMP" || code === "EFORMERR";
        throw new AppError(
          rejected ? "dns_rejected" : "dns_unavailable",
          rejected
            ? `The DNS server ${serverShown} refused to answer for ${name} (${code})`
            : `The DNS server ${serverShown} did not answer for ${name} (${code})`,
          { cause: { code, message: (error as Error).message } },
        );
      }
    },
    async close() {
      for (const child of running) child.kill("SIGKILL");
    },
  };
}

/**
 * Whether nsupdate's output is a refusal retrying will not change (REFUSED, NOTAUTH, a TSIG error,
 * NOTZONE, …) rather than a server that is down, unreachable, failing or slow. Output that says
 * neither is a refusal: something nsupdate would not do does not fix itself.
 */
function isRefusal(output: string): boolean {
  if (rejectedAnswer.test(output)) return true;
  return !unavailableAnswer.test(output) && output !== "";
}

/** The rcode nsupdate reported (`NOTAUTH(BADSIG)`, `REFUSED`, …) or what its communication failed with. */
function answerCode(output: string): string {
  const failed = /update failed: (\S+)/.exec(output)?.[1];
  if (failed) return failed;
  const communication = /Communication with \S+ failed: ([^\n]+)/.exec(output)?.[1];
  if (communication) return communication.trim();
  return output.split("\n")[0]?.slice(0, 120) || "no answer";
}

/** Refuses a configuration that could not be written safely into nsupdate's input or key file. */
function checkConfig(config: Rfc2136Config): void {
  const problems = [
    isIP(config.server) !== 0 || isDnsName(config.server)
      ? null
      : "server: not a host name or an IP address",
    Number.isInteger(config.port) && config.port >= 1 && config.port <= 65535
      ? null
      : "port: not 1-65535",
    config.zone === undefined || isDnsName(config.zone) ? null : "zone: not a DNS name",
    isDnsName(config.tsig.name) ? null : "tsig.name: not a DNS name",
    base64.test(config.tsig.secret) ? null : "tsig.secret: not base64",
    config.timeoutMs > 0 ? null : "timeoutMs: not positive",
  ].filter((p): p is string => p !== null);
  if (problems.length > 0)
    throw new Error(`Invalid RFC 2136 DNS configuration: ${problems.join("; ")}`);
}
