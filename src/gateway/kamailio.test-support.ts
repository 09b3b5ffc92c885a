/**
 * What the real-Kamailio tests share: free loopback ports, waiting for a condition, and the demo
 * PBX of `dev/pbx/` (a Kamailio registrar with digest) started with the users it should know.
 */
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { createKamailioRpc, type KamailioRpc } from "./kamailio/rpc.ts";
import { type Supervisor, superviseProcess } from "./supervisor.ts";

/** KAMAILIO_TESTS=1 asks for these tests; they run when `kamailio` is on PATH too. */
export const kamailioTestsWanted = process.env.KAMAILIO_TESTS === "1";
export const kamailioPresent = spawnSync("kamailio", ["-v"]).status === 0;

const PBX_CONFIG = resolve(import.meta.dirname, "../../dev/pbx/kamailio.cfg");

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

export interface DemoPbx {
  port: number;
  process: Supervisor;
  rpc: KamailioRpc;
}

export interface DemoPbxOptions {
  /**
   * Kamailio's shared memory (`-m`, MB; default Kamailio's 64). Thousands of registrations (each
   * contact, its transaction and its nonce) need more: the bench of 10,000 passes 256.
   */
  sharedMemoryMb?: number;
  /** Per-process memory (`-M`, MB; default Kamailio's 8): a `ul.dump` of thousands needs more. */
  pkgMemoryMb?: number;
}

/**
 * Starts the demo PBX on 127.0.0.1 under `dir` (its users in a db_text table there), knowing
 * each digest user name with its password; resolves once its JSON-RPC answers.
 */
export async function startDemoPbx(
  dir: string,
  users: readonly { authId: string; password: string }[],
  log: (line: string) => void,
  port?: number,
  options: DemoPbxOptions = {},
): Promise<DemoPbx> {
  const sipPort = port ?? (await freePort());
  const rpcPort = await freePort();
  const usersDir = join(dir, "pbx-users");
  const runDir = join(dir, "pbx-run");
  mkdirSync(usersDir);
  mkdirSync(runDir);
  writeFileSync(
    join(usersDir, "htable"),
    [
      "key_name(string) key_type(int) value_type(int) key_value(string) expires(int)",
      ...users.map((u) => `${u.authId}:0:0:${u.password}:0`),
      "",
    ].join("\n"),
  );
  const process = superviseProcess({
    cmd: "kamailio",
    args: [
      ...["-DD", "-E", "-f", PBX_CONFIG, "-Y", runDir],
      ...["-l", `udp:127.0.0.1:${sipPort}`, "-l", `tcp:127.0.0.1:${sipPort}`],
      ...["-l", `tcp:127.0.0.1:${rpcPort}`],
      ...["-A", `PBX_USERS_DB="text://${usersDir}"`, "-A", `PBX_RPC_PORT=${rpcPort}`],
      ...(options.sharedMemoryMb ? ["-m", String(options.sharedMemoryMb)] : []),
      ...(options.pkgMemoryMb ? ["-M", String(options.pkgMemoryMb)] : []),
    ],
    onOutput: (line) => log(`pbx: ${line}`),
  });
  const rpc = createKamailioRpc({ url: `http://127.0.0.1:${rpcPort}/RPC`, timeoutMs: 2_000 });
  await until("the PBX's JSON-RPC", () => rpc.coreUptime().then(() => true));
  return { port: sipPort, process, rpc };
}
