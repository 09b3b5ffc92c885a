import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** The full path of `program` on the PATH or in the sbin directories (named lives in /usr/sbin). */
export function findProgram(program: string): string | null {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin"];
  for (const dir of dirs.filter(Boolean)) {
    const path = join(dir, program);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return null;
}

/** A running BIND 9 primary for one zone on 127.0.0.1, accepting updates signed with its key. */
export interface TestNamed {
  port: number;
  zone: string;
  tsig: { name: string; algorithm: "hmac-sha256"; secret: string };
  /** A resolver that asks this server only (a fresh one per call: no cache). */
  resolveTxt(name: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Whether nothing listens on `port` of 127.0.0.1, over TCP and UDP. */
async function isFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => resolve(false));
    socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if (await isFree(port)) return port;
  }
}

/**
 * Starts `named -g` as the current user with a configuration of its own in a temporary directory
 * (zone `zone`, a fresh hmac-sha256 key allowed to update it, no recursion, no control channel) on
 * a free port of 127.0.0.1, and waits until it answers the zone's SOA.
 */
export async function startNamed(
  namedPath: string,
  zone = "sbc.teamgate.test",
): Promise<TestNamed> {
  const dir = mkdtempSync(join(tmpdir(), "teamgate-named-"));
  const tsig = {
    name: "teamgate-update",
    algorithm: "hmac-sha256" as const,
    secret: randomBytes(32).toString("base64"),
  };
  writeFileSync(
    join(dir, "zone.db"),
    [
      "$TTL 300",
      `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 300`,
      `@ IN NS ns.${zone}.`,
      "ns IN A 127.0.0.1",
      "",
    ].join("\n"),
  );
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    writeFileSync(
      join(dir, "named.conf"),
      `options {
  directory "${dir}";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  pid-file none;
  session-keyfile none;
  recursion no;
  dnssec-validation no;
  notify no;
};
controls { };
key "${tsig.name}" { algorithm ${tsig.algorithm}; secret "${tsig.secret}"; };
zone "${zone}" {
  type primary;
  file "${join(dir, "zone.db")}";
  allow-update { key "${tsig.name}"; };
};
`,
      { mode: 0o600 },
    );
    const child = spawn(namedPath, ["-g", "-n", "1", "-c", join(dir, "named.conf")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const resolver = () => {
      const r = new Resolver({ timeout: 500, tries: 1 });
      r.setServers([`127.0.0.1:${port}`]);
      return r;
    };
    if (await answers(child, () => resolver().resolveSoa(zone), 15_000)) {
      return {
        port,
        zone,
        tsig,
        resolveTxt: async (name) => {
          try {
            return (await resolver().resolveTxt(name)).map((chunks) => chunks.join(""));
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === "ENOTFOUND") return [];
            if ((e as NodeJS.ErrnoException).code === "ENODATA") return [];
            throw e;
          }
        },
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGTERM");
            const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
            await exited;
            clearTimeout(killer);
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    if (attempt >= 3 || !/address in use/i.test(output)) {
      rmSync(dir, { recursive: true, force: true });
      const hint = /permission denied/i.test(output)
        ? " (an AppArmor profile for named may forbid its temporary directory)"
        : "";
      throw new Error(`named did not start${hint}:\n${output.slice(-3000)}`);
    }
  }
}

/** Polls `probe` until it succeeds (true), the process exits or `withinMs` passes (false). */
async function answers(
  child: ChildProcess,
  probe: () => Promise<unknown>,
  withinMs: number,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      await probe();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return false;
}
