import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (where package.json and dist/web live). */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** The one-time operator login that `teamgate start` prints on a fresh data directory. */
export interface OperatorLogin {
  username: string;
  email: string;
  password: string;
}

/** A running `teamgate start` child process on a private data directory and free ports. */
export interface RunningServer {
  /** Base URL of the portal, without a trailing slash. */
  url: string;
  dataDir: string;
  mailCapturePort: number;
  /** Base URL of the dev inbox, on its own loopback port (MAIL_INBOX_PORT), not the portal's. */
  inboxUrl: string;
  /** Printed once on first start; null when the data directory already had an operator. */
  operator: OperatorLogin | null;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** A call to the bundled Microsoft emulator's control API (HTTPS with its CA; loopback, no token). */
  emulatorControl(method: "GET" | "PUT" | "POST", path: string, body?: unknown): Promise<unknown>;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its data directory unless kept. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * Runs one `teamgate` command (`tsx src/server/cli.ts …`) on a data directory and returns what it
 * printed; rejects with that output when it exits with an error.
 */
export function runCli(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/server/cli.ts", ...args], {
      cwd: repoRoot,
      env: childEnv({ NODE_ENV: "development", LOG_LEVEL: "warn", ...env }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`teamgate ${args.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}

/**
 * A fresh data directory holding an operator admin (its one-time login) and the demo data of
 * `teamgate seed --demo` (regions, PBX types, resellers `demo-northwind` and `demo-contoso`, their
 * enterprises; password `correct-horse-battery-staple`). Pass it to `startServer({ dataDir })`.
 */
export async function demoDataDir(): Promise<{ dataDir: string; operator: OperatorLogin }> {
  const dataDir = mkdtempSync(join(tmpdir(), "teamgate-e2e-demo-"));
  const env = { DATA_DIR: dataDir };
  const created = await runCli(
    ["create-operator", "--email", "operator@teamgate.localhost", "--username", "operator"],
    env,
  );
  const { operator } = parseBanner(created);
  if (!operator) throw new Error(`No operator login in:\n${created}`);
  await runCli(["seed", "--demo"], env);
  return { dataDir, operator };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Parses the start banner of `src/server/start.ts`. */
export function parseBanner(text: string): { running: boolean; operator: OperatorLogin | null } {
  const running = text.includes("Teamgate is running");
  const login = /^\s*login:\s+(\S+)\s+\(or (\S+?)\)\s*$/m.exec(text);
  const password = /^\s*password:\s+(\S+)\s*$/m.exec(text);
  return {
    running,
    operator:
      login && password ? { username: login[1]!, email: login[2]!, password: password[1]! } : null,
  };
}

/** One JSON request to the emulator's control API over HTTPS, trusting the emulator's own CA. */
function controlRequest(
  origin: string,
  caFile: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${origin}${path}`,
      {
        method,
        ca: readFileSync(caFile),
        headers: body === undefined ? {} : { "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          if ((res.statusCode ?? 500) >= 400)
            reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text ? JSON.parse(text) : null);
        });
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function childEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Not the test runner's variables, and not a database or SMTP server meant for another run.
    if (/^(VITEST|TEST_)/.test(key) || key === "NODE_ENV") continue;
    if (key === "DATABASE_URL" || key === "SMTP_URL" || key === "APP_SECRET") continue;
    // Not a real Entra application: the product configures itself for its bundled emulator.
    if (key.startsWith("MS_")) continue;
    env[key] = value;
  }
  return { ...env, ...overrides };
}

async function waitForHealth(url: string, child: ChildProcess, deadline: number): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error("exited");
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url}/healthz did not answer in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts the product as users do (`tsx src/server/cli.ts start`: every role, embedded PGlite, the
 * mail capture) on a fresh temporary data directory and free ports; resolves once the banner is
 * printed and /healthz answers. The web app must have been built (`npm run build`). The local
 * gateway (role `gateway`: Kamailio on fixed loopback ports, a gateway node of the demo's region)
 * runs only with `gateway: true`, so that journeys run side by side and see only their own nodes.
 */
export async function startServer(
  options: {
    dataDir?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    gateway?: boolean;
  } = {},
): Promise<RunningServer> {
  if (!existsSync(join(repoRoot, "dist/web/index.html"))) {
    throw new Error("The web app is not built: run `npm run build` before `npm run test:e2e`.");
  }
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "teamgate-e2e-"));
  const port = await freePort();
  const mailCapturePort = await freePort();
  const mailInboxPort = await freePort();
  const emulatorLoginPort = await freePort();
  const emulatorGraphPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const roles = options.gateway ? [] : ["--roles", "api,worker,mail,emulator"];
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/server/cli.ts", "start", ...roles],
    {
      cwd: repoRoot,
      env: childEnv({
        NODE_ENV: "development",
        DATA_DIR: dataDir,
        HOST: "127.0.0.1",
        PORT: String(port),
        MAIL_CAPTURE_PORT: String(mailCapturePort),
        MAIL_INBOX_PORT: String(mailInboxPort),
        EMULATOR_LOGIN_PORT: String(emulatorLoginPort),
        EMULATOR_GRAPH_PORT: String(emulatorGraphPort),
        PUBLIC_URL: url,
        LOG_LEVEL: "warn",
        ...options.env,
      }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let all = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    all += chunk;
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    all += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async (stopOptions: { keepData?: boolean } = {}) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killed = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), 15_000)),
      ]);
      if (killed) {
        child.kill("SIGKILL");
        await exited;
      }
    }
    if (!stopOptions.keepData && !options.dataDir && !process.env.E2E_KEEP_DATA) {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };

  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  try {
    while (!parseBanner(stdout).running) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error("exited");
      if (Date.now() > deadline) throw new Error("no start banner in time");
      await new Promise((r) => setTimeout(r, 100));
    }
    // The banner is one write; give a split chunk a moment to arrive before parsing the login.
    await new Promise((r) => setTimeout(r, 50));
    await waitForHealth(url, child, deadline);
  } catch (e) {
    await stop();
    const reason =
      (e as Error).message === "exited"
        ? `exited with ${child.exitCode ?? child.signalCode}`
        : (e as Error).message;
    throw new Error(`teamgate start ${reason}. Its output:\n${all}`);
  }

  return {
    url,
    dataDir,
    mailCapturePort,
    inboxUrl: `http://127.0.0.1:${mailInboxPort}`,
    operator: parseBanner(stdout).operator,
    output: () => all,
    emulatorControl: (method, path, body) =>
      controlRequest(
        `https://127.0.0.1:${emulatorLoginPort}`,
        join(dataDir, "emulator", "ca.pem"),
        method,
        path,
        body,
      ),
    stop,
  };
}
