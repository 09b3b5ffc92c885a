/**
 * Renders a gateway node's Kamailio files (kamailio.cfg, dispatcher list, tls.cfg) and its
 * command line from typed options. Pure: no file is read or written here; the caller writes the
 * returned text where the options said it would be.
 */
import { isIP } from "node:net";
import { type HtableName, htableNames } from "../reconcile/htables.ts";
import { dispatcherListTemplate } from "./templates/dispatcher-list.ts";
import { type KamailioCfgView, kamailioCfgTemplate } from "./templates/kamailio-cfg.ts";
import { tlsCfgTemplate } from "./templates/tls-cfg.ts";

/** The htables every gateway node defines; the agent fills them over JSON-RPC. */
export const GATEWAY_HTABLES = Object.fromEntries(
  htableNames.map((name) => [
    name,
    name === "fqdn" || name === "pbxip" || name.startsWith("ent") ? 10 : 14,
  ]),
) as Record<HtableName, number>;

/** Name of one of the gateway's htables. */
export type GatewayHtable = HtableName;

/**
 * The networks Microsoft's Direct Routing signalling comes from (Microsoft Learn, "Direct
 * Routing – SIP signaling: FQDNs and IP address ranges"): the Microsoft listener's default.
 */
export const MICROSOFT_SIGNALLING_NETWORKS = ["52.112.0.0/14", "52.122.0.0/15"] as const;

/** The dispatcher set that holds the Microsoft proxies. */
export const MICROSOFT_DISPATCHER_SET = 1;

/** A SIP listener on one address. */
export interface SipListener {
  /** IP address to bind (not a host name: Kamailio would resolve it at start). */
  address: string;
  port: number;
  /** Address to put in Via/Contact when the node is behind NAT. */
  advertise?: { address: string; port: number };
}

/** Typed options for one gateway node's Kamailio. */
export interface KamailioNodeOptions {
  nodeName: string;
  /**
   * The PBX side: UDP and TCP on the same address and port; with `tlsPort`, TLS on that port of
   * the same address too, for PBXs reached over TLS (it needs the node's certificate,
   * `microsoft.tls`).
   */
  pbx: SipListener & { transports: ReadonlyArray<"udp" | "tcp">; tlsPort?: number };
  /**
   * The Microsoft side: TLS on 5061 in production. `tls: null` listens on plain TCP instead,
   * for tests on loopback only (sipp speaks no TLS). Null: no Microsoft listener at all.
   */
  microsoft:
    | (SipListener & {
        tls: {
          certificatePath: string;
          privateKeyPath: string;
          caListPath: string;
          /**
           * CAs that verify the servers the node connects to over TLS: Microsoft's proxies and
           * PBXs (default `caListPath`; the agent gives the system's bundle).
           */
          clientCaListPath?: string;
          requireClientCertificate: boolean;
          /** Where the caller writes `renderTlsConfig`'s text. */
          configPath: string;
        } | null;
        /** CIDRs Microsoft's SIP comes from; anything else reaching this listener is dropped. */
        networks: readonly string[];
      })
    | null;
  /** Host names the node answers to (its SBC FQDN), besides its addresses. */
  aliases?: readonly string[];
  /** rtpengine's ng control port on 127.0.0.1; null leaves the media alone (no relay). */
  rtpengine?: { ngPort: number; holdMusic?: string | null } | null;
  /** `X-MS-SBC` on calls to Microsoft: vendor/model/version. */
  sbcIdentity?: string;
  /** Seconds without a reply from a Microsoft proxy before the next one is tried (default 2). */
  microsoftFailoverSeconds?: number;
  /** Microsoft SIP proxies for the dispatcher (OPTIONS keep-alive, failover order = priority). */
  microsoftProxies: ReadonlyArray<{ uri: string; priority?: number }>;
  /** Where the caller writes `renderDispatcherList`'s text. */
  dispatcherListPath: string;
  /** Absolute directory where the caller writes `renderUacregDb`'s files. */
  uacDbDir: string;
  /**
   * Absolute db_text directory of the htables (`renderHtableDb`'s files): Kamailio loads them at
   * start and on `htable.reload`. Omitted: the htables are filled over JSON-RPC only.
   */
  htablesDbDir?: string;
  /** The node's SBC FQDN: the keep-alive OPTIONS come from `sip:options@<fqdn>`, its Contact. */
  optionsFromHost: string;
  /** Seconds between keep-alive OPTIONS to each Microsoft proxy (default 60, Microsoft's). */
  optionsIntervalSeconds?: number;
  /** JSON-RPC over HTTP on 127.0.0.1. */
  rpcPort: number;
  /** siptrace sends HEP v3 to 127.0.0.1 on this UDP port. */
  hepPort: number;
  registrations: {
    /** How many devices this node may register: sizes hash table and shared memory. */
    expectedCount: number;
    /**
     * Seconds between passes of uac's registration timer (default 1, the least: it sleeps whole
     * seconds). Each pass sends every REGISTER that is due at once, so a new record waits up to
     * this; a pass over 10,000 records that sends nothing costs next to nothing.
     */
    timerInterval?: number;
    /**
     * Seconds before a failed registration is tried again (0 = never). uac 5.6 acts once the
     * retry time is within `timerInterval + 3` s, so the effective pause is about
     * `retryInterval − timerInterval − 3`: a fixed interval, not a back-off (the agent backs off
     * by disabling a failed registration for a growing wait, `reconcile/backoff.ts`).
     */
    retryInterval?: number;
  };
  /**
   * Flood protection on the PBX side (pike): requests opening a dialog per source address and
   * `samplingTimeUnit` seconds (default 600 per 2 s); null turns it off.
   */
  pike?: { samplingTimeUnit: number; reqsDensityPerUnit: number; removeLatency: number } | null;
  children?: number;
  logLevel?: number;
  /**
   * The most a UDP socket's receive buffer may grow to, bytes (Kamailio's `maxbuffer`; default
   * 4 MB): the answers to a cold start's thousands of REGISTERs arrive together.
   */
  udpReceiveBufferMax?: number;
}

/** Rejects a value that would break out of a quoted Kamailio string or a listen token. */
function assertPlain(label: string, value: string): void {
  if (!value || /["\\\s]/.test(value)) {
    throw new Error(`${label} must be non-empty without quotes, backslashes or spaces: ${value}`);
  }
}

function assertCidr(label: string, value: string): void {
  const [address, bits, ...rest] = value.split("/");
  const family = isIP(address ?? "");
  const max = family === 6 ? 128 : 32;
  const n = Number(bits);
  if (!family || rest.length > 0 || !/^\d+$/.test(bits ?? "") || n > max)
    throw new Error(`${label} must be CIDRs like 52.112.0.0/14: ${value}`);
}

function assertPort(label: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${label} must be a port number: ${port}`);
  }
}

function assertListener(label: string, listener: SipListener): void {
  if (!isIP(listener.address))
    throw new Error(`${label}.address must be an IP: ${listener.address}`);
  assertPort(`${label}.port`, listener.port);
  if (listener.advertise) {
    assertPlain(`${label}.advertise.address`, listener.advertise.address);
    assertPort(`${label}.advertise.port`, listener.advertise.port);
  }
}

export const hostPort = (address: string, port: number) =>
  isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;

function listenValue(proto: string, listener: SipListener): string {
  const base = `${proto}:${hostPort(listener.address, listener.port)}`;
  const adv = listener.advertise;
  return adv ? `${base} advertise ${adv.address}:${adv.port}` : base;
}

/** Call setups a second a node is sized for: pike's default lets one PBX address send 300. */
export const NODE_CALLS_PER_SECOND = 300;

/**
 * Shared memory (`-m`, MB) for a node expected to hold `deviceCount` registrations and set up
 * `callsPerSecond` calls: 32 KB a device on top of a 64 MB base, because a cold start sends every
 * device's REGISTERs in one uac timer pass, so the transactions of all of them (challenge and
 * digest, each kept 5 s after it ends) live at once beside the htables and db_text's copy of
 * their files (bench/gateway-registrations: 302 MB used at most for 10,000 devices; at 16 KB a
 * device, 296 MB, a few hundred transactions failed for want of memory and waited 30 s to be
 * tried again); and 0.25 MB per call a second, the transactions and dialogs of the calls being
 * set up (bench/gateway-calls measured 0.2 MB).
 */
export function sharedMemoryMb(
  deviceCount: number,
  callsPerSecond: number = NODE_CALLS_PER_SECOND,
): number {
  const registrations = (Math.max(0, deviceCount) * 32) / 1024;
  return 64 + Math.ceil(registrations + Math.max(0, callsPerSecond) * 0.25);
}

/**
 * Bytes a TCP connection may queue (`tcp_conn_wq_max`): `uac.reg_dump` sends every registration
 * (about 500 bytes of JSON each) in one reply, and Kamailio drops a reply beyond the queue (its
 * default is 32 KB: about 60 registrations); 1 KB a device on top of 1 MB.
 */
export function rpcReplyQueueBytes(deviceCount: number): number {
  return 1024 * 1024 + Math.max(0, deviceCount) * 1024;
}

/** uac `reg_hash_size` (2^n slots): about four records a slot, between 4 and 14. */
export function registrationHashSize(deviceCount: number): number {
  const bits = Math.ceil(Math.log2(Math.max(1, deviceCount / 4)));
  return Math.min(14, Math.max(4, bits));
}

/** Renders kamailio.cfg for one gateway node; throws on an option Kamailio would choke on. */
export function renderKamailioConfig(o: KamailioNodeOptions): string {
  assertPlain("nodeName", o.nodeName);
  assertListener("pbx", o.pbx);
  if (o.pbx.transports.length === 0) throw new Error("pbx.transports must not be empty");
  assertPort("rpcPort", o.rpcPort);
  assertPort("hepPort", o.hepPort);
  assertPlain("dispatcherListPath", o.dispatcherListPath);
  assertPlain("uacDbDir", o.uacDbDir);
  if (!o.uacDbDir.startsWith("/")) throw new Error(`uacDbDir must be absolute: ${o.uacDbDir}`);
  if (o.htablesDbDir !== undefined) {
    assertPlain("htablesDbDir", o.htablesDbDir);
    if (!o.htablesDbDir.startsWith("/"))
      throw new Error(`htablesDbDir must be absolute: ${o.htablesDbDir}`);
  }
  assertPlain("optionsFromHost", o.optionsFromHost);
  const listens = [...new Set(o.pbx.transports)].map((proto) => listenValue(proto, o.pbx));
  let tls: { configPath: string } | null = null;
  let microsoft: KamailioCfgView["microsoft"] = null;
  if (o.microsoft) {
    const ms = o.microsoft;
    assertListener("microsoft", ms);
    if (ms.port === o.pbx.port && ms.address === o.pbx.address)
      throw new Error("microsoft and pbx must listen on different ports");
    const proto = ms.tls ? "tls" : "tcp";
    if (ms.tls) {
      assertPlain("microsoft.tls.configPath", ms.tls.configPath);
      tls = { configPath: ms.tls.configPath };
    }
    if (ms.networks.length === 0) throw new Error("microsoft.networks must not be empty");
    for (const network of ms.networks) assertCidr("microsoft.networks", network);
    // named: a request's side is the socket it came in on, whatever the ports
    listens.push(`${listenValue(proto, ms)} name "microsoft"`);
    microsoft = {
      socket: `${proto}:${hostPort(ms.address, ms.port)}`,
      port: ms.port,
      networks: ms.networks.join(","),
      contactPort: ms.advertise?.port ?? ms.port,
      contactTransport: proto,
    };
  }
  if (o.pbx.tlsPort !== undefined) {
    assertPort("pbx.tlsPort", o.pbx.tlsPort);
    if (!tls) throw new Error("pbx.tlsPort needs the node's TLS certificate (microsoft.tls)");
    if (o.pbx.tlsPort === o.pbx.port) throw new Error("pbx.tlsPort must differ from pbx.port");
    if (o.microsoft?.address === o.pbx.address && o.microsoft.port === o.pbx.tlsPort)
      throw new Error("microsoft and pbx TLS must listen on different ports");
    listens.push(listenValue("tls", { address: o.pbx.address, port: o.pbx.tlsPort }));
  }
  for (const alias of o.aliases ?? []) assertPlain("aliases", alias);
  const optionsEvery = o.optionsIntervalSeconds ?? 60;
  if (!Number.isInteger(optionsEvery) || optionsEvery < 1 || optionsEvery > 3600)
    throw new Error(`optionsIntervalSeconds must be 1 to 3600: ${optionsEvery}`);
  const sbcIdentity = o.sbcIdentity ?? "Teamgate/SBC/1.0";
  if (!/^[\x21-\x7e]+$/.test(sbcIdentity))
    throw new Error(`sbcIdentity must be one token: ${sbcIdentity}`);
  let rtpengine: KamailioCfgView["rtpengine"] = null;
  if (o.rtpengine) {
    assertPort("rtpengine.ngPort", o.rtpengine.ngPort);
    const music = o.rtpengine.holdMusic ?? null;
    if (music !== null) {
      assertPlain("rtpengine.holdMusic", music);
      if (!music.startsWith("/")) throw new Error(`rtpengine.holdMusic must be absolute: ${music}`);
    }
    rtpengine = { socket: `udp:127.0.0.1:${o.rtpengine.ngPort}`, holdMusic: music };
  }
  const contact = o.pbx.advertise ?? o.pbx;
  const expected = o.registrations.expectedCount;
  return kamailioCfgTemplate({
    nodeName: o.nodeName,
    logLevel: o.logLevel ?? 2,
    children: o.children ?? 8,
    tcpChildren: o.children ?? 8,
    tcpConnWriteQueueMax: rpcReplyQueueBytes(expected),
    udpReceiveBufferMax: o.udpReceiveBufferMax ?? 4 * 1024 * 1024,
    listens,
    aliases: [...(o.aliases ?? [])],
    rpcPort: o.rpcPort,
    tls,
    microsoft,
    sbcIdentity,
    microsoftFailoverSeconds: o.microsoftFailoverSeconds ?? 2,
    rtpengine,
    dispatcherListPath: o.dispatcherListPath,
    dispatcherPingFrom: `sip:options@${o.optionsFromHost}`,
    dispatcherPingInterval: optionsEvery,
    optionsContactHost: o.optionsFromHost,
    hepUri: `sip:127.0.0.1:${o.hepPort}`,
    // A PBX sends every call of its users from one address: 600 new requests per 2 s (300 a
    // second) stays above what a node carries, while a scanner's flood is still cut off.
    pike:
      o.pike === undefined
        ? { samplingTimeUnit: 2, reqsDensityPerUnit: 600, removeLatency: 4 }
        : o.pike,
    uac: {
      dbDir: o.uacDbDir,
      contactAddr: hostPort(contact.address, contact.port),
      timerInterval: o.registrations.timerInterval ?? 1,
      retryInterval: o.registrations.retryInterval ?? 30,
      hashSize: registrationHashSize(expected),
      gcInterval: 10,
    },
    htables: Object.entries(GATEWAY_HTABLES).map(
      ([name, size]) =>
        `${name}=>size=${size};autoexpire=0;${o.htablesDbDir ? `dbtable=${name};` : ""}`,
    ),
    htablesDbDir: o.htablesDbDir ?? null,
  });
}

/** Renders the dispatcher list: the Microsoft proxies in set 1, highest priority first. */
export function renderDispatcherList(o: Pick<KamailioNodeOptions, "microsoftProxies">): string {
  return dispatcherListTemplate(
    o.microsoftProxies.map((proxy, index) => {
      if (!/^sips?:[^\s"\\]+$/.test(proxy.uri)) throw new Error(`not a SIP URI: ${proxy.uri}`);
      return {
        setId: MICROSOFT_DISPATCHER_SET,
        uri: proxy.uri,
        priority: proxy.priority ?? o.microsoftProxies.length - index,
      };
    }),
  );
}

/** The columns of uac's `uacreg` table at version 5 (Kamailio 5.6), in the order of its file. */
const uacregColumns = [
  "id(int,auto)",
  ...["l_uuid", "l_username", "l_domain", "r_username", "r_domain", "realm"],
  ...["auth_username", "auth_password", "auth_ha1", "auth_proxy"],
  "expires(int)",
  "flags(int)",
  "reg_delay(int)",
  "contact_addr",
  "socket",
].map((column) => (column.includes("(") ? column : `${column}(string)`));

/**
 * One remote registration as uac holds it: a `uacreg` row, and (with an HA1) what `uac.reg_add`
 * takes (rpc.ts's `RegistrationSpec`).
 */
export interface UacregRow {
  /** Local unique id: also the user part of the Contact the PBX will call. */
  lUuid: string;
  /** Local user and domain (used by `uac_reg_lookup` on calls from the PBX). */
  lUsername: string;
  lDomain: string;
  /** The AOR registered at the PBX: `sip:<rUsername>@<rDomain>`; rDomain may carry `:port`. */
  rUsername: string;
  rDomain: string;
  /** Realm the PBX must challenge with; empty accepts any. */
  realm: string;
  authUsername: string;
  /** Clear-text password (a row needs one: no HA1 is written to the file). */
  authPassword: string | null;
  /** Where REGISTER is sent: `sip:host[:port][;transport=…]` (the PBX's proxy). */
  authProxy: string;
  expires: number;
  /** Seconds to wait before the first REGISTER. */
  regDelay?: number;
  /** Send socket, e.g. `udp:10.0.0.5:5060`; empty lets tm choose. */
  socket?: string;
  /** Contact host[:port][;params] for this record; empty uses `reg_contact_addr`. */
  contactAddr?: string;
}

/**
 * The db_text files (name → text) of the `uacreg` table at the version Kamailio 5.6 expects: uac
 * runs its registration timer only when it has a database to load from, and loads a node's
 * registrations from it as Kamailio starts (ADR 0025). A row per registration, its strings
 * escaped as db_text reads them; ids from 1; no HA1 or flags; a delay only when given.
 */
export function renderUacregDb(
  registrations: readonly UacregRow[] = [],
): Record<"version" | "uacreg", string> {
  const rows = registrations.map((r, index) => {
    if (!r.authPassword) throw new Error(`registration ${r.lUuid}: authPassword is required`);
    if (!Number.isInteger(r.expires) || r.expires < 0)
      throw new Error(`registration ${r.lUuid}: expires must be a whole number: ${r.expires}`);
    const strings = [r.lUuid, r.lUsername, r.lDomain, r.rUsername, r.rDomain, r.realm];
    const auth = [r.authUsername, r.authPassword, "", r.authProxy];
    const tail = [r.contactAddr ?? "", r.socket ?? ""];
    return [
      String(index + 1),
      ...[...strings, ...auth].map(dbTextEscape),
      String(r.expires),
      "0",
      String(r.regDelay ?? 0),
      ...tail.map(dbTextEscape),
    ].join(":");
  });
  return {
    version: "table_name(string) table_version(int)\nuacreg:5\n",
    uacreg: `${[uacregColumns.join(" "), ...rows].join("\n")}\n`,
  };
}

/** A value as a db_text string column holds it: its delimiter and control characters escaped. */
export function dbTextEscape(value: string): string {
  return value.replace(/[\\:\n\r\t\0]/g, (c) =>
    c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : c === "\0" ? "\\0" : `\\${c}`,
  );
}

const htableColumns =
  "key_name(string) key_type(int) value_type(int) key_value(string) expires(int)";

/** The db_text `version` file of the htables' directory: every table at htable's version 2. */
export function renderHtableDbVersion(): string {
  return `table_name(string) table_version(int)\n${htableNames.map((name) => `${name}:2`).join("\n")}\n`;
}

/** One htable as its db_text file: a row per key (string key, string value, no expiry). */
export function renderHtableDb(entries: ReadonlyMap<string, string>): string {
  const rows = [...entries].map(
    ([key, value]) => `${dbTextEscape(key)}:0:0:${dbTextEscape(value)}:0`,
  );
  return `${[htableColumns, ...rows].join("\n")}\n`;
}

/** Renders tls.cfg for the Microsoft side, or null when TLS is disabled. */
export function renderTlsConfig(
  o: Pick<KamailioNodeOptions, "microsoft"> & { pbx?: KamailioNodeOptions["pbx"] },
): string | null {
  const tls = o.microsoft?.tls;
  if (!tls) return null;
  const { certificatePath, privateKeyPath, caListPath } = tls;
  const clientCaListPath = tls.clientCaListPath ?? caListPath;
  for (const [label, value] of Object.entries({
    certificatePath,
    privateKeyPath,
    caListPath,
    clientCaListPath,
  })) {
    assertPlain(`microsoft.tls.${label}`, value);
  }
  return tlsCfgTemplate({
    certificatePath,
    privateKeyPath,
    caListPath,
    clientCaListPath,
    pbxServer: o.pbx?.tlsPort === undefined ? null : hostPort(o.pbx.address, o.pbx.tlsPort),
    requireClientCertificate: tls.requireClientCertificate,
  });
}

/**
 * The command line for a supervised Kamailio: in the foreground (`-DD`), logging to stderr
 * (`-E`), its runtime files in `runDir`, shared memory sized from the device count.
 */
export function kamailioArgs(o: {
  configPath: string;
  runDir: string;
  expectedRegistrations: number;
  /** Call setups a second to size shared memory for (default `NODE_CALLS_PER_SECOND`). */
  callsPerSecond?: number;
}): string[] {
  return [
    "-DD",
    "-E",
    "-f",
    o.configPath,
    "-Y",
    o.runDir,
    "-m",
    String(sharedMemoryMb(o.expectedRegistrations, o.callsPerSecond)),
    "-M",
    "16",
  ];
}
