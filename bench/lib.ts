import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { type Database, type Db, openPglite, openPostgres } from "../src/server/db/client.ts";
import {
  buildEnterprise,
  buildOrganization,
  buildPbxType,
  buildRegion,
} from "../src/server/db/seed/factories.ts";
import { type Env, parseEnv } from "../src/server/env.ts";
import { buildPbx } from "../src/server/modules/pbx/pbx.factories.ts";

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

/**
 * Runs `measure` on a fresh PGlite (unless `BENCH_SKIP_PGLITE=1`), then on a database created for
 * this run on `BENCH_DATABASE_URL` (default the local `test` server) and dropped after; a
 * PostgreSQL that cannot be reached is reported through `onSkipped`, not thrown.
 */
export async function onEachDatabase(
  tag: string,
  measure: (kind: "PGlite" | "PostgreSQL", database: Database, url: string | null) => Promise<void>,
  onSkipped: (reason: string) => void,
  pool = 10,
): Promise<void> {
  if (process.env.BENCH_SKIP_PGLITE !== "1") {
    const pglite = await openPglite({});
    try {
      await measure("PGlite", pglite, null);
    } finally {
      await pglite.close();
    }
  }
  const url = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const admin = new pg.Client({ connectionString: url });
  try {
    await admin.connect();
    const name = `teamgate_bench_${tag}_${process.pid}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    const postgres = await openPostgres(u.toString(), pool);
    try {
      await measure("PostgreSQL", postgres, u.toString());
    } finally {
      await postgres.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } catch (e) {
    onSkipped((e as Error).message);
  } finally {
    await admin.end().catch(() => {});
  }
}

/**
 * An active enterprise with one SBC region and one PBX location, under an operator, a master
 * reseller and a reseller of that region: where the calling benches configure their users.
 */
export async function buildBenchEnterprise(
  db: Db,
  overrides: Partial<Parameters<typeof buildEnterprise>[1]> = {},
) {
  const region = await buildRegion(db);
  const operator = await buildOrganization(db, { kind: "operator", name: "Operator" });
  const master = await buildOrganization(db, {
    kind: "master_reseller",
    parent: operator,
    regionIds: [region.id],
  });
  const reseller = await buildOrganization(db, {
    kind: "reseller",
    parent: master,
    regionIds: [region.id],
  });
  const pbxType = await buildPbxType(db);
  const enterprise = await buildEnterprise(db, {
    reseller,
    status: "active",
    tenantId: crypto.randomUUID(),
    regionIds: [region.id],
    pbxTypeIds: [pbxType.id],
    ...overrides,
  });
  const pbx = await buildPbx(db, { enterpriseId: enterprise.id, pbxTypeId: pbxType.id });
  return { region, enterprise, pbx };
}

/** The environment of a bench whose Microsoft is the in-process emulator, as `parseEnv` checks it. */
export function emulatorBenchEnv(
  emulator: { loginUrl: string; graphUrl: string; caFile: string },
  app: { clientId: string; clientSecret: string },
): Env {
  const parsed = parseEnv({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    APP_SECRET: "bench-secret-bench-secret-bench-secret",
    MS_CLIENT_ID: app.clientId,
    MS_CLIENT_SECRET: app.clientSecret,
    MS_LOGIN_BASE: emulator.loginUrl,
    MS_GRAPH_BASE: emulator.graphUrl,
    MS_CA_FILE: emulator.caFile,
  });
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  return parsed.env;
}
