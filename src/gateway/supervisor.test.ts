import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Supervisor, type SupervisorEvent, superviseProcess } from "./supervisor.ts";

const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

/** Supervises `node -e script`, recording events. */
function supervise(script: string, extra: Partial<Parameters<typeof superviseProcess>[0]> = {}) {
  const events: SupervisorEvent[] = [];
  const lines: string[] = [];
  const supervisor = superviseProcess({
    cmd: process.execPath,
    args: ["-e", script],
    backoff: { initialMs: 50, maxMs: 400, factor: 2, resetAfterMs: 60_000 },
    stopGraceMs: 300,
    onEvent: (event) => events.push(event),
    onOutput: (line) => lines.push(line),
    ...extra,
  });
  running.push(supervisor);
  return { supervisor, events, lines };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const forever = "console.log('up'); setInterval(() => {}, 1000);";

describe("superviseProcess", () => {
  it("starts the child, reports it running and passes its output on", async () => {
    const { supervisor, lines } = supervise(forever);
    await until(() => supervisor.state === "running" && lines.includes("up"));
    expect(supervisor.pid).toBeGreaterThan(0);
    expect(supervisor.restarts).toBe(0);
  });

  it("restarts a child that dies, with growing delays up to the maximum", async () => {
    const { supervisor, events } = supervise("process.exit(3)");
    await until(() => supervisor.restarts >= 5);
    const delays = events.flatMap((e) => (e.type === "restart-scheduled" ? [e.delayMs] : []));
    expect(delays.slice(0, 5)).toEqual([50, 100, 200, 400, 400]);
    expect(events).toContainEqual(expect.objectContaining({ type: "exited", code: 3 }));
  });

  it("runs beforeStart before each start, so each run of the child reads what it wrote", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "teamgate-supervisor-")), "state");
    let written = 0;
    const { supervisor, lines } = supervise(
      `console.log("read " + require("node:fs").readFileSync(${JSON.stringify(file)}, "utf8")); process.exit(1)`,
      { beforeStart: () => writeFileSync(file, String(++written)) },
    );
    await until(() => lines.length >= 3);
    await supervisor.stop();
    expect(lines.slice(0, 3)).toEqual(["read 1", "read 2", "read 3"]);
  });

  it("restarts a killed child and kills what it left behind", async () => {
    const parentOfSleeper = `
      const { spawn } = require("node:child_process");
      const sleeper = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
      console.log("sleeper " + sleeper.pid);
      setInterval(() => {}, 1000);`;
    const { supervisor, lines } = supervise(parentOfSleeper);
    await until(() => lines.some((line) => line.startsWith("sleeper ")));
    const sleeper = Number(lines.find((line) => line.startsWith("sleeper "))?.split(" ")[1]);
    const first = supervisor.pid!;
    process.kill(first, "SIGKILL");
    await until(() => supervisor.restarts === 1 && supervisor.state === "running");
    expect(supervisor.pid).not.toBe(first);
    await until(() => !alive(sleeper));
  });

  it("stops with SIGTERM, and SIGKILL after the grace period when SIGTERM is ignored", async () => {
    const polite = supervise(forever);
    await until(() => polite.supervisor.state === "running");
    const pid = polite.supervisor.pid!;
    await polite.supervisor.stop();
    expect(polite.supervisor.state).toBe("stopped");
    expect(polite.events).toContainEqual(
      expect.objectContaining({ type: "exited", signal: "SIGTERM" }),
    );
    expect(alive(pid)).toBe(false);

    const stubborn = supervise(`process.on("SIGTERM", () => {}); ${forever}`);
    await until(() => stubborn.lines.includes("up"));
    const started = Date.now();
    await stubborn.supervisor.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(stubborn.events).toContainEqual(
      expect.objectContaining({ type: "exited", signal: "SIGKILL" }),
    );
    expect(stubborn.supervisor.restarts).toBe(0);
  });

  it("stops with SIGKILL at once when told to kill (a crash), and does not restart", async () => {
    const { supervisor, events, lines } = supervise(`process.on("SIGTERM", () => {}); ${forever}`);
    await until(() => lines.includes("up"));
    const pid = supervisor.pid!;
    await supervisor.stop({ kill: true });
    expect(events).toContainEqual(expect.objectContaining({ type: "exited", signal: "SIGKILL" }));
    expect(events).not.toContainEqual(expect.objectContaining({ type: "restart-scheduled" }));
    expect(supervisor.state).toBe("stopped");
    expect(alive(pid)).toBe(false);
  });

  it("keeps trying, with back-off, when the command cannot be started", async () => {
    const { supervisor, events } = supervise("", { cmd: "/nonexistent/teamgate-child" });
    await until(() => supervisor.restarts >= 2);
    expect(events.some((e) => e.type === "spawn-failed")).toBe(true);
    await supervisor.stop();
    expect(supervisor.state).toBe("stopped");
  });
});
