import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface LoadResult {
  name: string;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** CPU time of this process (the server under test) per request answered, in ms. */
  cpuMsPerRequest: number;
}

export interface LoadOptions {
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  requests?: { path: string }[];
}

const loadProcess = fileURLToPath(new URL("./load-process.ts", import.meta.url));

/**
 * Drives `url` with `connections` concurrent clients for `seconds` (bounded in time) from a
 * separate process, so the load generator does not share the measured server's event loop. The
 * server runs in this process: its CPU time per request is this process's over the load.
 */
export function load(name: string, url: string, options: LoadOptions): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", loadProcess], {
      env: { ...process.env, BENCH_LOAD: JSON.stringify({ url, ...options }) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`load process for ${name} exited with ${code}`));
      const cpu = process.cpuUsage(cpuBefore);
      const { requests, ...result } = JSON.parse(out) as Omit<
        LoadResult,
        "name" | "cpuMsPerRequest"
      > & { requests: number };
      const cpuMsPerRequest = (cpu.user + cpu.system) / 1000 / Math.max(requests, 1);
      resolve({ name, ...result, cpuMsPerRequest });
    });
  });
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  process.stdout.write(`\n${title}\n`);
  console.table(rows);
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
