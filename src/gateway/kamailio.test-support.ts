/**
 * What the real-Kamailio tests share: free loopback ports, waiting for a condition, and the demo
 * PBX of `dev/pbx/` (a Kamailio registrar with digest) started with the users it should know.
 */
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { type DemoPbx, type DemoPbxOptions, startDemoPbx as startPbx } from "./demo-pbx.ts";
import {
  type KamailioNodeOptions,
  kamailioArgs,
  renderDispatcherList,
  renderKamailioConfig,
  renderUacregDb,
} from "./kamailio/render.ts";
import { createKamailioRpc, type KamailioRpc } from "./kamailio/rpc.ts";
import { type Supervisor, superviseProcess } from "./supervisor.ts";

export type { DemoPbx } from "./demo-pbx.ts";

/** KAMAILIO_TESTS=1 asks for these tests; they run when `kamailio` is on PATH too. */
export const kamailioTestsWanted = process.env.KAMAILIO_TESTS === "1";
export const kamailioPresent = spawnSync("kamailio", ["-v"]).status === 0;

/** A port free for both UDP and TCP on 127.0.0.1 (SIP listens on both). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((done, fail) => {
      const server = createServer();
      server.once("error", fail);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => done(typeof address === "object" && address ? address.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((done) => {
      const socket = createSocket("udp4");
      socket.once("error", () => done(false));
      socket.bind(port, "127.0.0.1", () => socket.close(() => done(true)));
    });
    if (udpFree) return port;
  }
}

/** Whether a UDP port of 127.0.0.1 can be bound now. */
function udpPortFree(port: number): Promise<boolean> {
  return new Promise<boolean>((done) => {
    const socket = createSocket("udp4");
    socket.once("error", () => done(false));
    socket.bind(port, "127.0.0.1", () => socket.close(() => done(true)));
  });
}

/**
 * A base port for sipp's media: sipp binds it and the three after it (audio RTP and RTCP, video
 * RTP and RTCP), so all four must be free, not only the first.
 */
export async function freeMediaPort(): Promise<number> {
  for (;;) {
    const base = (await freePort()) & ~1;
    if (base + 3 > 65_535) continue;
    const free = await Promise.all([0, 1, 2, 3].map((i) => udpPortFree(base + i)));
    if (free.every(Boolean)) return base;
  }
}

/** Polls `probe` every 100 ms until it returns a truthy value, or fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** The AORs the PBX's usrloc holds, from `ul.dump`. */
export async function pbxRegistered(pbx: KamailioRpc): Promise<Set<string>> {
  const dump = await pbx.call<{
    Domains?: Array<{ Domain?: { AoRs?: Array<{ Info?: { AoR?: string } }> } }>;
  }>("ul.dump");
  return new Set(
    (dump.Domains ?? []).flatMap((d) => (d.Domain?.AoRs ?? []).map((a) => a.Info?.AoR ?? "")),
  );
}

/**
 * Starts the demo PBX on 127.0.0.1 under `dir/pbx` (its users in a db_text table there), knowing
 * each digest user name with its password; resolves once its JSON-RPC answers.
 */
export async function startDemoPbx(
  dir: string,
  users: readonly { authId: string; password: string }[],
  log: (line: string) => void,
  port?: number,
  options: Pick<DemoPbxOptions, "sharedMemoryMb" | "pkgMemoryMb"> = {},
): Promise<DemoPbx> {
  return startPbx({
    dir: join(dir, "pbx"),
    users,
    sipPort: port ?? (await freePort()),
    rpcPort: await freePort(),
    log,
    ...options,
  });
}

/**
 * A gateway node's Kamailio without the agent: its files rendered into `dir` from `options`
 * (a PBX side on loopback, no Microsoft side, no rtpengine unless given), run by the supervisor;
 * resolves once its JSON-RPC answers.
 */
export async function startGatewayKamailio(
  dir: string,
  options: Pick<KamailioNodeOptions, "hepPort" | "registrations"> &
    Partial<KamailioNodeOptions> & { sipPort: number },
  log: (line: string) => void,
): Promise<{ process: Supervisor; rpc: KamailioRpc; options: KamailioNodeOptions }> {
  const { sipPort, ...rest } = options;
  const node: KamailioNodeOptions = {
    nodeName: "test-1",
    pbx: { address: "127.0.0.1", port: sipPort, transports: ["udp", "tcp"] },
    microsoft: null,
    microsoftProxies: [],
    dispatcherListPath: join(dir, "dispatcher.list"),
    uacDbDir: join(dir, "uacdb"),
    optionsFromHost: "sbc.teamgate.test",
    rpcPort: await freePort(),
    children: 2,
    ...rest,
  };
  const runDir = join(dir, "sbc-run");
  mkdirSync(runDir, { recursive: true });
  mkdirSync(node.uacDbDir, { recursive: true });
  for (const [name, text] of Object.entries(renderUacregDb()))
    writeFileSync(join(node.uacDbDir, name), text);
  writeFileSync(node.dispatcherListPath, renderDispatcherList(node));
  const configPath = join(dir, "kamailio.cfg");
  writeFileSync(configPath, renderKamailioConfig(node));
  const process = superviseProcess({
    cmd: "kamailio",
    args: kamailioArgs({
      configPath,
      runDir,
      expectedRegistrations: node.registrations.expectedCount,
    }),
    backoff: { initialMs: 200, maxMs: 2_000 },
    onOutput: (line) => log(`sbc: ${line}`),
  });
  const rpc = createKamailioRpc({ url: `http://127.0.0.1:${node.rpcPort}/RPC`, timeoutMs: 2_000 });
  await until("the gateway's JSON-RPC", () => rpc.coreUptime().then(() => true));
  return { process, rpc, options: node };
}
