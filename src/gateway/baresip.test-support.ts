/**
 * baresip (Debian's) as a SIP phone in the real-Kamailio tests: it plays a WAV file as its
 * microphone and records what it hears (the `sndfile` module writes the decoded audio of each
 * call to a WAV file), with SRTP (SDES) when asked. sox makes the tones and measures them.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** baresip and sox on PATH. */
export const baresipPresent =
  !spawnSync("baresip", ["-h"]).error && !spawnSync("sox", ["--version"]).error;

/** Writes a sine tone (8 kHz, 16-bit mono WAV) of `hz` for `seconds` with sox. */
export function soxTone(path: string, hz: number, seconds: number): void {
  execFileSync("sox", [
    ...["-n", "-r", "8000", "-c", "1", "-b", "16", path],
    ...["synth", String(seconds), "sine", String(hz), "vol", "0.5"],
  ]);
}

/** sox's `stat` of a WAV file: its length, RMS amplitude and rough frequency. */
export function soxStat(path: string): { seconds: number; rms: number; hz: number } {
  const run = spawnSync("sox", [path, "-n", "stat"], { encoding: "utf8" });
  const value = (label: string) =>
    Number(new RegExp(`${label}:\\s+(-?[\\d.]+)`).exec(run.stderr)?.[1] ?? Number.NaN);
  return {
    seconds: value("Length \\(seconds\\)"),
    rms: value("RMS\\s+amplitude"),
    hz: value("Rough\\s+frequency"),
  };
}

export interface Baresip {
  /** The WAV files of what it heard (one per call). */
  recordings(): string[];
  /** Resolves when baresip has exited. */
  done: Promise<number | null>;
  output(): string;
  kill(): void;
}

/**
 * Starts baresip on 127.0.0.1:`port` (UDP and TCP) as `aor`, its microphone the WAV `source`,
 * answering calls by itself; `dial` calls that URI at once. It quits after `seconds`.
 */
export function startBaresip(o: {
  dir: string;
  name: string;
  port: number;
  aor: string;
  source: string;
  srtp: boolean;
  dial?: string;
  seconds: number;
}): Baresip {
  const home = join(o.dir, o.name);
  const recordings = join(home, "recordings");
  mkdirSync(recordings, { recursive: true });
  writeFileSync(
    join(home, "config"),
    [
      "poll_method epoll",
      `sip_listen 127.0.0.1:${o.port}`,
      "net_interface 127.0.0.1",
      `audio_player aubridge,${o.name}-out`,
      `audio_alert aubridge,${o.name}-out`,
      `audio_source aufile,${o.source}`,
      "module_path /usr/lib/baresip/modules",
      ...["g711", "srtp", "aufile", "aubridge", "sndfile", "stdio"].map((m) => `module ${m}.so`),
      "module_app account.so",
      "module_app menu.so",
      `snd_path ${recordings}`,
      "",
    ].join("\n"),
  );
  const params = ["regint=0", "answermode=auto", ...(o.srtp ? ["mediaenc=srtp-mand"] : [])];
  writeFileSync(join(home, "accounts"), `<${o.aor}>;${params.join(";")}\n`);
  const child = spawn(
    "baresip",
    ["-f", home, "-t", String(o.seconds), ...(o.dial ? ["-e", `/dial ${o.dial}`] : [])],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const done = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    recordings: () =>
      readdirSync(recordings)
        .filter((file) => file.endsWith("-dec.wav"))
        .map((file) => join(recordings, file)),
    done,
    output: () => output,
    kill: () => child.kill("SIGKILL"),
  };
}
