import { sql } from "drizzle-orm";
import Fastify from "fastify";
import type { Database } from "../src/server/db/client.ts";
import {
  emailClaims,
  enterprisePbxTypes,
  enterpriseRegions,
  enterprises,
  invitations,
} from "../src/server/db/schema/index.ts";
import {
  buildAccount,
  buildOrganization,
  buildPbxType,
  buildRegion,
  defaultPassword,
} from "../src/server/db/seed/factories.ts";
import { parseEnv } from "../src/server/env.ts";
import { buildApp } from "../src/server/http/app.ts";
import { createServices } from "../src/server/main.ts";
import { enterpriseListSql } from "../src/server/modules/enterprises/enterprises.queries.ts";
import { EnterpriseListQuery } from "../src/shared/contracts/enterprises.ts";
import { newId } from "../src/shared/ids.ts";
import { type LoadResult, load, onEachDatabase, printTable, round } from "./lib.ts";
import { findPgbench, type PgbenchResult, pgbench } from "./pgbench.ts";

const resellerCount = 100;
const enterprisesPerReseller = 100;
const connections = 50;
const seconds = Number(process.env.BENCH_SECONDS ?? 5);

type ListActor = { role: "operator" | "master_reseller" | "reseller"; organizationId: string };

/**
 * 10,000 enterprises under 100 resellers of one master reseller, inserted in bulk: each with a
 * region, a PBX type and (while invited) an invitation, as the list shows them. The enterprises of
 * one reseller share one `created_at` (one insert), so the newest-first order has ties.
 */
export async function seed(database: Database) {
  const db = database.db;
  const region = await buildRegion(db);
  const pbxType = await buildPbxType(db);
  const operator = await buildOrganization(db, { kind: "operator", name: "Operator" });
  const operatorAdmin = await buildAccount(db, { organizationId: operator.id });
  const master = await buildOrganization(db, {
    kind: "master_reseller",
    parent: operator,
    regionIds: [region.id],
  });
  const masterAdmin = await buildAccount(db, { organizationId: master.id });
  const resellers = [];
  for (let r = 0; r < resellerCount; r++) {
    resellers.push(
      await buildOrganization(db, {
        kind: "reseller",
        parent: master,
        name: `Bench reseller ${r}`,
        regionIds: [region.id],
      }),
    );
  }
  const resellerAdmin = await buildAccount(db, { organizationId: resellers[0]!.id });
  const inAMonth = new Date(Date.now() + 30 * 86_400_000);
  for (const reseller of resellers) {
    const rows = Array.from({ length: enterprisesPerReseller }, (_, i) => ({
      id: newId("enterprise"),
      resellerId: reseller.id,
      masterResellerId: master.id,
      name: `${reseller.name} customer ${i}`,
      adminEmail: `ga-${i}@${reseller.id.replace("_", "-")}.example.com`,
      services: ["PBX"],
      status: (["invited", "registered", "active", "disabled"] as const)[i % 4],
    }));
    await db.insert(enterprises).values(rows);
    await db
      .insert(emailClaims)
      .values(
        rows.map((e) => ({ email: e.adminEmail, ownerType: "enterprise" as const, ownerId: e.id })),
      );
    await db
      .insert(enterpriseRegions)
      .values(rows.map((e) => ({ enterpriseId: e.id, regionId: region.id })));
    await db
      .insert(enterprisePbxTypes)
      .values(rows.map((e) => ({ enterpriseId: e.id, pbxTypeId: pbxType.id })));
    await db.insert(invitations).values(
      rows
        .filter((e) => e.status === "invited")
        .map((e) => ({
          id: newId("invitation"),
          kind: "enterprise_registration" as const,
          targetId: e.id,
          email: e.adminEmail,
          tokenHash: newId("invitation"),
          codeHash: "bench",
          expiresAt: inAMonth,
        })),
    );
  }
  await db.execute(sql`analyze`);
  return {
    operator: { account: operatorAdmin, actor: { role: "operator", organizationId: operator.id } },
    master: { account: masterAdmin, actor: { role: "master_reseller", organizationId: master.id } },
    reseller: {
      account: resellerAdmin,
      actor: { role: "reseller", organizationId: resellers[0]!.id },
    },
  } satisfies Record<string, { account: { email: string }; actor: ListActor }>;
}

interface Scenario {
  name: string;
  who: "operator" | "master" | "reseller";
  /** The list query of the first page; later pages follow its `nextCursor`. */
  query: string;
  /** Which pages (1-based) the load cycles through (pgbench: one script each, so at most 128). */
  pages: number[];
}

const range = (from: number, to: number, step = 1) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

/**
 * pgbench prepares each script's statement once per client, and PostgreSQL plans it afresh for
 * its first five executions, while the API prepares one statement per query shape and pool
 * connection, whatever the page. With 100 scripts and 50 clients most of a run's executions would
 * be such first ones (measured: 100 deep-page scripts ran at 880 tx/s, one at 2,350), so pgbench
 * runs at most this many of a scenario's pages, spread evenly across them: with keyset paging
 * every page costs the same, and each client soon runs prepared, planned statements.
 */
const pgbenchPagesPerScenario = 4;

/** At most `n` of `items`, evenly spread, the first and the last included. */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  return Array.from(
    { length: n },
    (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))]!,
  );
}

const scenarios: Scenario[] = [
  {
    name: "reseller, its 100 enterprises (pages 1-4)",
    who: "reseller",
    query: "pageSize=25",
    pages: range(1, 4),
  },
  {
    name: "master reseller, first page of 10,000",
    who: "master",
    query: "pageSize=25",
    pages: [1],
  },
  {
    name: "master reseller, 100 pages across 400",
    who: "master",
    query: "pageSize=25",
    pages: range(4, 400, 4),
  },
  { name: "operator, first page of 10,000", who: "operator", query: "pageSize=25", pages: [1] },
  {
    name: "operator, 100 pages across 400",
    who: "operator",
    query: "pageSize=25",
    pages: range(4, 400, 4),
  },
  {
    name: 'operator, search "customer 42" (100 matches)',
    who: "operator",
    query: "q=customer%2042&pageSize=25",
    pages: [1],
  },
];

interface ScenarioResult {
  name: string;
  api: LoadResult;
  sql: PgbenchResult | { skipped: string } | null;
}

async function measure(
  kind: string,
  database: Database,
  pgbenchPath: string | { skipped: string } | null,
  url?: string,
): Promise<{ bare: LoadResult; results: ScenarioResult[] }> {
  const parsed = parseEnv({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    APP_SECRET: "bench-secret-bench-secret-bench-secret",
  });
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  const services = await createServices(parsed.env, {
    database,
    mailer: { send: async () => ({ messageId: "bench" }), close() {} },
    microsoft: null,
    teamsVoice: null,
    publicUrl: "http://bench.local",
  });
  const seeded = await seed(database);
  const app = await buildApp(services, { rateLimit: false });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });

  const bare = Fastify();
  bare.get("/bare", async () => ({ items: [], total: 0 }));
  const bareAddress = await bare.listen({ host: "127.0.0.1", port: 0 });

  const cookieOf = async (login: string) => {
    const res = await app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login, password: defaultPassword },
    });
    return `tg_session=${res.cookies.find((c) => c.name === "tg_session")!.value}`;
  };
  const cookies = {
    operator: await cookieOf(seeded.operator.account.email),
    master: await cookieOf(seeded.master.account.email),
    reseller: await cookieOf(seeded.reseller.account.email),
  };

  const bareResult = await load(`${kind}: bare fastify JSON route`, `${bareAddress}/bare`, {
    connections,
    seconds,
  });
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const headers = { cookie: cookies[scenario.who] };
    // The paths of the pages wanted, found by following the cursors from the first page.
    const paths: string[] = [];
    let path: string | null = `/api/v1/enterprises?${scenario.query}`;
    for (let n = 1; path && n <= Math.max(...scenario.pages); n++) {
      const res: { statusCode: number; body: string } = await app.inject({
        method: "GET",
        url: path,
        headers,
      });
      if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
      if (scenario.pages.includes(n)) paths.push(path);
      const next: string | null = (JSON.parse(res.body) as { nextCursor: string | null })
        .nextCursor;
      path = next ? `/api/v1/enterprises?${scenario.query}&cursor=${next}` : null;
    }
    if (paths.length !== scenario.pages.length) throw new Error(`${scenario.name}: pages missing`);
    const api = await load(`${kind}: ${scenario.name}`, address, {
      connections,
      seconds,
      headers,
      requests: paths.map((p) => ({ path: p })),
    });
    let sqlResult: ScenarioResult["sql"] = null;
    if (typeof pgbenchPath === "string" && url) {
      const actor = seeded[scenario.who].actor;
      const requests = spread(paths, pgbenchPagesPerScenario).map((path) =>
        enterpriseListSql(
          services.db,
          actor,
          EnterpriseListQuery.parse(Object.fromEntries(new URL(path, "http://x").searchParams)),
        ),
      );
      sqlResult = await pgbench(pgbenchPath, {
        url,
        clients: connections,
        seconds,
        requests,
      });
    } else if (pgbenchPath && typeof pgbenchPath !== "string") {
      sqlResult = pgbenchPath;
    }
    results.push({ name: scenario.name, api, sql: sqlResult });
  }
  await app.close();
  await bare.close();
  await services.boss.stop({ graceful: false, wait: true });
  return { bare: bareResult, results };
}

/**
 * Enterprise list throughput and p99 at 50 clients on PGlite and PostgreSQL, as ratios to a bare
 * route and, on PostgreSQL, to the same SQL (captured from drizzle) run by pgbench in the same run.
 */
export async function benchEnterpriseList(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const report = ({ bare, results }: { bare: LoadResult; results: ScenarioResult[] }) => {
    rows.push({
      run: bare.name,
      "req/s": round(bare.requestsPerSecond, 0),
      "p99 ms": bare.p99Ms,
      "ratio to bare": 1,
      "server CPU ms/req": round(bare.cpuMsPerRequest, 3),
      "SQL tx/s (pgbench)": "",
      "ratio API/SQL": "",
      "errors/non-2xx": `${bare.errors}/${bare.non2xx}`,
    });
    for (const { api, sql: s } of results) {
      rows.push({
        run: api.name,
        "req/s": round(api.requestsPerSecond, 0),
        "p99 ms": api.p99Ms,
        "ratio to bare": round(api.requestsPerSecond / bare.requestsPerSecond, 3),
        "server CPU ms/req": round(api.cpuMsPerRequest, 3),
        "SQL tx/s (pgbench)": !s ? "-" : "skipped" in s ? "skipped" : round(s.tps, 0),
        "ratio API/SQL": s && "tps" in s ? round(api.requestsPerSecond / s.tps, 3) : "-",
        "errors/non-2xx": `${api.errors}/${api.non2xx}`,
      });
    }
  };
  const notes: string[] = [];
  const found = findPgbench();
  const missing = "pgbench not found on PATH nor in /usr/lib/postgresql/*/bin";
  const pgbenchPath = found ?? { skipped: missing };
  if (!found) notes.push(`SQL column skipped: ${missing}.`);

  await onEachDatabase(
    "list",
    (kind, database, url) =>
      measure(kind, database, url === null ? null : pgbenchPath, url ?? undefined).then(report),
    (reason) => rows.push({ run: `PostgreSQL: skipped (${reason})` }),
    20,
  );
  printTable(
    `Enterprise list: ${resellerCount * enterprisesPerReseller} enterprises under ${resellerCount} resellers, ${connections} concurrent clients, ${seconds}s each. SQL = the statements the API runs for the same requests (captured from drizzle), through pgbench (-M prepared, ${connections} clients; at most ${pgbenchPagesPerScenario} of a scenario's pages). Server CPU = the Node process's CPU time per request (with PGlite, the database's too). Goals on PostgreSQL: p99 < 50 ms, ratio API/SQL >= 0.7.`,
    rows,
  );
  for (const note of notes) process.stdout.write(`${note}\n`);
}
