/**
 * Keeps one child process (Kamailio, rtpengine) running: starts it, restarts it with exponential
 * back-off when it dies, and stops it cleanly (SIGTERM, then SIGKILL after a grace period). The
 * child runs in a process group of its own, and the whole group is signalled, so the workers a
 * forking daemon leaves behind never keep its ports after the main process died.
 */
import { type ChildProcess, spawn } from "node:child_process";

/** Exponential back-off between restarts. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** A child that ran at least this long resets the delay to `initialMs`. */
  resetAfterMs: number;
}

/** What `superviseProcess` needs to run one child. */
export interface SuperviseOptions {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  backoff?: Partial<Backoff>;
  /** Time between SIGTERM and SIGKILL on stop. */
  stopGraceMs?: number;
  /** Each line the child writes, for the agent's log. */
  onOutput?: (line: string, stream: "stdout" | "stderr") => void;
  /** Each change of state, e.g. to re-apply registrations after a restart. */
  onEvent?: (event: SupervisorEvent) => void;
  /** Runs before each start and restart, e.g. to write the files the child reads as it starts. */
  beforeStart?: () => void;
}

/** The supervisor's view of its child. */
export type SupervisorState = "starting" | "running" | "backoff" | "stopping" | "stopped";

/** Something that happened to the child. */
export type SupervisorEvent =
  | { type: "started"; pid: number; restarts: number }
  | { type: "exited"; code: number | null; signal: NodeJS.Signals | null; ranMs: number }
  | { type: "restart-scheduled"; delayMs: number }
  | { type: "spawn-failed"; error: Error }
  | { type: "stopped" };

/** A supervised child process. */
export interface Supervisor {
  readonly state: SupervisorState;
  /** Pid of the current child, or null between runs. */
  readonly pid: number | null;
  /** How many times the child was started again after dying. */
  readonly restarts: number;
  /**
   * Stops the child (SIGTERM, then SIGKILL after the grace period) and does not restart it; with
   * `kill`, SIGKILL at once, as a crash would (tests simulating a dead machine).
   */
  stop(options?: { kill?: boolean }): Promise<void>;
}

const defaultBackoff: Backoff = { initialMs: 500, maxMs: 30_000, factor: 2, resetAfterMs: 60_000 };

/** Sends `signal` to the child's process group; falls back to the child alone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Starts `cmd` now and keeps it running until `stop()`. */
export function superviseProcess(options: SuperviseOptions): Supervisor {
  const backoff = { ...defaultBackoff, ...options.backoff };
  const graceMs = options.stopGraceMs ?? 5_000;
  const emit = (event: SupervisorEvent) => options.onEvent?.(event);

  let state: SupervisorState = "starting";
  let child: ChildProcess | null = null;
  let restarts = 0;
  let delayMs = backoff.initialMs;
  let restartTimer: NodeJS.Timeout | null = null;
  let childExited: Promise<void> = Promise.resolve();

  function pipeLines(stream: NodeJS.ReadableStream | null, name: "stdout" | "stderr") {
    if (!stream) return;
    let buffered = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) options.onOutput?.(line, name);
    });
  }

  function start() {
    state = "starting";
    const startedAt = Date.now();
    options.beforeStart?.();
    const current = spawn(options.cmd, options.args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = current;
    pipeLines(current.stdout, "stdout");
    pipeLines(current.stderr, "stderr");
    let settled = false;
    childExited = new Promise<void>((resolve) => {
      const onGone = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
        if (settled) return;
        settled = true;
        // leftover workers of a forking daemon would hold its sockets
        signalGroup(current, "SIGKILL");
        child = null;
        if (error) emit({ type: "spawn-failed", error });
        else emit({ type: "exited", code, signal, ranMs: Date.now() - startedAt });
        resolve();
        if (state === "stopping" || state === "stopped") return;
        if (Date.now() - startedAt >= backoff.resetAfterMs) delayMs = backoff.initialMs;
        state = "backoff";
        emit({ type: "restart-scheduled", delayMs });
        restartTimer = setTimeout(() => {
          restartTimer = null;
          restarts += 1;
          start();
        }, delayMs);
        delayMs = Math.min(backoff.maxMs, delayMs * backoff.factor);
      };
      current.once("exit", (code, signal) => onGone(code, signal));
      current.once("error", (error) => onGone(null, null, error));
    });
    current.once("spawn", () => {
      if (state !== "starting") return;
      state = "running";
      emit({ type: "started", pid: current.pid ?? 0, restarts });
    });
  }

  async function stop(stopOptions: { kill?: boolean } = {}): Promise<void> {
    if (state === "stopped") return;
    state = "stopping";
    if (restartTimer) {
      clearTimeout(restartTimer);
      restartTimer = null;
    }
    const current = child;
    if (current) {
      signalGroup(current, stopOptions.kill ? "SIGKILL" : "SIGTERM");
      const killer = setTimeout(() => signalGroup(current, "SIGKILL"), graceMs);
      await childExited;
      clearTimeout(killer);
    }
    state = "stopped";
    emit({ type: "stopped" });
  }

  start();
  return {
    get state() {
      return state;
    },
    get pid() {
      return child?.pid ?? null;
    },
    get restarts() {
      return restarts;
    },
    stop,
  };
}
