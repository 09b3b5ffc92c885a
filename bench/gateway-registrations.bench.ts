import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AgentRpc, prepareKamailio, startGatewayAgent } from "../src/gateway/agent.ts";
import type { GatewayClient } from "../src/gateway/feed/client.ts";
import { memoryCursorStore } from "../src/gateway/feed/cursor-store.ts";
import { renderHtableDb, renderUacregDb, type UacregRow } from "../src/gateway/kamailio/render.ts";
import { createKamailioRpc, type KamailioRpc, readStatistic } from "../src/gateway/kamailio/rpc.ts";
import {
  type DemoPbx,
  freePort,
  pbxRegistered,
  startDemoPbx,
} from "../src/gateway/kamailio.test-support.ts";
import { planHtables } from "../src/gateway/reconcile/htables.ts";
import { applySnapshot } from "../src/gateway/state.ts";
import type {
  GatewayChanges,
  GatewaySnapshot,
  GatewayUser,
  LeasesResponse,
  RegistrationReport,
} from "../src/shared/contracts/gateway.ts";
import { printTable, round } from "./lib.ts";

const deviceCount = Number(process.env.BENCH_GATEWAY_DEVICES ?? 10_000);
/** sipp's call rate (calls/s, one registration each): high enough that sipp is not the limit. */
const sippRate = Number(process.env.BENCH_SIPP_RATE ?? 20_000);
const scenario = fileURLToPath(new URL("./sipp-register.xml", import.meta.url));
/** The PBX's memory for the run: 10,000 contacts, their transactions and nonces, and ul.dump. */
const pbxMemory = { sharedMemoryMb: 256, pkgMemoryMb: 64 };
const pollMs = 250;
/** The API's default (GATEWAY_LEASE_SECONDS). */
const leasePeriodSeconds = 30;
const expires = 300;

interface Account {
  deviceId: string;
  /** The AOR's user part at the PBX (the extension). */
  aor: string;
  authId: string;
  password: string;
}

/**
 * A gateway node registering 10,000 PBX users at the demo PBX (dev/pbx, a Kamailio digest
 * registrar, one fresh one per run). Baseline (a): sipp registering the same accounts with
 * digest straight to the PBX (one call per account, `bench/sipp-register.xml`). Product (b):
 * the real gateway agent (`startGatewayAgent`, its own Kamailio started cold, uac over JSON-RPC)
 * fed by an in-process fake API that grants every lease and accepts every report. Both are
 * timed to the same probe: the PBX's registered count, polled every 250 ms, reaching the count;
 * the set of AORs is then checked exactly. Prints the ratio time (a) ÷ time (b) (goal >= 0.5)
 * and (b)'s time to all registered (goal < 15 s). Two floors under (b) in the same run, each
 * against a fresh PBX: (c) the node's Kamailio started with every registration in uac's file and
 * nothing else, (d) the same with the routing htables (b) starts with (ADR 0025). Skipped without
 * `kamailio` or `sipp`.
 */
export async function benchGatewayRegistrations(): Promise<void> {
  const title = `Gateway registrations: ${deviceCount} PBX users with digest at the demo PBX`;
  const missing = ["kamailio", "sipp"].filter(
    (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status !== 0,
  );
  if (missing.length > 0) {
    process.stdout.write(
      `\n${title}: skipped, ${missing.join(" and ")} not on PATH (Debian: apt-get install kamailio kamailio-json-modules kamailio-extra-modules sip-tester)\n`,
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "teamgate-bench-gw-"));
  const logs: string[] = [];
  const log = (line: string) => {
    if (process.env.BENCH_GATEWAY_LOG === "1" && !line.includes(" INFO: "))
      process.stderr.write(`${line}\n`);
    logs.push(line);
    if (logs.length > 200) logs.shift();
  };
  const accounts: Account[] = Array.from({ length: deviceCount }, (_, i) => {
    const ext = String(1_000_000 + i);
    return {
      deviceId: `dev_bench${ext}`,
      aor: ext,
      // the demo PBX wants the digest user name to be the AOR's user (pv_auth_check's check)
      authId: ext,
      password: `pw-${ext}-${crypto.randomUUID().slice(0, 8)}`,
    };
  });
  try {
    // (a) first, then (b); each against a PBX started afresh for it (no registration held).
    const baseline = await measureSipp(join(dir, "a"), accounts, log);
    process.stdout.write(
      `\n${title}: (a) sipp, all registered after ${round(baseline.seconds, 2)} s; (b) running\n`,
    );
    const product = await measureAgent(join(dir, "b"), accounts, log);
    const uacAlone = await measureUacAlone(join(dir, "c"), accounts, log, false);
    const uacWithTables = await measureUacAlone(join(dir, "d"), accounts, log, true);
    const floorRow = (run: string, floor: typeof uacAlone, notes: string) => ({
      run,
      "s to all registered": round(floor.seconds, 2),
      "s to all reported": "",
      "registrations/s": perSecond(floor.seconds),
      "at the PBX": floor.registered,
      "ratio (a)/(b)": round(baseline.seconds / floor.seconds, 3),
      notes: `${notes}; ${floor.progress}`,
    });
    const perSecond = (s: number) => round(deviceCount / s, 0);
    const ratio = baseline.seconds / product.registeredSeconds;
    printTable(
      `${title}. (a) sipp straight to the PBX at -r ${sippRate}; (b) the gateway agent (cold: its Kamailio not yet running), cap ${deviceCount}, fake API in-process granting every lease. Time = until the PBX's registered count (polled every ${pollMs} ms) reaches ${deviceCount}; a registration is 2 REGISTERs (challenge, then digest). Ratio = time (a) ÷ time (b). Goals: ratio >= 0.5 and (b) < 15 s to all registered.`,
      [
        {
          run: "(a) sipp → PBX",
          "s to all registered": round(baseline.seconds, 2),
          "s to all reported": "",
          "registrations/s": perSecond(baseline.seconds),
          "at the PBX": baseline.registered,
          "ratio (a)/(b)": "",
          notes: `sipp exited after ${round(baseline.sippSeconds, 2)} s, code ${baseline.sippCode}; ${baseline.progress}`,
        },
        {
          run: "(b) gateway agent → its Kamailio → PBX",
          "s to all registered": round(product.registeredSeconds, 2),
          "s to all reported": round(product.reportedSeconds, 2),
          "registrations/s": perSecond(product.registeredSeconds),
          "at the PBX": product.registered,
          "ratio (a)/(b)": round(ratio, 3),
          notes: `reported registered: ${product.reported}; bench process RSS ${product.agentRssMb} MB; Kamailio RSS ${product.kamailio.rssMb} MB (PSS ${product.kamailio.pssMb} MB) over ${product.kamailio.processes} processes`,
        },
        floorRow(
          "(c) Kamailio's uac alone, every registration in its file at start",
          uacAlone,
          "no agent, API, leases, htables or HEP receiver",
        ),
        floorRow(
          "(d) as (c), with the routing htables (b) starts with",
          uacWithTables,
          "the floor under (b)",
        ),
      ],
    );
    const lost = deviceCount - product.registered;
    const goals = [
      `ratio >= 0.5: ${ratio >= 0.5 ? "met" : "missed"} (${round(ratio, 3)})`,
      `(b) < 15 s to all registered: ${product.registeredSeconds < 15 ? "met" : "missed"} (${round(product.registeredSeconds, 2)} s)`,
      `none lost: ${lost === 0 && product.reported === deviceCount ? "met" : "missed"} (${product.registered} at the PBX, ${product.reported} reported registered, of ${deviceCount})`,
    ];
    process.stdout.write(
      `${goals.join("\n")}\n(b) the agent's JSON-RPC calls (completed, from agent start): ${product.rpcCalls}\n(b) at the PBX: ${product.progress}; Kamailio ${product.shm}\nRSS: the bench process is Node with tsx, the agent and the fake API holding the snapshot (and what the run allocated before); Kamailio's RSS is summed over its processes (its shared memory counted in each), PSS counts it once.\n`,
    );
  } catch (error) {
    process.stderr.write(`${logs.slice(-60).join("\n")}\n`);
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function startPbx(dir: string, accounts: readonly Account[], log: (line: string) => void) {
  mkdirSync(dir, { recursive: true });
  return startDemoPbx(
    dir,
    accounts.map((a) => ({ authId: a.authId, password: a.password })),
    log,
    undefined,
    pbxMemory,
  );
}

/** The PBX's count of registered AORs (a statistic: cheap enough to poll while it works). */
async function pbxCount(pbx: DemoPbx): Promise<number> {
  return readStatistic(pbx.rpc.call, "registered_users");
}

/**
 * Polls the PBX every `pollMs` until it holds `count` registrations; seconds since `from`.
 * `progress` gets the first poll (s) at which the count reached 1 %, 50 % and 90 %.
 */
async function untilRegistered(
  pbx: DemoPbx,
  count: number,
  from: number,
  timeoutMs: number,
  gaveUp: () => string | null = () => null,
  progress: Map<number, number> = new Map(),
): Promise<number> {
  const deadline = from + timeoutMs;
  for (;;) {
    const reason = gaveUp();
    const n = await pbxCount(pbx).catch(() => -1);
    const at = (performance.now() - from) / 1000;
    for (const share of [0.01, 0.5, 0.9])
      if (n >= count * share && !progress.has(share)) progress.set(share, round(at, 2));
    if (n >= count) return at;
    if (reason) throw new Error(`${n} of ${count} registered at the PBX: ${reason}`);
    if (performance.now() > deadline)
      throw new Error(`${n} of ${count} registered at the PBX after ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, pollMs));
  }
}

const progressText = (progress: ReadonlyMap<number, number>) =>
  [...progress].map(([share, s]) => `${share * 100} % by ${s} s`).join(", ");

/** Exactly the accounts' AORs at the PBX, from `ul.dump`; the number that are. */
async function verifyAors(pbx: DemoPbx, accounts: readonly Account[]): Promise<number> {
  const aors = await pbxRegistered(pbx.rpc);
  const present = accounts.filter((a) => aors.has(a.aor)).length;
  if (present !== accounts.length || aors.size !== accounts.length)
    throw new Error(
      `the PBX holds ${aors.size} AORs, ${present} of the ${accounts.length} expected`,
    );
  return present;
}

async function measureSipp(dir: string, accounts: readonly Account[], log: (l: string) => void) {
  const pbx = await startPbx(dir, accounts, log);
  try {
    const injection = join(dir, "accounts.csv");
    writeFileSync(
      injection,
      `SEQUENTIAL\n${accounts.map((a) => `${a.aor};[authentication username=${a.authId} password=${a.password}]`).join("\n")}\n`,
    );
    const args = [
      `127.0.0.1:${pbx.port}`,
      ...["-sf", scenario, "-inf", injection, "-t", "u1"],
      ...["-i", "127.0.0.1", "-p", String(await freePort())],
      ...["-m", String(accounts.length), "-r", String(sippRate), "-rp", "1000"],
      ...["-timeout", "120s", "-timeout_error", "-nostdin"],
      ...["-trace_err", "-error_file", join(dir, "sipp-errors.log")],
    ];
    const t0 = performance.now();
    const sipp = new Promise<number>((done, fail) => {
      const child = spawn("sipp", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
      child.stderr.on("data", (chunk: Buffer) => log(`sipp: ${chunk.toString().trim()}`));
      child.on("error", fail);
      child.on("exit", (code) => done(code ?? -1));
    });
    let sippCode: number | null = null;
    void sipp.then((code) => {
      sippCode = code;
    });
    const progress = new Map<number, number>();
    const seconds = await untilRegistered(
      pbx,
      accounts.length,
      t0,
      120_000,
      () => (sippCode === null ? null : `sipp exited with code ${sippCode}`),
      progress,
    );
    await sipp;
    const sippSeconds = (performance.now() - t0) / 1000;
    const registered = await verifyAors(pbx, accounts);
    return { seconds, sippSeconds, sippCode, registered, progress: progressText(progress) };
  } finally {
    await pbx.process.stop();
  }
}

/** A fake gateway API in this process: the snapshot, every lease granted, reports recorded. */
function fakeApi(snapshot: GatewaySnapshot) {
  const deviceIds = snapshot.users.flatMap((u) => (u.device ? [u.device.deviceId] : []));
  /** Lease expiry by device (ms): one node, so a device asked for by id is always granted. */
  const leased = new Map<string, number>();
  const reported = new Map<string, RegistrationReport["state"]>();
  const grant = (ids: readonly string[]): LeasesResponse => {
    const until = Date.now() + leasePeriodSeconds * 1000;
    const expiresAt = new Date(until).toISOString();
    for (const id of ids) leased.set(id, until);
    return {
      leases: ids.map((deviceId) => ({ deviceId, expiresAt })),
      lost: [],
      leasePeriodSeconds,
    };
  };
  const client: GatewayClient = {
    snapshot: async () => snapshot,
    changes: (_after, _wait, signal) =>
      new Promise<GatewayChanges>((_, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
    acquireLeases: async (body) => {
      const max = body.max ?? 100;
      if (body.deviceIds) return grant(body.deviceIds.slice(0, max));
      const now = Date.now();
      const free = deviceIds.filter((id) => (leased.get(id) ?? 0) <= now);
      return grant(free.slice(0, max));
    },
    renewLeases: async (ids) => grant(ids),
    releaseLeases: async (ids) => {
      for (const id of ids) leased.delete(id);
      return { leases: [], lost: [], leasePeriodSeconds };
    },
    reportRegistrations: async (items) => {
      for (const item of items) reported.set(item.deviceId, item.state);
      return { items: items.map((i) => ({ deviceId: i.deviceId, status: 200 as const })) };
    },
    postCdrs: async () => ({ accepted: 0, duplicates: 0 }),
    postTraces: async () => ({ accepted: 0, duplicates: 0 }),
  };
  const registeredCount = () => {
    let n = 0;
    for (const state of reported.values()) if (state === "registered") n++;
    return n;
  };
  return { client, registeredCount };
}

function benchSnapshot(accounts: readonly Account[], pbxPort: number): GatewaySnapshot {
  const users: GatewayUser[] = accounts.map((a, i) => ({
    userId: `usr_bench${a.aor}`,
    enterpriseId: "ent_bench",
    displayName: `Bench User ${i}`,
    service: "pbx",
    pbxId: "pbx_bench",
    sipUser: `${a.aor}@127.0.0.1`,
    phoneNumber: `+3220${String(i).padStart(7, "0")}`,
    forwardedDids: [],
    callerNamePolicy: "TRANSPARENT",
    callerName: null,
    forwardedCallerId: "USER_CALLER_ID",
    enabled: true,
    device: { deviceId: a.deviceId, sipAuthId: a.authId, password: a.password },
  }));
  return {
    cursor: "1.0",
    regionId: "reg_bench",
    nodeId: "gwn_bench",
    enterprises: [
      {
        enterpriseId: "ent_bench",
        name: "Bench",
        tenantId: "00000000-0000-0000-0000-00000000beef",
        pbxMusicOnHold: false,
        trunks: [{ fqdn: "bench.eu.sbc.example", priority: 0, status: "active" }],
      },
    ],
    pbxes: [
      {
        pbxId: "pbx_bench",
        enterpriseId: "ent_bench",
        locationName: "Bench",
        dnsLookup: "A",
        sipDomain: "127.0.0.1",
        sipProxy: `127.0.0.1:${pbxPort}`,
        transport: "udp",
        registrationExpiry: expires,
        codecs: ["PCMU"],
        dtmfMode: "rfc2833",
        voicemailFeatureCode: null,
      },
    ],
    users,
  };
}

/**
 * The agent's own JSON-RPC client, counting each method's successful calls and when the first
 * and the last of them completed (seconds from `from`): where the product's time goes.
 */
function timedRpc(inner: KamailioRpc) {
  let t0 = performance.now();
  const calls = new Map<string, { count: number; first: number; last: number }>();
  const timed =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await fn(...args);
      const at = (performance.now() - t0) / 1000;
      const seen = calls.get(name);
      if (seen) {
        seen.count++;
        seen.last = at;
      } else calls.set(name, { count: 1, first: at, last: at });
      return result;
    };
  const rpc: AgentRpc = {
    regAdd: timed("uac.reg_add", inner.regAdd),
    regReplace: timed("regReplace", inner.regReplace),
    regRemove: timed("regRemove", inner.regRemove),
    regDump: timed("uac.reg_dump", inner.regDump),
    htableSet: timed("htable.sets", inner.htableSet),
    htableDelete: timed("htable.delete", inner.htableDelete),
    regSetEnabled: timed("uac.reg_enable/disable", inner.regSetEnabled),
    // other commands (htable.reload of a table loaded whole, metrics) timed by method name
    call: <T>(method: string, params?: Parameters<KamailioRpc["call"]>[1]) =>
      timed(method, () => inner.call<T>(method, params))(),
  };
  return {
    rpc,
    from(at: number) {
      t0 = at;
    },
    summary: () =>
      [...calls]
        .map(([name, c]) => `${name} ×${c.count} (${round(c.first, 1)}–${round(c.last, 1)} s)`)
        .join(", "),
  };
}

/** Kamailio's processes started with `configPath`: resident and proportional memory, MB. */
function kamailioMemory(configPath: string) {
  let rssKb = 0;
  let pssKb = 0;
  let processes = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!cmdline.includes(configPath)) continue;
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      rssKb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const rollup = readFileSync(`/proc/${entry}/smaps_rollup`, "utf8");
      pssKb += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      processes++;
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return { rssMb: round(rssKb / 1024, 0), pssMb: round(pssKb / 1024, 0), processes };
}

/**
 * A floor under (b): the node's own Kamailio configuration started with every registration in
 * uac's table (uac loads it as Kamailio starts and sends at once), and with `tables` the routing
 * htables the agent would write for the snapshot (htable loads them before Kamailio's workers
 * start). No agent, API, leases or HEP receiver. Timed from the exec of Kamailio.
 */
async function measureUacAlone(
  dir: string,
  accounts: readonly Account[],
  log: (l: string) => void,
  tables: boolean,
) {
  const pbx = await startPbx(dir, accounts, log);
  const prepared = prepareKamailio({
    apiUrl: "http://api.invalid/api/v1",
    token: "gw.bench.secret",
    sipAddress: "127.0.0.1",
    sipPort: await freePort(),
    rpcPort: await freePort(),
    hepPort: await freePort(),
    runDir: join(dir, "node"),
    cap: accounts.length,
  });
  const rows: UacregRow[] = accounts.map((a) => ({
    lUuid: a.deviceId,
    lUsername: a.deviceId,
    lDomain: "127.0.0.1",
    rUsername: a.aor,
    rDomain: "127.0.0.1",
    realm: "",
    authUsername: a.authId,
    authPassword: a.password,
    authProxy: `sip:127.0.0.1:${pbx.port}`,
    expires,
  }));
  writeFileSync(join(prepared.uacDbDir, "uacreg"), renderUacregDb(rows).uacreg);
  if (tables) {
    const planned = planHtables(applySnapshot(benchSnapshot(accounts, pbx.port)).state);
    for (const [name, entries] of Object.entries(planned))
      writeFileSync(join(prepared.htablesDbDir, name), renderHtableDb(entries));
  }
  const t0 = performance.now();
  const kamailio = spawn("kamailio", prepared.args, { stdio: ["ignore", "ignore", "pipe"] });
  kamailio.stderr.on("data", (chunk: Buffer) => log(`kamailio: ${chunk.toString().trim()}`));
  const exited = new Promise((done) => kamailio.once("exit", done));
  try {
    const progress = new Map<number, number>();
    const seconds = await untilRegistered(pbx, accounts.length, t0, 120_000, undefined, progress);
    const registered = await verifyAors(pbx, accounts);
    return { seconds, registered, progress: progressText(progress) };
  } finally {
    kamailio.kill("SIGTERM");
    await exited;
    await pbx.process.stop();
  }
}

async function measureAgent(dir: string, accounts: readonly Account[], log: (l: string) => void) {
  const pbx = await startPbx(dir, accounts, log);
  const api = fakeApi(benchSnapshot(accounts, pbx.port));
  const runDir = join(dir, "agent");
  const rpcPort = await freePort();
  const rpc = timedRpc(createKamailioRpc({ url: `http://127.0.0.1:${rpcPort}/RPC` }));
  const options = {
    apiUrl: "http://api.invalid/api/v1",
    token: "gw.bench.secret",
    sipAddress: "127.0.0.1",
    sipPort: await freePort(),
    rpcPort,
    hepPort: await freePort(),
    runDir,
    cap: accounts.length,
    log: (line: string) => log(`agent: ${line}`),
    client: api.client,
    store: memoryCursorStore(),
    rpc: rpc.rpc,
    // BENCH_HTABLE_BULK=N: tables with more than N changes are loaded whole from their files
    // (the agent's default is 500; Infinity fills them key by key, to compare)
    ...(process.env.BENCH_HTABLE_BULK
      ? { htableBulkThreshold: Number(process.env.BENCH_HTABLE_BULK) }
      : {}),
    // BENCH_HEP=0: no HEP receiver in the agent (what mirroring every message costs)
    ...(process.env.BENCH_HEP === "0" ? { receiveHep: false } : {}),
    // BENCH_UAC_TIMER=s: uac's reg_timer_interval; BENCH_UDP_BUFFER=bytes: Kamailio's maxbuffer
    kamailio: {
      ...(process.env.BENCH_UAC_TIMER
        ? {
            registrations: {
              expectedCount: accounts.length,
              timerInterval: Number(process.env.BENCH_UAC_TIMER),
            },
          }
        : {}),
      ...(process.env.BENCH_UDP_BUFFER
        ? { udpReceiveBufferMax: Number(process.env.BENCH_UDP_BUFFER) }
        : {}),
    },
  };
  const t0 = performance.now();
  rpc.from(t0);
  const agent = startGatewayAgent(options);
  try {
    const progress = new Map<number, number>();
    const registeredSeconds = await untilRegistered(
      pbx,
      accounts.length,
      t0,
      300_000,
      undefined,
      progress,
    );
    const registered = await verifyAors(pbx, accounts);
    const deadline = performance.now() + 60_000;
    while (api.registeredCount() < accounts.length && performance.now() < deadline)
      await new Promise((done) => setTimeout(done, 50));
    const reportedSeconds = (performance.now() - t0) / 1000;
    const agentRssMb = round(process.memoryUsage().rss / 1024 / 1024, 0);
    const kamailio = kamailioMemory(join(runDir, "kamailio.cfg"));
    // shared memory: the most used so far (a cold start's transactions), of the size given
    const shm = await rpc.rpc.call!<{ total?: number; max_used?: number }>("core.shmmem", [
      "m",
    ]).catch(() => null);
    return {
      registeredSeconds,
      reportedSeconds,
      registered,
      reported: api.registeredCount(),
      agentRssMb,
      kamailio,
      rpcCalls: rpc.summary(),
      progress: progressText(progress),
      shm: shm ? `shm max used ${shm.max_used} of ${shm.total} MB` : "shm not read",
    };
  } finally {
    await agent.stop();
    await pbx.process.stop();
  }
}
