/**
 * The command line of a gateway node's rtpengine: userspace forwarding only (`--table=-1`, no
 * kernel module), in the foreground, logging to stderr, its ng control socket on loopback.
 */
import { isIP } from "node:net";

export interface RtpengineOptions {
  /** The media address (an IP), with the address to advertise in SDP when behind NAT. */
  interface: { address: string; advertise?: string };
  /** ng control port on 127.0.0.1 (Kamailio's rtpengine module talks to it). */
  ngPort: number;
  /** RTP port range (even start); each call leg takes two ports. */
  portMin: number;
  portMax: number;
  /** syslog-style level, 1–7 (default 5, notice). */
  logLevel?: number;
  /** Worker threads (default: rtpengine's own, one per core). */
  threads?: number;
}

function assertPort(label: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${label} must be a port number: ${port}`);
}

/** rtpengine's arguments; throws on an option it would refuse or misread. */
export function rtpengineArgs(o: RtpengineOptions): string[] {
  if (!isIP(o.interface.address))
    throw new Error(`interface.address must be an IP: ${o.interface.address}`);
  if (o.interface.advertise !== undefined && !isIP(o.interface.advertise))
    throw new Error(`interface.advertise must be an IP: ${o.interface.advertise}`);
  assertPort("ngPort", o.ngPort);
  assertPort("portMin", o.portMin);
  assertPort("portMax", o.portMax);
  if (o.portMax - o.portMin < 3) throw new Error("the RTP port range must hold at least 4 ports");
  const iface = o.interface.advertise
    ? `${o.interface.address}!${o.interface.advertise}`
    : o.interface.address;
  return [
    "--config-file=none",
    "--foreground",
    "--log-stderr",
    "--table=-1",
    `--interface=${iface}`,
    `--listen-ng=127.0.0.1:${o.ngPort}`,
    `--port-min=${o.portMin}`,
    `--port-max=${o.portMax}`,
    `--log-level=${o.logLevel ?? 5}`,
    "--delete-delay=0",
    ...(o.threads ? [`--num-threads=${o.threads}`] : []),
  ];
}
