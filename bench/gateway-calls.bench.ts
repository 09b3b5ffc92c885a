import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildEnterprise,
  buildPbx,
  buildSnapshot,
  buildUser,
} from "../src/gateway/gateway.test-support.ts";
import {
  kamailioArgs,
  NODE_CALLS_PER_SECOND,
  renderDispatcherList,
  renderKamailioConfig,
  renderUacregDb,
} from "../src/gateway/kamailio/render.ts";
import { createKamailioRpc } from "../src/gateway/kamailio/rpc.ts";
import { TO_MICROSOFT } from "../src/gateway/kamailio/templates/kamailio-cfg.ts";
import { freePort, until } from "../src/gateway/kamailio.test-support.ts";
import { diffHtables, emptyHtables, planHtables } from "../src/gateway/reconcile/htables.ts";
import { rtpengineArgs } from "../src/gateway/rtpengine/render.ts";
import { calleeScenario, callerScenario } from "../src/gateway/sipp.test-support.ts";
import { applySnapshot } from "../src/gateway/state.ts";
import { printTable, round } from "./lib.ts";

/** The rate every side must sustain at full length (calls/s). */
const rate = Number(process.env.BENCH_CALLS_RATE ?? 100);
const seconds = Number(process.env.BENCH_CALLS_SECONDS ?? 60);
/** Higher rates tried after the full-length run, shorter, until a side fails calls. */
const steps = (process.env.BENCH_CALLS_STEPS ?? "200,400,600,800,1000,1200,1600")
  .split(",")
  .filter(Boolean)
  .map(Number);
const stepSeconds = Number(process.env.BENCH_CALLS_STEP_SECONDS ?? 10);
const holdMs = Number(process.env.BENCH_CALLS_HOLD_MS ?? 1_000);
const userCount = Number(process.env.BENCH_CALLS_USERS ?? 1_000);
/** Two cores: as many SIP workers as a small node would run (UDP and TCP each). */
const children = Number(process.env.BENCH_CALLS_CHILDREN ?? 4);
/** Which sides to run (both by default; one while looking into a failure). */
const sides = (process.env.BENCH_CALLS_SIDES ?? "baseline,gateway")
  .split(",")
  .filter((s): s is Side => s === "baseline" || s === "gateway");
const maxRate = Math.max(rate, ...steps);
const pikeDensity = 4 * maxRate;
const FQDN = "ent1.eu.sbc.example";
const PBX_DOMAIN = "pbx.acme.example";
const clockTicks = 100;

type Side = "gateway" | "baseline";

interface StepFigures {
  side: Side;
  target: number;
  seconds: number;
  /** Calls set up per second: PDD samples over the span they were taken in. */
  cps: number;
  successful: number;
  failed: number;
  pddP50: number;
  pddP99: number;
  /** CPU % (of one core) over the step, by process group, and the machine's busy % (of all). */
  cpu: {
    kamailio: number;
    rtpengine: number;
    uac: number;
    uas: number;
    /** This process: the HEP sink (the gateway's siptrace mirror) and the sampling. */
    bench: number;
    machine: number;
  };
  /** Kamailio's shared memory high-water mark so far and its size, MB (gateway: JSON-RPC). */
  shmPeakMb: number | null;
  shmMb: number;
  /** UDP datagrams the kernel dropped at a full socket receive buffer, machine-wide. */
  udpDrops: number;
  /** CPU ms of Kamailio + rtpengine per successful call. */
  serverCpuMsPerCall: number;
  sippCode: number;
}

/**
 * Calls from the PBX to a Teams user through a gateway node: sipp as the PBX calls
 * `sip:<device>@node` (RTP/AVP offer), the node's real Kamailio (rendered config, htables for
 * `userCount` users over JSON-RPC, dispatcher, dialogs, siptrace) and rtpengine (SRTP towards
 * Microsoft) relay to a sipp UAS playing Microsoft's proxy on TCP (SRTP answer), 180/200, ACK,
 * a hold, BYE. Baseline in the same run: a plain stateful Kamailio proxy (record_route, the same
 * rtpengine offer/answer flags) relaying to the same kind of UAS. Each side at `rate` for
 * `seconds`, then at higher rates for `stepSeconds` until calls fail: sustained CPS, failures,
 * post-dial delay p50/p99 (INVITE → first 180/200, sipp's rtd), CPU by process. Skipped without
 * kamailio, rtpengine or sipp.
 */
export async function benchGatewayCalls(): Promise<void> {
  const title = `Gateway calls: sipp as the PBX through a gateway node to sipp as Microsoft (${userCount} users)`;
  const missing = ["kamailio", "rtpengine", "sipp"].filter(
    (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status !== 0,
  );
  if (missing.length > 0) {
    process.stdout.write(
      `\n${title}: skipped, ${missing.join(" and ")} not on PATH (Debian: apt-get install kamailio kamailio-json-modules kamailio-extra-modules rtpengine-daemon sip-tester)\n`,
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "teamgate-bench-calls-"));
  const logs: string[] = [];
  const log = (line: string) => {
    if (process.env.BENCH_CALLS_LOG === "1") process.stderr.write(`${line}\n`);
    logs.push(line);
    if (logs.length > 300) logs.shift();
  };
  const hepSink = createSocket("udp4");
  hepSink.on("message", () => {});
  const hepPort = await freePort();
  await new Promise<void>((done) => hepSink.bind(hepPort, "127.0.0.1", done));
  try {
    const rows: StepFigures[] = [];
    const maxSustained: Record<Side, number> = { gateway: 0, baseline: 0 };
    const limitedBy: Record<Side, string> = { gateway: "", baseline: "" };
    for (const side of sides) {
      const node = await startNode(side, join(dir, side), hepPort, log);
      try {
        const plan = [
          { target: rate, seconds },
          ...steps.filter((s) => s > rate).map((target) => ({ target, seconds: stepSeconds })),
        ];
        for (const step of plan) {
          const figures = await runStep(side, node, step.target, step.seconds, log);
          rows.push(figures);
          process.stdout.write(
            `${side} at ${step.target}/s for ${step.seconds} s: ${figures.cps} CPS, ${figures.successful} ok, ${figures.failed} failed, PDD p99 ${figures.pddP99} ms; shm peak ${figures.shmPeakMb ?? "?"} of ${figures.shmMb} MB; UDP receive-buffer drops ${figures.udpDrops}; CPU % kamailio ${figures.cpu.kamailio}, rtpengine ${figures.cpu.rtpengine}, sipp UAC ${figures.cpu.uac}, UAS ${figures.cpu.uas}, machine ${figures.cpu.machine}\n`,
          );
          if (!sustained(figures)) {
            limitedBy[side] = limitOf(figures);
            break;
          }
          maxSustained[side] = step.target;
          await new Promise((done) => setTimeout(done, 3_000));
        }
      } finally {
        await node.stop();
      }
    }
    printTable(
      `${title}. Each side at ${rate}/s for ${seconds} s, then ${stepSeconds} s steps at ${steps.join(", ")}/s until a step fails calls or falls short of its rate. A call: INVITE (RTP/AVP), 100/180/200 (SRTP answer from the UAS), ACK, ${holdMs} ms, BYE, 200; no media flows (SDP only). PDD = INVITE sent → first 180/200 (sipp rtd). CPU % of one core over the step (machine: of all ${navigatorCores()} cores).`,
      rows.map((r) => ({
        side: r.side === "gateway" ? "gateway node" : "baseline proxy",
        "target/s": r.target,
        s: r.seconds,
        CPS: r.cps,
        ok: r.successful,
        failed: r.failed,
        "PDD p50 ms": r.pddP50,
        "PDD p99 ms": r.pddP99,
        "kamailio %": r.cpu.kamailio,
        "rtpengine %": r.cpu.rtpengine,
        "sipp UAC %": r.cpu.uac,
        "sipp UAS %": r.cpu.uas,
        "bench %": r.cpu.bench,
        "machine %": r.cpu.machine,
        "server CPU ms/call": r.serverCpuMsPerCall,
        "shm peak/size MB": `${r.shmPeakMb ?? "?"}/${r.shmMb}`,
        "UDP drops": r.udpDrops,
      })),
    );
    const full = (side: Side) => rows.find((r) => r.side === side && r.target === rate);
    const gatewayFull = full("gateway");
    const baselineFull = full("baseline");
    const ratio = maxSustained.baseline > 0 ? maxSustained.gateway / maxSustained.baseline : 0;
    const cpuRatio =
      gatewayFull && baselineFull && gatewayFull.serverCpuMsPerCall > 0
        ? baselineFull.serverCpuMsPerCall / gatewayFull.serverCpuMsPerCall
        : 0;
    const fullOk = gatewayFull !== undefined && sustained(gatewayFull) && gatewayFull.cps >= 100;
    const goals = [
      `>= 100 CPS sustained with zero failed calls through the gateway (${seconds} s): ${fullOk ? "met" : "missed"} (${gatewayFull?.cps ?? 0} CPS, ${gatewayFull?.failed ?? "?"} failed, PDD p99 ${gatewayFull?.pddP99 ?? "?"} ms; baseline ${baselineFull?.cps ?? 0} CPS, ${baselineFull?.failed ?? "?"} failed, PDD p99 ${baselineFull?.pddP99 ?? "?"} ms)`,
      `ratio of max sustained rates gateway / baseline >= 0.7: ${ratio >= 0.7 ? "met" : "missed"} (${round(ratio, 3)}: gateway ${maxSustained.gateway}/s, baseline ${maxSustained.baseline}/s; stopped by ${limitedBy.gateway || "the last step"} / ${limitedBy.baseline || "the last step"})`,
      `server CPU per call at ${rate}/s, baseline ÷ gateway: ${round(cpuRatio, 3)} (${baselineFull?.serverCpuMsPerCall ?? "?"} ÷ ${gatewayFull?.serverCpuMsPerCall ?? "?"} ms)`,
    ];
    process.stdout.write(
      `${goals.join("\n")}\nThe gateway runs with pike at ${pikeDensity} new requests per 2 s (the product's default, 600, caps one PBX address at 300 calls/s). Kamailio's shared memory is sized for ${maxRate} calls/s on both sides (kamailioArgs; the product's default sizes for ${NODE_CALLS_PER_SECOND}). The machine's busy % counts everything on it, other work included.\n`,
    );
  } catch (error) {
    process.stderr.write(`${logs.slice(-80).join("\n")}\n`);
    throw error;
  } finally {
    hepSink.close();
    if (process.env.KEEP_BENCH_DIR !== "1") rmSync(dir, { recursive: true, force: true });
  }
}

const navigatorCores = () =>
  readFileSync("/proc/cpuinfo", "utf8").match(/^processor\s*:/gm)?.length ?? 1;

/** A step held its rate with no call failed (sipp's rate within 5 %). */
const sustained = (f: StepFigures) =>
  f.failed === 0 && f.sippCode === 0 && f.cps >= f.target * 0.95;

/** What stopped a side: failures or a short rate, and the busiest process then. */
function limitOf(f: StepFigures): string {
  const busiest = Object.entries(f.cpu)
    .filter(([name]) => name !== "machine" && name !== "bench")
    .sort((a, b) => b[1] - a[1])[0];
  const what = f.failed > 0 ? `${f.failed} failed calls` : `${f.cps} of ${f.target} CPS`;
  return `${what} at ${f.target}/s (machine ${f.cpu.machine} % busy, busiest ${busiest?.[0]} ${busiest?.[1]} %)`;
}

interface Node {
  side: Side;
  dir: string;
  pbxPort: number;
  uasPort: number;
  kamailioConfig: string;
  /** Kamailio's shared memory high-water mark (bytes), where JSON-RPC is available. */
  shmMaxUsed: () => Promise<number | null>;
  shmMb: number;
  kamailio: ChildProcess;
  rtpengine: ChildProcess;
  /** sipp playing Microsoft's proxy for every step of the side: answers with SRTP. */
  uas: ChildProcess;
  stop(): Promise<void>;
}

function startProcess(cmd: string, args: string[], log: (l: string) => void): ChildProcess {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  const each = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line.trim()) log(`${cmd}: ${line}`);
  };
  child.stdout?.on("data", each);
  child.stderr?.on("data", each);
  child.on("exit", (code, signal) => log(`${cmd} exited: ${code ?? signal}`));
  return child;
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    child.kill("SIGTERM");
  });
}

/** The region: one enterprise on FQDN, one PBX, `userCount` PBX users dev_1…dev_N. */
function benchSnapshot() {
  return buildSnapshot({
    enterprises: [buildEnterprise({ trunks: [{ fqdn: FQDN, priority: 0, status: "active" }] })],
    pbxes: [buildPbx({ sipDomain: PBX_DOMAIN, sipProxy: "127.0.0.1:5060" })],
    users: Array.from({ length: userCount }, (_, i) =>
      buildUser({
        userId: `usr_${i + 1}`,
        sipUser: `${10_000 + i}@${PBX_DOMAIN}`,
        phoneNumber: `+3220${String(i).padStart(7, "0")}`,
      }),
    ),
  });
}

/** A plain stateful proxy: record-route, rtpengine with the gateway's flags, relay to the UAS. */
function baselineConfig(o: {
  pbxPort: number;
  msPort: number;
  uasPort: number;
  ngPort: number;
}): string {
  return `#!KAMAILIO
debug=1
log_stderror=yes
children=${children}
tcp_children=${children}
auto_aliases=no
tcp_accept_no_cl=yes
tcp_reuse_port=yes
listen=udp:127.0.0.1:${o.pbxPort}
listen=tcp:127.0.0.1:${o.msPort}

loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "sanity.so"
loadmodule "rtpengine.so"

modparam("tm", "fr_inv_timer", 120000)
modparam("rr", "enable_double_rr", 1)
modparam("rtpengine", "rtpengine_sock", "udp:127.0.0.1:${o.ngPort}")

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (!sanity_check("17895", "7")) {
		exit;
	}
	if (has_totag()) {
		if (loose_route()) {
			if (is_method("BYE")) {
				rtpengine_delete();
			}
			t_on_reply("REPLY");
			if (!t_relay()) {
				sl_reply_error();
			}
			exit;
		}
		if (is_method("ACK") && t_check_trans()) {
			t_relay();
		}
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			rtpengine_delete();
			t_relay();
		}
		exit;
	}
	if (is_method("ACK")) {
		if (t_check_trans()) {
			t_relay();
		}
		exit;
	}
	t_check_trans();
	if (!is_method("INVITE")) {
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}
	record_route();
	if (has_body("application/sdp")) {
		rtpengine_offer("${TO_MICROSOFT}");
	}
	$du = "sip:127.0.0.1:${o.uasPort};transport=tcp";
	$fs = "tcp:127.0.0.1:${o.msPort}";
	t_on_reply("REPLY");
	if (!t_relay()) {
		sl_reply_error();
	}
	exit;
}

onreply_route[REPLY] {
	if ($rs =~ "^(18[0-9]|2[0-9][0-9])$" && has_body("application/sdp")) {
		rtpengine_answer("replace-origin replace-session-connection ICE=remove");
	}
}
`;
}

async function startNode(
  side: Side,
  dir: string,
  hepPort: number,
  log: (l: string) => void,
): Promise<Node> {
  mkdirSync(join(dir, "run"), { recursive: true });
  const [pbxPort, msPort, uasPort, rpcPort, ngPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  // below the ephemeral range (32768+), where freePort picks: one range a side
  const portMin = side === "gateway" ? 10_000 : 20_000;
  const rtpengine = startProcess(
    "rtpengine",
    rtpengineArgs({
      interface: { address: "127.0.0.1" },
      ngPort,
      portMin,
      portMax: portMin + 9_999,
      logLevel: 3,
    }),
    (l) => log(`${side} ${l}`),
  );
  // Kamailio pings rtpengine at start and leaves a silent one disabled for a minute
  await until("rtpengine's ng socket", () => ngPing(ngPort), 10_000);
  const configPath = join(dir, "kamailio.cfg");
  if (side === "gateway") {
    const uacDbDir = join(dir, "uacdb");
    mkdirSync(uacDbDir);
    for (const [name, text] of Object.entries(renderUacregDb()))
      writeFileSync(join(uacDbDir, name), text);
    const options = {
      nodeName: "bench-calls",
      pbx: { address: "127.0.0.1", port: pbxPort, transports: ["udp", "tcp"] as const },
      microsoft: { address: "127.0.0.1", port: msPort, tls: null, networks: ["127.0.0.0/8"] },
      microsoftProxies: [{ uri: `sip:127.0.0.1:${uasPort};transport=tcp` }],
      dispatcherListPath: join(dir, "dispatcher.list"),
      uacDbDir,
      optionsFromHost: "sbc.example",
      // the UAS plays calls only: no keep-alive OPTIONS during the run (the first after an hour)
      optionsIntervalSeconds: 3600,
      rpcPort,
      hepPort,
      registrations: { expectedCount: userCount },
      rtpengine: { ngPort, holdMusic: null },
      // pike kept (its cost counts) but above the load: its default, 300 new requests/s from one
      // address, would itself stop the steps beyond 300/s (sipp is one PBX at one address)
      pike: { samplingTimeUnit: 2, reqsDensityPerUnit: pikeDensity, removeLatency: 4 },
      children,
      logLevel: 1,
    };
    writeFileSync(options.dispatcherListPath, renderDispatcherList(options));
    writeFileSync(configPath, renderKamailioConfig(options));
  } else {
    writeFileSync(configPath, baselineConfig({ pbxPort, msPort, uasPort, ngPort }));
  }
  const args = kamailioArgs({
    configPath,
    runDir: join(dir, "run"),
    expectedRegistrations: userCount,
    // memory for the highest step on both sides: the steps measure CPU, not the default sizing
    callsPerSecond: maxRate,
  });
  const kamailio = startProcess("kamailio", args, (l) => log(`${side} ${l}`));
  writeFileSync(join(dir, "uas.xml"), calleeScenario({ profile: "RTP/SAVP" }));
  const uas = spawn(
    "sipp",
    [
      ...["-sf", "uas.xml", "-t", "t1", "-i", "127.0.0.1", "-p", String(uasPort)],
      ...["-mi", "127.0.0.1", "-mp", String(await freePort()), "-nostdin"],
      ...["-trace_err", "-error_file", "uas-errors.log"],
    ],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  uas.stderr.on("data", (c: Buffer) => log(`${side} sipp UAS: ${c.toString().trim()}`));
  const rpc = createKamailioRpc({ url: `http://127.0.0.1:${rpcPort}/RPC`, timeoutMs: 5_000 });
  const node: Node = {
    side,
    dir,
    pbxPort,
    uasPort,
    kamailioConfig: configPath,
    shmMaxUsed: async () =>
      side === "gateway"
        ? ((await rpc.call<{ max_used?: number }>("core.shmmem").catch(() => null))?.max_used ??
          null)
        : null,
    shmMb: Number(args[args.indexOf("-m") + 1]),
    kamailio,
    rtpengine,
    uas,
    stop: async () => {
      await stopProcess(uas);
      await stopProcess(kamailio);
      await stopProcess(rtpengine);
    },
  };
  try {
    if (side === "gateway") {
      await until("Kamailio's JSON-RPC", () => rpc.coreUptime().then(() => true), 20_000);
      const ops = diffHtables(planHtables(applySnapshot(benchSnapshot()).state), emptyHtables());
      // eight calls in flight, as the agent does
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < ops.length) {
            const op = ops[next++];
            if (op?.op === "set") await rpc.htableSet(op.table, op.key, op.value);
          }
        }),
      );
    } else {
      await until(
        "the baseline Kamailio",
        async () => kamailioPids(configPath).length > children,
        20_000,
      );
    }
    await new Promise((done) => setTimeout(done, 1_000));
  } catch (error) {
    await node.stop();
    throw error;
  }
  return node;
}

/** True when rtpengine answers an ng `ping` on `port` within 200 ms. */
function ngPing(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createSocket("udp4");
    const timer = setTimeout(() => {
      socket.close();
      done(false);
    }, 200);
    socket.once("message", (reply) => {
      clearTimeout(timer);
      socket.close();
      done(reply.toString().includes("pong"));
    });
    socket.send("bench1 d7:command4:pinge", port, "127.0.0.1");
  });
}

/** Pids whose command line names `arg` (Kamailio's processes by their config path). */
function kamailioPids(arg: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").includes(arg))
        pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** CPU ticks (user + system) of these processes, all their threads. */
function cpuTicks(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks;
}

/** The kernel's count of UDP datagrams dropped at a full receive buffer (/proc/net/snmp). */
function udpRcvbufErrors(): number {
  const rows = readFileSync("/proc/net/snmp", "utf8")
    .split("\n")
    .filter((l) => l.startsWith("Udp:"));
  const names = (rows[0] ?? "").split(/\s+/);
  const values = (rows[1] ?? "").split(/\s+/);
  return Number(values[names.indexOf("RcvbufErrors")] ?? 0);
}

/** The machine's busy and total ticks (/proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { busy: total - idle, total };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);

async function runStep(
  side: Side,
  node: Node,
  target: number,
  stepSecs: number,
  log: (l: string) => void,
): Promise<StepFigures> {
  const dir = join(node.dir, `r${target}-${stepSecs}`);
  mkdirSync(dir, { recursive: true });
  const calls = target * stepSecs;
  writeFileSync(
    join(dir, "devices.csv"),
    `SEQUENTIAL\n${Array.from({ length: userCount }, (_, i) => `dev_${i + 1}`).join("\n")}\n`,
  );
  writeFileSync(
    join(dir, "uac.xml"),
    callerScenario({
      requestUri: `sip:[field0]@127.0.0.1:${node.pbxPort}`,
      from: `sip:2002@${PBX_DOMAIN}`,
      to: "sip:[field0]@127.0.0.1",
      profile: "RTP/AVP",
      expect: 200,
      holdMs,
      timePostDial: true,
    }),
  );
  const uas = node.uas;
  const uacPort = await freePort();
  const kamailioPidList = kamailioPids(node.kamailioConfig);
  const groups = () => ({
    kamailio: cpuTicks(kamailioPidList),
    rtpengine: cpuTicks(node.rtpengine.pid ? [node.rtpengine.pid] : []),
    uas: cpuTicks(uas.pid ? [uas.pid] : []),
  });
  const before = groups();
  const benchBefore = process.cpuUsage();
  const machineBefore = machineTicks();
  const dropsBefore = udpRcvbufErrors();
  const t0 = performance.now();
  const uac = spawn(
    "sipp",
    [
      `127.0.0.1:${node.pbxPort}`,
      ...["-sf", "uac.xml", "-inf", "devices.csv", "-t", "u1"],
      ...[
        "-i",
        "127.0.0.1",
        "-p",
        String(uacPort),
        "-mi",
        "127.0.0.1",
        "-mp",
        String(await freePort()),
      ],
      ...["-r", String(target), "-m", String(calls), "-l", String(target * 20)],
      ...["-recv_timeout", "20000", "-timeout", `${stepSecs + 60}s`, "-nostdin"],
      ...["-trace_rtt", "-rtt_freq", "100", "-trace_stat", "-stf", "stat.csv", "-fd", "1"],
      ...["-trace_err", "-error_file", "uac-errors.log"],
    ],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  uac.stderr.on("data", (c: Buffer) => log(`${side} sipp UAC: ${c.toString().trim()}`));
  let uacTicks = 0;
  const sampler = setInterval(() => {
    uacTicks = Math.max(uacTicks, cpuTicks(uac.pid ? [uac.pid] : []));
  }, 200);
  const sippCode = await new Promise<number>((done) => uac.on("exit", (code) => done(code ?? -1)));
  clearInterval(sampler);
  const wall = (performance.now() - t0) / 1000;
  const after = groups();
  const benchCpu = process.cpuUsage(benchBefore);
  const machineAfter = machineTicks();
  const udpDrops = udpRcvbufErrors() - dropsBefore;
  const shmMaxUsed = await node.shmMaxUsed();

  const stat = readFileSync(join(dir, "stat.csv"), "utf8").trim().split("\n");
  const head = (stat[0] ?? "").split(";");
  const last = (stat.at(-1) ?? "").split(";");
  const column = (name: string) => Number(last[head.indexOf(name)] ?? Number.NaN);
  const rttFile = readdirSync(dir).find((f) => f.endsWith("_rtt.csv"));
  const samples = (rttFile ? readFileSync(join(dir, rttFile), "utf8") : "")
    .split("\n")
    .map((l) => l.split(";"))
    .filter((f) => f.length >= 3 && /^\d/.test(f[0] ?? ""))
    .map((f) => ({ at: Number(f[0]), ms: Number(f[1]) }));
  const pdd = samples.map((s) => s.ms).sort((a, b) => a - b);
  const ats = samples.map((s) => s.at);
  const span = ats.length > 1 ? (Math.max(...ats) - Math.min(...ats)) / 1000 : 0;
  const successful = column("SuccessfulCall(C)");
  const failed = column("FailedCall(C)");
  const pct = (ticks: number) => round((ticks / clockTicks / wall) * 100, 1);
  const serverTicks = after.kamailio - before.kamailio + (after.rtpengine - before.rtpengine);
  return {
    side,
    target,
    seconds: stepSecs,
    cps: span > 0 ? round((samples.length - 1) / span, 1) : 0,
    successful,
    failed,
    pddP50: round(percentile(pdd, 50), 1),
    pddP99: round(percentile(pdd, 99), 1),
    cpu: {
      kamailio: pct(after.kamailio - before.kamailio),
      rtpengine: pct(after.rtpengine - before.rtpengine),
      uac: pct(uacTicks),
      uas: pct(after.uas - before.uas),
      bench: round(((benchCpu.user + benchCpu.system) / 1e6 / wall) * 100, 1),
      machine: round(
        ((machineAfter.busy - machineBefore.busy) /
          Math.max(1, machineAfter.total - machineBefore.total)) *
          100,
        1,
      ),
    },
    shmPeakMb: shmMaxUsed === null ? null : round(shmMaxUsed / 1024 / 1024, 1),
    shmMb: node.shmMb,
    udpDrops,
    serverCpuMsPerCall: round(((serverTicks / clockTicks) * 1000) / Math.max(1, successful), 3),
    sippCode,
  };
}
