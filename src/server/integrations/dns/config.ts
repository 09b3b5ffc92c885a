import { readFileSync } from "node:fs";
import type { Env } from "../../env.ts";
import { createEmulatorDns } from "./emulator.ts";
import type { Dns } from "./port.ts";
import { createRfc2136Dns } from "./rfc2136.ts";

/** How long one DNS update or lookup may take before it is `dns_unavailable`. */
export const dnsTimeoutMs = 10_000;

/**
 * The DNS adapter `DNS_ADAPTER` names: rfc2136 to the operator's server, or the emulator's DNS at
 * DNS_EMULATOR_URL; null for the emulator adapter when no emulator is configured.
 */
export function dnsFromEnv(env: Env): Dns | null {
  if (env.DNS_ADAPTER === "rfc2136") {
    const { DNS_RFC2136_SERVER: server, DNS_TSIG_KEY_NAME: name, DNS_TSIG_SECRET: secret } = env;
    // parseEnv requires all three with rfc2136; an Env built otherwise is a programming error.
    if (!server || !name || !secret)
      throw new Error(
        "DNS_ADAPTER=rfc2136 needs DNS_RFC2136_SERVER, DNS_TSIG_KEY_NAME, DNS_TSIG_SECRET",
      );
    return createRfc2136Dns({
      server,
      port: env.DNS_RFC2136_PORT,
      zone: env.DNS_RFC2136_ZONE,
      tsig: { name, algorithm: env.DNS_TSIG_ALGORITHM, secret },
      timeoutMs: dnsTimeoutMs,
    });
  }
  if (!env.DNS_EMULATOR_URL) return null;
  return createEmulatorDns({
    controlUrl: env.DNS_EMULATOR_URL,
    controlToken: env.DNS_EMULATOR_CONTROL_TOKEN,
    caPem: env.DNS_EMULATOR_CA_FILE ? readFileSync(env.DNS_EMULATOR_CA_FILE, "utf8") : undefined,
    timeoutMs: dnsTimeoutMs,
  });
}
