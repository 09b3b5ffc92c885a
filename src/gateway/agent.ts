/**
 * The gateway agent (ADR 0019): runs one node's Kamailio and keeps it in step with the region.
 * It follows the gateway feed, keeps leases on the devices it registers, reconciles Kamailio's
 * remote registrations (uac) and routing htables over JSON-RPC, and reports registration states.
 * Kamailio keeps registrations and htables in memory: before each (re)start the agent writes
 * what the region's state and its leases call for into their db_text files, which Kamailio
 * loads as it starts (ADR 0025); later changes go over JSON-RPC. Kamailio mirrors its SIP
 * messages to the agent as HEP, from which it posts SIP traces and call records.
 */
import { mkdirSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { maxGatewayBatch, type RegistrationReport } from "../shared/contracts/gateway.ts";
import { createPbxDns, type PbxDns, watchPbxAddresses } from "./dns/pbx-resolver.ts";
import { createGatewayClient, type GatewayClient } from "./feed/client.ts";
import { type CursorStore, fileCursorStore } from "./feed/cursor-store.ts";
import { followFeed } from "./feed/follow.ts";
import type { LocalEndpoint } from "./hep/calls.ts";
import { regionCallOwner } from "./hep/cdr.ts";
import { type HepReceiver, startHepReceiver } from "./hep/receiver.ts";
import { RegisterOutcomes } from "./hep/register-outcomes.ts";
import {
  hostPort,
  type KamailioNodeOptions,
  kamailioArgs,
  renderDispatcherList,
  renderHtableDb,
  renderHtableDbVersion,
  renderKamailioConfig,
  renderTlsConfig,
  renderUacregDb,
} from "./kamailio/render.ts";
import {
  createKamailioRpc,
  type KamailioRpc,
  KamailioRpcError,
  type RegistrationRecord,
  type RegistrationSpec,
  readStatistic,
} from "./kamailio/rpc.ts";
import { type MetricsReading, proxyIsUp } from "./metrics.ts";
import { type BackoffPolicy, RegistrationBackoff } from "./reconcile/backoff.ts";
import {
  cloneHtables,
  diffHtables,
  emptyHtables,
  type HtableName,
  type Htables,
  htableNames,
  planHtables,
} from "./reconcile/htables.ts";
import {
  applyLeaseAnswer,
  type HeldLease,
  planLeases,
  usableLeases,
  withoutLeases,
} from "./reconcile/leases.ts";
import { pbxLookups } from "./reconcile/pbx-addresses.ts";
import {
  type ActualRegistration,
  passwordDigest,
  planRegistrations,
  type Registration,
  registrableDevices,
  toActual,
} from "./reconcile/registrations.ts";
import { holdMusicWav } from "./rtpengine/hold-music.ts";
import { createNgClient, type NgClient, rtpengineSessions } from "./rtpengine/ng.ts";
import { rtpengineArgs } from "./rtpengine/render.ts";
import { emptyState, type RegionState } from "./state.ts";
import { type SupervisorState, superviseProcess } from "./supervisor.ts";

/** The JSON-RPC calls the agent makes. */
export type AgentRpc = Pick<
  KamailioRpc,
  "regAdd" | "regReplace" | "regRemove" | "regDump" | "regSetEnabled" | "htableSet" | "htableDelete"
> &
  /** Any other command (the metrics read dialogs and the dispatcher's proxies with it). */
  Partial<Pick<KamailioRpc, "call">>;

/** A running Kamailio as the agent sees it (the supervisor, or a fake in tests). */
export interface AgentKamailio {
  readonly state: SupervisorState;
  /** `kill`: SIGKILL at once (a crash), see `Supervisor.stop`. */
  stop(options?: { kill?: boolean }): Promise<void>;
}

export interface GatewayAgentOptions {
  /** The API root, e.g. `https://teamgate.example/api/v1`. */
  apiUrl: string;
  /** The node's token (`gw.<node id>.<secret>`). */
  token: string;
  /** IP address Kamailio binds for the PBX side (UDP and TCP). */
  sipAddress: string;
  sipPort: number;
  /** Address and port to advertise in Via/Contact (behind NAT). */
  advertise?: { address: string; port: number };
  /**
   * A TLS listener on `sipAddress` at this port for PBXs reached over TLS: their devices'
   * Contact names it. Needs the node's certificate (`kamailio.microsoft.tls`).
   */
  pbxTlsPort?: number;
  /** Where the Kamailio files, its runtime files and the feed position are kept. */
  runDir: string;
  /** Kamailio's JSON-RPC port on 127.0.0.1 (default 5081). */
  rpcPort?: number;
  /** siptrace's HEP port on 127.0.0.1 (default 9060). */
  hepPort?: number;
  /**
   * Receive siptrace's HEP on `hepPort` and post SIP traces and call records (default true;
   * tests that do not need it turn it off).
   */
  receiveHep?: boolean;
  /** More Kamailio options (TLS towards Microsoft, its proxies, timers…). */
  kamailio?: Partial<KamailioNodeOptions>;
  /** The Kamailio binary (default `kamailio` on PATH). */
  kamailioCmd?: string;
  /**
   * The media relay the agent runs beside Kamailio (rtpengine, userspace); null or omitted:
   * none, media flows end to end (registration-only nodes and tests).
   */
  rtpengine?: {
    /** ng control port on 127.0.0.1 (default 2223). */
    ngPort?: number;
    /** Media address (default: the SIP address) and the address to advertise behind NAT. */
    address?: string;
    advertise?: string;
    portMin?: number;
    portMax?: number;
    /**
     * The music played on hold when the PBX plays none (a WAV file); omitted: the built-in
     * music; null: none (a hold from Teams then goes to the PBX).
     */
    holdMusic?: string | null;
    /** The binary (default `rtpengine` on PATH). */
    cmd?: string;
  } | null;
  /** The most devices this node registers (default 5,000). */
  cap?: number;
  /** The `l_domain` of registrations (default: the advertised or bound SIP address). */
  localDomain?: string;
  /** How often registration states are reported (default 5 s). */
  reportEveryMs?: number;
  /** Long-poll wait of the feed, seconds (default 25). */
  feedWaitSeconds?: number;
  /** A lease is registered only while it has this much time left (default 2 s). */
  leaseMarginMs?: number;
  /**
   * An htable with more changes than this (default 500: a cold start, a large import) is loaded
   * whole from its file with one `htable.reload` instead of a JSON-RPC call per key; in the
   * 10,000-device bench the tables are filled in 1.6 s instead of 3.5–5.7 s.
   */
  htableBulkThreshold?: number;
  /**
   * DNS servers (`ip` or `ip:port`) the agent asks for the addresses of PBXes found by SRV or
   * NAPTR (the source check of their calls); default: the system's resolver.
   */
  dnsServers?: string[];
  /**
   * How long Kamailio's start waits for the region's state and a first round of leases (default
   * 10 s), so that it starts with its routes and registrations loaded; after that it starts
   * without them (the API unreachable) and they are added as they come.
   */
  startWaitMs?: number;
  log?: (message: string) => void;
  /** For tests: the API client, the cursor store, Kamailio and its RPC. */
  client?: GatewayClient;
  store?: CursorStore;
  startKamailio?: (onStarted: () => void) => AgentKamailio;
  rpc?: AgentRpc;
  /**
   * The wait before a failed registration is tried again, growing with each failure
   * (`reconcile/backoff.ts`; default RFC 5626's 30 s base, 1800 s at most).
   */
  registrationBackoff?: BackoffPolicy;
  /** For tests: the DNS queries of the PBX address lookups. */
  pbxDns?: PbxDns;
}

export interface GatewayAgentHealth {
  kamailio: SupervisorState;
  /** The media relay's process, or "none" on a node without one. */
  rtpengine: SupervisorState | "none";
  /** A snapshot or a page of changes was read at least once. */
  feedFollowed: boolean;
  cursor: string | null;
  leases: number;
  registrations: { registered: number; failed: number; other: number };
  /** From the HEP receiver; null when it is off. */
  calls: {
    /** Calls seen start (an INVITE), and held now. */
    seen: number;
    open: number;
    cdrsPosted: number;
    tracesPosted: number;
    /** Call records and trace messages dropped (bounds, refusals); calls dropped unfinished (too many, idle). */
    cdrsDropped: number;
    tracesDropped: number;
    callsDropped: number;
  } | null;
  lastError: string | null;
}

export interface GatewayAgent {
  /** Stops the loops and Kamailio, then releases the leases (best effort). */
  stop(): Promise<void>;
  /**
   * For tests simulating a crashed machine: kills Kamailio and rtpengine (SIGKILL, so no
   * un-REGISTER is sent) and stops the loops, releasing no lease and reporting nothing more;
   * the node's leases stay with it until they expire at the API.
   */
  crash(): Promise<void>;
  /** Kamailio running (and answering) and the feed followed at least once. */
  ready(): boolean;
  health(): GatewayAgentHealth;
  /** A reading of the node for Prometheus (Kamailio and rtpengine asked now). */
  metrics(): Promise<MetricsReading>;
}

/** uac's state → what the API is told; in-between states are not reported. */
const reportedState: Partial<Record<RegistrationRecord["state"], RegistrationReport["state"]>> = {
  registered: "registered",
  failed: "failed",
  unregistered: "unregistered",
};

/** A uac record as the registration planner compares it (the password only as a digest). */
export function toActualRegistration(
  record: RegistrationRecord,
  asked: ReadonlyMap<string, Asked>,
): ActualRegistration {
  return {
    l_uuid: record.lUuid,
    l_username: record.lUsername,
    r_username: record.rUsername,
    r_domain: record.rDomain,
    auth_username: record.authUsername,
    auth_proxy: record.authProxy,
    // what the node asked: uac raises a record's expiry itself when the PBX answers 423 (Interval
    // Too Brief), which is no reason to replace the registration
    expires: asked.get(record.lUuid)?.expires ?? record.expires,
    passwordDigest: asked.get(record.lUuid)?.passwordDigest ?? "",
  };
}

/** What the node gave uac for a registration: its password's digest and the expiry it asks. */
export interface Asked {
  passwordDigest: string;
  expires: number;
}

const askedOf = (registration: Registration): Asked => ({
  passwordDigest: passwordDigest(registration.auth_password),
  expires: registration.expires,
});

/** A planned registration as `uac.reg_add` takes it. */
/**
 * uac's record of a registration. A PBX reached over TLS gets a Contact on the node's PBX-side
 * TLS listener (`tlsContact`, `address:port;transport=tls`), so its calls come back over TLS;
 * any other keeps uac's contact address.
 */
export function toRegistrationSpec(
  registration: Registration,
  lDomain: string,
  tlsContact?: string,
): RegistrationSpec {
  const overTls = /;transport=tls(;|$)/i.test(registration.auth_proxy);
  return {
    ...(overTls && tlsContact ? { contactAddr: tlsContact } : {}),
    lUuid: registration.l_uuid,
    lUsername: registration.l_username,
    lDomain,
    rUsername: registration.r_username,
    rDomain: registration.r_domain,
    realm: "",
    authUsername: registration.auth_username,
    authPassword: registration.auth_password,
    authProxy: registration.auth_proxy,
    expires: registration.expires,
  };
}

/**
 * The reports due: devices this node leases whose uac state differs from the last one reported;
 * a leased device Kamailio no longer holds after a report is reported unregistered. A failure
 * carries the PBX's last answer to the device's REGISTER when it was seen (`outcomeOf`).
 */
export function dueReports(
  records: readonly RegistrationRecord[],
  leased: ReadonlySet<string>,
  lastReported: ReadonlyMap<string, RegistrationReport["state"]>,
  at: string,
  outcomeOf: (deviceId: string) => { code: number; reason: string | null } | undefined = () =>
    undefined,
): RegistrationReport[] {
  const reports: RegistrationReport[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    seen.add(record.lUuid);
    const state = reportedState[record.state];
    if (!state || !leased.has(record.lUuid)) continue;
    if (lastReported.get(record.lUuid) === state) continue;
    const outcome = state === "failed" ? outcomeOf(record.lUuid) : undefined;
    reports.push(
      outcome && outcome.code >= 300
        ? {
            deviceId: record.lUuid,
            state,
            at,
            code: outcome.code,
            reason: outcome.reason?.slice(0, 200) ?? null,
          }
        : { deviceId: record.lUuid, state, at },
    );
  }
  for (const [deviceId, state] of lastReported)
    if (!seen.has(deviceId) && leased.has(deviceId) && state !== "unregistered")
      reports.push({ deviceId, state: "unregistered", at });
  return reports.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
}

function callCounts(hep: HepReceiver): NonNullable<GatewayAgentHealth["calls"]> {
  const s = hep.stats();
  return {
    seen: s.callsSeen,
    open: s.open,
    cdrsPosted: s.cdrsPosted,
    tracesPosted: s.tracesPosted,
    cdrsDropped: s.cdrsDropped,
    tracesDropped: s.tracesDropped,
    callsDropped: s.evicted + s.idle,
  };
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Kamailio, started once `ready` settles; until then its state is "starting", and a stop (or
 * the agent's signal) before the start means it never starts. `ready` must settle once the
 * signal aborts.
 */
function startWhenReady(
  ready: Promise<void>,
  start: () => AgentKamailio,
  signal: AbortSignal,
): AgentKamailio {
  let inner: AgentKamailio | null = null;
  let cancelled = false;
  const started = ready.then(() => {
    if (!cancelled && !signal.aborted) inner = start();
  });
  return {
    get state() {
      return inner?.state ?? (cancelled ? "stopped" : "starting");
    },
    async stop(options) {
      cancelled = true;
      await started;
      await inner?.stop(options);
    },
  };
}

/**
 * Settles once rtpengine answers an ng ping, at most 10 s later: Kamailio pings it as it starts
 * and leaves media alone for a while if it gets no answer.
 */
async function rtpengineAnswering(
  ng: NgClient,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!signal.aborted && Date.now() < deadline) {
    try {
      if ((await ng.command({ command: "ping" })).result === "pong") return;
    } catch {
      // not up yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  if (!signal.aborted) log("rtpengine did not answer within 10 s: starting Kamailio anyway");
}

/** True when `promise` settles within `ms`, false after `ms` or once `signal` aborts. */
function settlesWithin(
  promise: Promise<unknown>,
  ms: number,
  signal: AbortSignal,
): Promise<boolean> {
  return new Promise((done) => {
    const timer = setTimeout(() => finish(false), ms);
    const onAbort = () => finish(false);
    function finish(settled: boolean) {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      done(settled);
    }
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      () => finish(true),
      () => finish(true),
    );
  });
}

/** Whether two tables hold the same keys and values. */
function sameEntries(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

/** The hold music file: the one configured, else the built-in music written into `runDir`. */
function holdMusicPath(o: GatewayAgentOptions, runDir: string): string | null {
  if (o.rtpengine?.holdMusic) return resolve(o.rtpengine.holdMusic);
  if (o.rtpengine?.holdMusic === null) return null;
  const path = join(runDir, "hold-music.wav");
  writeFileSync(path, holdMusicWav());
  return path;
}

/** Kamailio calls a reconcile pass keeps in flight (its JSON-RPC is served by several workers). */
export const rpcConcurrency = 8;

/**
 * Runs `fn` on each item, at most `limit` at a time, started in order. Starts no more after a
 * failure or once `signal` aborts, and then rejects (with the first failure, or the abort reason)
 * when those in flight have settled.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (failures.length === 0 && next < items.length) {
      if (signal.aborted) {
        failures.push(signal.reason);
        return;
      }
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

/** The modification time (s) of the htable files as `prepareKamailio` writes them. */
const htableFileEpoch = 1;

/**
 * Writes the node's Kamailio files into `runDir` and returns the command line to run it. The
 * htables' db_text files are written empty (mode 0600: the device passwords go there when a
 * table is loaded whole), so a starting Kamailio holds exactly what the files hold.
 */
export function prepareKamailio(o: GatewayAgentOptions): {
  args: string[];
  rpcPort: number;
  htablesDbDir: string;
  uacDbDir: string;
} {
  const runDir = resolve(o.runDir);
  const kamailioRun = join(runDir, "kamailio");
  const uacDbDir = join(runDir, "uacdb");
  const htablesDbDir = join(runDir, "htables");
  mkdirSync(kamailioRun, { recursive: true });
  mkdirSync(uacDbDir, { recursive: true, mode: 0o700 });
  mkdirSync(htablesDbDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(htablesDbDir, "version"), renderHtableDbVersion());
  for (const name of htableNames) {
    const path = join(htablesDbDir, name);
    writeFileSync(path, renderHtableDb(new Map()), { mode: 0o600 });
    // an old modification time: the agent's first load of a table is always newer
    utimesSync(path, htableFileEpoch, htableFileEpoch);
  }
  const rpcPort = o.rpcPort ?? 5081;
  const node: KamailioNodeOptions = {
    nodeName: "teamgate-gateway",
    pbx: {
      address: o.sipAddress,
      port: o.sipPort,
      transports: ["udp", "tcp"],
      ...(o.pbxTlsPort === undefined ? {} : { tlsPort: o.pbxTlsPort }),
      ...(o.advertise ? { advertise: o.advertise } : {}),
    },
    microsoft: null,
    microsoftProxies: [],
    dispatcherListPath: join(runDir, "dispatcher.list"),
    uacDbDir,
    htablesDbDir,
    optionsFromHost: o.localDomain ?? o.advertise?.address ?? o.sipAddress,
    rpcPort,
    hepPort: o.hepPort ?? 9060,
    registrations: { expectedCount: o.cap ?? 5_000 },
    rtpengine: o.rtpengine
      ? { ngPort: o.rtpengine.ngPort ?? 2223, holdMusic: holdMusicPath(o, runDir) }
      : null,
    ...o.kamailio,
  };
  for (const [name, text] of Object.entries(renderUacregDb()))
    writeFileSync(join(uacDbDir, name), text, { mode: 0o600 });
  utimesSync(join(uacDbDir, "uacreg"), htableFileEpoch, htableFileEpoch);
  writeFileSync(node.dispatcherListPath, renderDispatcherList(node));
  const tls = renderTlsConfig(node);
  if (tls && node.microsoft?.tls) writeFileSync(node.microsoft.tls.configPath, tls);
  const configPath = join(runDir, "kamailio.cfg");
  writeFileSync(configPath, renderKamailioConfig(node));
  return {
    args: kamailioArgs({
      configPath,
      runDir: kamailioRun,
      expectedRegistrations: node.registrations.expectedCount,
    }),
    rpcPort,
    htablesDbDir,
    uacDbDir,
  };
}

/** The node's SIP listeners as Kamailio binds them: the PBX side, and Microsoft's when set. */
export function sipListeners(o: GatewayAgentOptions): {
  pbx: LocalEndpoint;
  listeners: LocalEndpoint[];
} {
  const pbx = { address: o.sipAddress, port: o.sipPort };
  const microsoft = o.kamailio?.microsoft;
  return {
    pbx,
    listeners: microsoft ? [pbx, { address: microsoft.address, port: microsoft.port }] : [pbx],
  };
}

/** Starts the agent: Kamailio, the feed, the lease loop, the reconcilers and the reports. */
export function startGatewayAgent(options: GatewayAgentOptions): GatewayAgent {
  const log = options.log ?? ((line: string) => process.stderr.write(`gateway: ${line}\n`));
  const cap = options.cap ?? 5_000;
  const reportEveryMs = options.reportEveryMs ?? 5_000;
  const leaseMarginMs = options.leaseMarginMs ?? 2_000;
  const bulkThreshold = options.htableBulkThreshold ?? 500;
  const lDomain = options.localDomain ?? options.advertise?.address ?? options.sipAddress;
  const tlsContact =
    options.pbxTlsPort === undefined
      ? undefined
      : `${hostPort(options.advertise?.address ?? options.sipAddress, options.pbxTlsPort)};transport=tls`;
  const client =
    options.client ?? createGatewayClient({ baseUrl: options.apiUrl, token: options.token });
  const store = options.store ?? fileCursorStore(join(resolve(options.runDir), "feed.json"));
  const controller = new AbortController();
  const signal = controller.signal;

  let state: RegionState = emptyState();
  let feedFollowed = false;
  let kamailioAnswered = false;
  let held: HeldLease[] = [];
  let periodSeconds = 30;
  /** What the agent set in Kamailio's htables since it last started. */
  let htables: Htables = emptyHtables();
  /** What each registration was added with, by l_uuid (uac does not show passwords). */
  const asked = new Map<string, Asked>();
  const lastReported = new Map<string, RegistrationReport["state"]>();
  let counts = { registered: 0, failed: 0, other: 0 };
  let lastError: string | null = null;
  let stopped = false;

  const fail = (what: string, error: unknown) => {
    if (signal.aborted) return;
    lastError = `${what}: ${message(error)}`;
    log(lastError);
  };

  // Listening before Kamailio starts, so its first messages are not lost.
  let hep: HepReceiver | null = null;
  /** The PBX's answers to REGISTERs, from the mirrored SIP: the codes of failed registrations. */
  const registerOutcomes = new RegisterOutcomes();
  const backoff = new RegistrationBackoff(options.registrationBackoff);
  if (options.receiveHep ?? true) {
    hep = startHepReceiver({
      port: options.hepPort ?? 9060,
      client,
      collector: sipListeners(options),
      owner: (call) => regionCallOwner(state)(call),
      registerOutcomes,
      log,
    });
    hep.listening.catch((error) => fail("HEP receiver", error));
  }

  let rpc: AgentRpc;
  let kamailio: AgentKamailio;
  let rtpengine: AgentKamailio | null = null;
  const ng = options.rtpengine
    ? createNgClient({ port: options.rtpengine.ngPort ?? 2223, timeoutMs: 500 })
    : null;
  /** The htables' db_text directory (null: tables are filled key by key only). */
  let htablesDbDir: string | null = null;
  /** What the htable files hold: a starting Kamailio loads exactly this. */
  const fileTables: Htables = emptyHtables();
  /** uac's db_text directory (null: registrations are added one by one only). */
  let uacDbDir: string | null = null;
  /** Each file's last modification time given (s): db_text re-reads on a change of it. */
  const fileMtimes = new Map<string, number>();
  /** Where the region's SRV and NAPTR PBX hosts may call from, kept fresh from DNS. */
  const pbxAddresses = watchPbxAddresses({
    dns: options.pbxDns ?? createPbxDns(options.dnsServers),
    onChange: () => void kick(),
    log,
  });
  /** The registrations the uacreg file held when Kamailio last started (uac loads them). */
  let preloaded: Registration[] = [];
  /** While uac may still be loading the rows Kamailio started with: those, and until when. */
  let uacLoading: { registrations: Registration[]; until: number } | null = null;
  /** Settles after the first lease round on a known region state. */
  let firstRoundDone = () => {};
  const firstRound = new Promise<void>((done) => {
    firstRoundDone = done;
  });
  const onStarted = () => {
    // a fresh Kamailio holds in its htables what their files hold, and the registrations of
    // uac's file (loading them may take it a while)
    htables = cloneHtables(fileTables);
    asked.clear();
    for (const r of preloaded) asked.set(r.l_uuid, askedOf(r));
    uacLoading =
      preloaded.length > 0 ? { registrations: preloaded, until: Date.now() + 30_000 } : null;
    kamailioAnswered = false;
    void kick();
  };
  if (options.startKamailio) {
    rpc = options.rpc ?? createKamailioRpc({ url: `http://127.0.0.1:${options.rpcPort}/RPC` });
    kamailio = options.startKamailio(onStarted);
  } else {
    if (options.rtpengine) {
      const media = options.rtpengine;
      rtpengine = superviseProcess({
        cmd: media.cmd ?? "rtpengine",
        args: rtpengineArgs({
          interface: {
            address: media.address ?? options.sipAddress,
            ...(media.advertise ? { advertise: media.advertise } : {}),
          },
          ngPort: media.ngPort ?? 2223,
          portMin: media.portMin ?? 30_000,
          portMax: media.portMax ?? 40_000,
        }),
        onOutput: (line) => log(`rtpengine: ${line}`),
        onEvent: (event) => {
          if (event.type === "exited")
            log(`rtpengine exited (code ${event.code}, signal ${event.signal})`);
        },
      });
    }
    const prepared = prepareKamailio(options);
    const { args, rpcPort } = prepared;
    htablesDbDir = prepared.htablesDbDir;
    uacDbDir = prepared.uacDbDir;
    rpc = options.rpc ?? createKamailioRpc({ url: `http://127.0.0.1:${rpcPort}/RPC` });
    const start = () =>
      superviseProcess({
        cmd: options.kamailioCmd ?? "kamailio",
        args,
        onOutput: (line) => log(`kamailio: ${line}`),
        beforeStart: writeStartFiles,
        onEvent: (event) => {
          if (event.type === "started") onStarted();
          else if (event.type === "exited") {
            kamailioAnswered = false;
            log(`kamailio exited (code ${event.code}, signal ${event.signal})`);
          }
        },
      });
    // Kamailio starts with the region's routes and the node's registrations (read from their
    // files as it starts), and once rtpengine answers; each wait is bounded
    const startWait = options.startWaitMs ?? 10_000;
    const waits = [
      settlesWithin(firstRound, startWait, signal).then((inTime) => {
        if (!inTime && !signal.aborted)
          log(`no region state within ${startWait} ms: starting Kamailio without it`);
      }),
    ];
    if (ng) waits.push(rtpengineAnswering(ng, signal, log));
    kamailio = startWhenReady(
      Promise.all(waits).then(() => {}),
      start,
      signal,
    );
  }

  async function releaseRound(release: readonly string[]): Promise<void> {
    if (release.length === 0) return;
    for (const id of release) {
      signal.throwIfAborted();
      await rpc.regRemove(id);
      asked.delete(id);
    }
    held = withoutLeases(held, release);
    await client.releaseLeases(release, signal);
  }

  async function leaseRound(): Promise<void> {
    const plan = planLeases({
      wanted: registrableDevices(state),
      held,
      now: Date.now(),
      periodSeconds,
      cap,
    });
    held = withoutLeases(held, plan.expired);
    await releaseRound(plan.release);
    if (plan.renew.length > 0) {
      const sentAt = Date.now();
      const answer = await client.renewLeases(plan.renew, signal);
      held = applyLeaseAnswer(held, answer, sentAt);
      periodSeconds = answer.leasePeriodSeconds || periodSeconds;
    }
    // A batch at a time until the node holds what it wants or its cap (or nothing more is
    // granted): the next round is a third of a lease period away, far too late for a node
    // starting with thousands of devices. Bounded, in case the server grants unwanted devices.
    let acquire = plan.acquire;
    for (let batch = 0; acquire && batch <= Math.ceil(cap / maxGatewayBatch); batch++) {
      const sentAt = Date.now();
      const answer = await client.acquireLeases(acquire, signal);
      held = applyLeaseAnswer(held, answer, sentAt);
      periodSeconds = answer.leasePeriodSeconds || periodSeconds;
      if (answer.leases.length === 0) break;
      acquire = planLeases({
        wanted: registrableDevices(state),
        held,
        now: Date.now(),
        periodSeconds,
        cap,
      }).acquire;
    }
  }

  /** Writes one htable's file (`writeDbTextFile`): what a starting Kamailio or a reload reads. */
  function writeHtableFile(dir: string, table: HtableName, entries: ReadonlyMap<string, string>) {
    writeDbTextFile(dir, table, renderHtableDb(entries));
    fileTables[table] = new Map(entries);
  }

  /** Loads one htable whole: its file written, then `htable.reload`. */
  async function loadHtable(
    table: HtableName,
    entries: ReadonlyMap<string, string>,
    call: NonNullable<AgentRpc["call"]>,
    dir: string,
  ): Promise<void> {
    writeHtableFile(dir, table, entries);
    await call("htable.reload", [table]);
    htables[table] = new Map(entries);
  }

  /** Sets, then deletes (a route is in place before an old one goes), a few calls in flight. */
  async function reconcileHtables(): Promise<void> {
    const desired = planHtables(state, pbxAddresses.addresses());
    let ops = diffHtables(desired, htables);
    // a table with many changes (a large import) is loaded whole from its file: one call
    const call = rpc.call;
    if (htablesDbDir && call) {
      const perTable = new Map<HtableName, number>();
      for (const op of ops) perTable.set(op.table, (perTable.get(op.table) ?? 0) + 1);
      const whole = [...perTable].filter(([, n]) => n > bulkThreshold).map(([table]) => table);
      for (const table of whole) {
        if (signal.aborted) return;
        await loadHtable(table, desired[table], call, htablesDbDir);
      }
      ops = ops.filter((op) => !whole.includes(op.table));
    }
    await forEachConcurrently(
      ops.filter((op) => op.op === "set"),
      rpcConcurrency,
      signal,
      async (op) => {
        await rpc.htableSet(op.table, op.key, op.value);
        htables[op.table].set(op.key, op.value);
      },
    );
    await forEachConcurrently(
      ops.filter((op) => op.op === "delete"),
      rpcConcurrency,
      signal,
      async (op) => {
        await rpc.htableDelete(op.table, op.key);
        htables[op.table].delete(op.key);
      },
    );
  }

  /**
   * Writes one db_text table file atomically (mode 0600: passwords go there), with a later
   * modification time than the last one given: db_text re-reads a file only when it changed, and
   * compares its time to the second.
   */
  function writeDbTextFile(dir: string, table: string, text: string): void {
    const path = join(dir, table);
    const temporary = `${path}.tmp`;
    writeFileSync(temporary, text, { mode: 0o600 });
    const last = fileMtimes.get(table) ?? htableFileEpoch;
    const mtime = Math.max(Math.floor(Date.now() / 1000), last + 1);
    utimesSync(temporary, mtime, mtime);
    renameSync(temporary, path);
    fileMtimes.set(table, mtime);
  }

  /** Writes uac's `uacreg` file with these registrations. */
  function writeUacreg(dir: string, registrations: readonly Registration[]): void {
    const rows = registrations.map((r) => toRegistrationSpec(r, lDomain, tlsContact));
    writeDbTextFile(dir, "uacreg", renderUacregDb(rows).uacreg);
  }

  /**
   * Before each start of Kamailio: the htable files and uac's table get what the region's state
   * and the node's leases call for now. htable loads its files before Kamailio's workers start,
   * so no device is registered before its calls can be routed, and uac sends every REGISTER as
   * it starts: no `uac.reg_reload` and no wait for its timer.
   */
  function writeStartFiles(): void {
    preloaded = [];
    if (state.cursor === null || !htablesDbDir || !uacDbDir) return;
    const desired = planHtables(state, pbxAddresses.addresses());
    for (const table of htableNames)
      if (!sameEntries(fileTables[table], desired[table]))
        writeHtableFile(htablesDbDir, table, desired[table]);
    const usable = usableLeases(held, Date.now(), leaseMarginMs);
    preloaded = planRegistrations(state, [], usable).add;
    writeUacreg(uacDbDir, preloaded);
  }

  /**
   * Waits until uac holds the registrations Kamailio started with (at most 30 s): while it is
   * loading them `uac.reg_dump` shows only some, and adding the others would add them twice.
   * They are what uac holds when it loaded them all (else null: ask it). The file is emptied
   * then: later changes go over JSON-RPC.
   */
  async function untilUacLoaded(
    loading: { registrations: Registration[]; until: number },
    call: NonNullable<AgentRpc["call"]>,
  ): Promise<ActualRegistration[] | null> {
    const expected = loading.registrations.length;
    let loaded: ActualRegistration[] | null = null;
    for (;;) {
      signal.throwIfAborted();
      // uac's count of the registrations it holds; null while Kamailio does not answer yet
      const count = await readStatistic(call, "regtotal").catch((error: unknown) => {
        if (Date.now() > loading.until) throw error;
        return null;
      });
      if (count === expected) {
        loaded = loading.registrations.map(toActual);
        log(`uac loaded the ${count} registrations Kamailio started with`);
        break;
      }
      if (count !== null && (count > expected || Date.now() > loading.until)) {
        log(`uac holds ${count} of the ${expected} registrations it started with`);
        break;
      }
      await new Promise((done) => setTimeout(done, 50));
    }
    uacLoading = null;
    if (uacDbDir) writeUacreg(uacDbDir, []);
    return loaded;
  }

  async function reconcileRegistrations(): Promise<void> {
    // right after a start, what uac loaded from its file: a dump of 10,000 records would hold
    // its locks in the middle of the first REGISTERs
    const loaded = uacLoading && rpc.call ? await untilUacLoaded(uacLoading, rpc.call) : null;
    const records = loaded ? null : await rpc.regDump();
    kamailioAnswered = true;
    const actual = loaded ?? records!.map((record) => toActualRegistration(record, asked));
    const plan = planRegistrations(state, actual, usableLeases(held, Date.now(), leaseMarginMs));
    // each registration has its own l_uuid: a few calls in flight do not race
    await forEachConcurrently(plan.remove, rpcConcurrency, signal, async (id) => {
      await rpc.regRemove(id);
      asked.delete(id);
    });
    await forEachConcurrently(plan.update, rpcConcurrency, signal, async (registration) => {
      await rpc.regReplace(toRegistrationSpec(registration, lDomain, tlsContact));
      backoff.forget(registration.l_uuid);
      asked.set(registration.l_uuid, askedOf(registration));
    });
    await forEachConcurrently(plan.add, rpcConcurrency, signal, async (registration) => {
      const spec = toRegistrationSpec(registration, lDomain, tlsContact);
      try {
        await rpc.regAdd(spec);
      } catch (error) {
        // held already (the mirror was behind): replace it
        if (!(error instanceof KamailioRpcError && error.code === 409)) throw error;
        await rpc.regReplace(spec);
      }
      backoff.forget(registration.l_uuid);
      asked.set(registration.l_uuid, askedOf(registration));
    });
  }

  /**
   * One pass: the htables, and beside them the leases then the registrations. Neither waits for
   * the other: filling the tables after a (re)start takes a second or more (longer key by key),
   * and registrations waiting for it would delay a cold start by as much, while leases taken
   * before it could run out before their registrations were added. The price: for that second a
   * device may be registered before the tables route its calls. The lease round runs even when
   * Kamailio is down or the htables failed. Every API call takes the agent's signal and every
   * Kamailio call is preceded by a check of it, so a stop cuts a pass short.
   */
  async function pass(): Promise<void> {
    if (state.cursor === null) return;
    const tables =
      kamailio.state === "running"
        ? reconcileHtables().then(
            () => null,
            (error: unknown) => ({ error }),
          )
        : Promise.resolve(null);
    let registrationsFailure: { error: unknown } | null = null;
    try {
      signal.throwIfAborted();
      try {
        await leaseRound();
      } catch (error) {
        fail("leases", error);
      }
      firstRoundDone();
      signal.throwIfAborted();
      if (kamailio.state === "running") await reconcileRegistrations();
    } catch (error) {
      registrationsFailure = { error };
    }
    const failure = registrationsFailure ?? (await tables);
    if (failure) throw failure.error;
  }

  // Passes are serialized: a kick during a pass runs one more pass after it.
  let running: Promise<void> | null = null;
  let again = false;
  let retryTimer: NodeJS.Timeout | null = null;
  function kick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await pass();
        } catch (error) {
          fail("reconcile", error);
          // Kamailio may still be starting: try again shortly
          if (!stopped && !retryTimer)
            retryTimer = setTimeout(() => {
              retryTimer = null;
              void kick();
            }, 1_000);
        }
      } while (again && !stopped);
      running = null;
    })();
    return running;
  }

  // The lease loop: a pass every third of the lease period.
  let leaseTimer: NodeJS.Timeout | null = null;
  const scheduleLeases = () => {
    if (stopped) return;
    leaseTimer = setTimeout(
      () => {
        void kick().finally(scheduleLeases);
      },
      Math.max(1_000, (periodSeconds * 1000) / 3),
    );
  };
  scheduleLeases();

  // Registration reports.
  let reportTimer: NodeJS.Timeout | null = null;
  async function report(): Promise<void> {
    if (signal.aborted || kamailio.state !== "running") return;
    const records = await rpc.regDump();
    counts = { registered: 0, failed: 0, other: 0 };
    for (const record of records) {
      if (record.state === "registered") counts.registered++;
      // a disabled record is a failed one waiting for its next try
      else if (record.state === "failed" || record.state === "disabled") counts.failed++;
      else counts.other++;
    }
    // failed registrations are tried again after a growing wait, not every retry interval
    const retry = backoff.plan(records, Date.now());
    await forEachConcurrently(retry.disable, rpcConcurrency, signal, (id) =>
      rpc.regSetEnabled(id, false),
    );
    await forEachConcurrently(retry.enable, rpcConcurrency, signal, (id) =>
      rpc.regSetEnabled(id, true),
    );
    const leased = new Set(held.map((l) => l.deviceId));
    const reports = dueReports(records, leased, lastReported, new Date().toISOString(), (id) =>
      registerOutcomes.lastFor(id),
    );
    for (const id of lastReported.keys()) if (!leased.has(id)) lastReported.delete(id);
    if (reports.length === 0) return;
    const results = await client.reportRegistrations(reports, signal);
    const ok = new Set(results.items.filter((i) => i.status === 200).map((i) => i.deviceId));
    for (const item of reports)
      if (ok.has(item.deviceId)) lastReported.set(item.deviceId, item.state);
  }
  const scheduleReport = () => {
    if (stopped) return;
    reportTimer = setTimeout(() => {
      report()
        .catch((error) => fail("reports", error))
        .finally(scheduleReport);
    }, reportEveryMs);
  };
  scheduleReport();

  // The feed: readiness counts a successful read even when it changed nothing.
  const followed = followFeed({
    client: {
      snapshot: async (s) => {
        const snapshot = await client.snapshot(s);
        feedFollowed = true;
        return snapshot;
      },
      changes: async (after, wait, s) => {
        const page = await client.changes(after, wait, s);
        feedFollowed = true;
        return page;
      },
    },
    store,
    signal,
    waitSeconds: options.feedWaitSeconds,
    onChanged: (update) => {
      state = update.state;
      pbxAddresses.update(pbxLookups(state));
      void kick();
    },
    onError: (error, delayMs) => fail(`feed (next try in ${delayMs} ms)`, error),
  }).catch((error) => {
    fail("feed stopped", error);
  });

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      controller.abort();
      pbxAddresses.stop();
      for (const timer of [leaseTimer, reportTimer, retryTimer]) if (timer) clearTimeout(timer);
      await running;
      await followed;
      // Kamailio's registrations go with it (they are no longer refreshed); then the leases
      await kamailio.stop();
      await rtpengine?.stop();
      const leased = held.map((l) => l.deviceId);
      // the receiver posts the calls that ended within its own deadline (3 s)
      const flushed = hep?.stop();
      if (leased.length > 0) {
        await Promise.race([
          client.releaseLeases(leased).catch((error) => fail("release on stop", error)),
          new Promise((done) => setTimeout(done, 3_000)),
        ]);
      }
      await flushed;
      held = [];
    },
    async metrics() {
      const asked = async <T>(what: () => Promise<T>): Promise<T | null> => {
        try {
          return await what();
        } catch {
          return null;
        }
      };
      const call = rpc.call;
      const running = kamailio.state === "running";
      const dialogs =
        running && call
          ? await asked(() => call<Record<string, number>>("dlg.stats_active"))
          : null;
      const dispatcher =
        running && call
          ? await asked(() =>
              call<{
                RECORDS?: Array<{
                  SET?: { TARGETS?: Array<{ DEST?: { URI?: string; FLAGS?: string } }> };
                }>;
              }>("dispatcher.list"),
            )
          : null;
      const mediaSessions =
        rtpengine?.state === "running" && ng ? await asked(() => rtpengineSessions(ng)) : null;
      const hepStats = hep?.stats();
      return {
        kamailioUp: running && kamailioAnswered,
        rtpengineUp: rtpengine ? rtpengine.state === "running" : null,
        registrations: { ...counts },
        leases: held.length,
        dialogs: dialogs
          ? {
              early: (dialogs.starting ?? 0) + (dialogs.connecting ?? 0),
              answered: (dialogs.answering ?? 0) + (dialogs.ongoing ?? 0),
            }
          : null,
        mediaSessions,
        microsoftProxies: (dispatcher?.RECORDS ?? []).flatMap((record) =>
          (record.SET?.TARGETS ?? []).map((target) => ({
            uri: target.DEST?.URI ?? "",
            up: proxyIsUp(target.DEST?.FLAGS ?? ""),
          })),
        ),
        calls: hep?.endedLegs() ?? [],
        hep: hepStats
          ? {
              packets: hepStats.packets,
              cdrsPosted: hepStats.cdrsPosted,
              tracesPosted: hepStats.tracesPosted,
              dropped: hepStats.cdrsDropped + hepStats.tracesDropped + hepStats.evicted,
            }
          : null,
      };
    },
    async crash() {
      if (stopped) return;
      stopped = true;
      controller.abort();
      pbxAddresses.stop();
      for (const timer of [leaseTimer, reportTimer, retryTimer]) if (timer) clearTimeout(timer);
      await kamailio.stop({ kill: true });
      await rtpengine?.stop({ kill: true });
      await hep?.stop();
      await running;
      await followed;
      held = [];
    },
    ready() {
      const media = rtpengine === null || rtpengine.state === "running";
      return kamailio.state === "running" && kamailioAnswered && feedFollowed && media;
    },
    health() {
      return {
        kamailio: kamailio.state,
        rtpengine: rtpengine?.state ?? "none",
        feedFollowed,
        cursor: state.cursor,
        leases: held.length,
        registrations: { ...counts },
        calls: hep ? callCounts(hep) : null,
        lastError,
      };
    },
  };
}
