import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** One statement as drizzle's `toSQL()` gives it, with its parameters filled in. */
export interface Statement {
  sql: string;
  params: unknown[];
}

export interface PgbenchResult {
  tps: number;
  latencyMs: number;
  failed: number;
}

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** pgbench on PATH, else the newest /usr/lib/postgresql/<version>/bin/pgbench, else null. */
export function findPgbench(): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, "pgbench"))) return join(dir, "pgbench");
  }
  let versions: string[] = [];
  try {
    versions = readdirSync("/usr/lib/postgresql");
  } catch {
    return null;
  }
  versions.sort((a, b) => Number(b) - Number(a) || b.localeCompare(a));
  for (const version of versions) {
    const path = join("/usr/lib/postgresql", version, "bin", "pgbench");
    if (isExecutable(path)) return path;
  }
  return null;
}

/**
 * Runs `requests` (each the statements of one API request, executed in order as one pgbench
 * transaction; one script file per request, picked at random with equal weight) with `clients`
 * connections for `seconds`. `-M prepared` with each `$n` bound to a pgbench variable defined by
 * `-D`, so PostgreSQL sees what the API's prepared statements send: the same text, the values as
 * parameters.
 */
export async function pgbench(
  path: string,
  options: { url: string; clients: number; seconds: number; requests: Statement[][] },
): Promise<PgbenchResult> {
  if (options.requests.length > 128) throw new Error("pgbench takes at most 128 scripts");
  const dir = mkdtempSync(join(tmpdir(), "teamgate-pgbench-"));
  try {
    const args = ["-n", "-M", "prepared", "-c", String(options.clients), "-j", "2"];
    args.push("-T", String(options.seconds));
    options.requests.forEach((statements, r) => {
      const script = statements
        .map((statement, s) => {
          // Also in the SQL text, a `:name` is a pgbench variable: there must be none but ours.
          if (/:[A-Za-z0-9_]/.test(statement.sql.replace(/::/g, "")))
            throw new Error(
              `a colon in the SQL would read as a pgbench variable: ${statement.sql}`,
            );
          statement.params.forEach((value, p) => {
            if (value === null || value === undefined)
              throw new Error("pgbench cannot bind a null parameter");
            args.push(
              "-D",
              `r${r}s${s}p${p + 1}=${value instanceof Date ? value.toISOString() : String(value)}`,
            );
          });
          const text = statement.sql.replace(/\$(\d+)/g, (_, n: string) => `:r${r}s${s}p${n}`);
          return `${text.replace(/\s*\n\s*/g, " ")};\n`;
        })
        .join("");
      const file = join(dir, `request-${r}.sql`);
      writeFileSync(file, script);
      args.push("-f", `${file}@1`);
    });
    args.push(options.url);
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(path, args, { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      child.on("error", reject);
      child.on("exit", (code) =>
        code === 0 ? resolve(stdout) : reject(new Error(`pgbench exited with ${code}: ${stderr}`)),
      );
    });
    const number = (pattern: RegExp) => Number(pattern.exec(out)?.[1] ?? Number.NaN);
    return {
      tps: number(/tps = ([\d.]+) \(without initial connection time\)/),
      latencyMs: number(/latency average = ([\d.]+) ms/),
      failed: number(/number of failed transactions: (\d+)/) || 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
