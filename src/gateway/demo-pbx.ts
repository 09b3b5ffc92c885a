/**
 * The demo PBX of `dev/pbx/` (a Kamailio registrar with digest authentication), run for `npm start`
 * and the real-Kamailio tests: its users are a db_text table written from the credentials given.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createKamailioRpc, type KamailioRpc } from "./kamailio/rpc.ts";
import { type Supervisor, superviseProcess } from "./supervisor.ts";

/** The demo PBX's configuration in the repository. */
export const demoPbxConfig = resolve(import.meta.dirname, "../../dev/pbx/kamailio.cfg");

/** The digest realm the demo PBX challenges with (it accepts any domain in the AOR). */
export const demoPbxRealm = "pbx.teamgate.test";

/** A digest user the demo PBX knows. */
export interface DemoPbxUser {
  authId: string;
  password: string;
}

export interface DemoPbxOptions {
  /** Where its users table and runtime files are written (created if absent). */
  dir: string;
  users: readonly DemoPbxUser[];
  /** SIP port on 127.0.0.1 (UDP and TCP). */
  sipPort: number;
  /** JSON-RPC port on 127.0.0.1. */
  rpcPort: number;
  log: (line: string) => void;
  /** How long to wait for its JSON-RPC to answer (default 10 s). */
  readyTimeoutMs?: number;
  /**
   * Kamailio's shared memory (`-m`, MB; default Kamailio's 64). Thousands of registrations (each
   * contact, its transaction and its nonce) need more: the bench of 10,000 passes 256.
   */
  sharedMemoryMb?: number;
  /** Per-process memory (`-M`, MB; default Kamailio's 8): a `ul.dump` of thousands needs more. */
  pkgMemoryMb?: number;
}

export interface DemoPbx {
  port: number;
  rpcPort: number;
  process: Supervisor;
  rpc: KamailioRpc;
}

/**
 * Writes the users as the `htable` db_text table the demo PBX loads (`name:0:0:password:0` a
 * line); returns the `text://` URL of its directory. A user name or password holding `:` or a
 * line break cannot be written in that format and is left out.
 */
export function writeDemoPbxUsers(dir: string, users: readonly DemoPbxUser[]): string {
  const usersDir = resolve(dir, "users");
  mkdirSync(usersDir, { recursive: true });
  const fits = (value: string) => !/[:\r\n\\]/.test(value);
  writeFileSync(
    join(usersDir, "htable"),
    [
      "key_name(string) key_type(int) value_type(int) key_value(string) expires(int)",
      ...users
        .filter((u) => fits(u.authId) && fits(u.password))
        .map((u) => `${u.authId}:0:0:${u.password}:0`),
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return `text://${usersDir}`;
}

/**
 * Starts the demo PBX on 127.0.0.1 knowing each digest user name with its password; resolves once
 * its JSON-RPC answers, or stops it and rejects when it does not in time.
 */
export async function startDemoPbx(options: DemoPbxOptions): Promise<DemoPbx> {
  const { sipPort, rpcPort } = options;
  const usersDb = writeDemoPbxUsers(options.dir, options.users);
  const runDir = resolve(options.dir, "run");
  mkdirSync(runDir, { recursive: true });
  const process = superviseProcess({
    cmd: "kamailio",
    args: [
      ...["-DD", "-E", "-f", demoPbxConfig, "-Y", runDir],
      ...["-l", `udp:127.0.0.1:${sipPort}`, "-l", `tcp:127.0.0.1:${sipPort}`],
      ...["-l", `tcp:127.0.0.1:${rpcPort}`],
      ...["-A", `PBX_USERS_DB="${usersDb}"`, "-A", `PBX_RPC_PORT=${rpcPort}`],
      ...(options.sharedMemoryMb ? ["-m", String(options.sharedMemoryMb)] : []),
      ...(options.pkgMemoryMb ? ["-M", String(options.pkgMemoryMb)] : []),
    ],
    onOutput: (line) => options.log(`pbx: ${line}`),
  });
  const rpc = createKamailioRpc({ url: `http://127.0.0.1:${rpcPort}/RPC`, timeoutMs: 2_000 });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  for (;;) {
    try {
      await rpc.coreUptime();
      return { port: sipPort, rpcPort, process, rpc };
    } catch (error) {
      if (Date.now() > deadline) {
        await process.stop();
        throw new Error(`the demo PBX's JSON-RPC did not answer on port ${rpcPort}`, {
          cause: error,
        });
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}
