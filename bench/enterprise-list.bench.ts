import { sql } from "drizzle-orm";
import Fastify from "fastify";
import pg from "pg";
import { type Database, openPglite, openPostgres } from "../src/server/db/client.ts";
import { emailClaims, enterprises } from "../src/server/db/schema/index.ts";
import {
  buildAccount,
  buildOrganization,
  buildRegion,
  defaultPassword,
} from "../src/server/db/seed/factories.ts";
import { parseEnv } from "../src/server/env.ts";
import { buildApp } from "../src/server/http/app.ts";
import { createServices } from "../src/server/main.ts";
import { newId } from "../src/shared/ids.ts";
import { type LoadResult, load, printTable, round } from "./lib.ts";

const resellerCount = 100;
const enterprisesPerReseller = 100;
const connections = 50;
const seconds = Number(process.env.BENCH_SECONDS ?? 5);

/** 10,000 enterprises under 100 resellers of one master reseller, inserted in bulk. */
async function seed(database: Database) {
  const db = database.db;
  const region = await buildRegion(db);
  const operator = await buildOrganization(db, { kind: "operator", name: "Operator" });
  const operatorAdmin = await buildAccount(db, { organizationId: operator.id });
  const master = await buildOrganization(db, {
    kind: "master_reseller",
    parent: operator,
    regionIds: [region.id],
  });
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
  }
  await db.execute(sql`analyze`);
  return { operatorAdmin, resellerAdmin };
}

async function measure(kind: string, database: Database): Promise<LoadResult[]> {
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
    publicUrl: "http://bench.local",
  });
  const { operatorAdmin, resellerAdmin } = await seed(database);
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
  const pages = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      path: `/api/v1/enterprises?page=${(i % n) + 1}&pageSize=25`,
    }));

  const results: LoadResult[] = [];
  results.push(
    await load(`${kind}: bare fastify JSON route`, `${bareAddress}/bare`, { connections, seconds }),
  );
  const operator = { cookie: await cookieOf(operatorAdmin.email) };
  const reseller = { cookie: await cookieOf(resellerAdmin.email) };
  results.push(
    await load(`${kind}: reseller, its 100 enterprises (pages 1-4)`, address, {
      connections,
      seconds,
      headers: reseller,
      requests: pages(4),
    }),
  );
  results.push(
    await load(`${kind}: operator, first page of 10,000`, address, {
      connections,
      seconds,
      headers: operator,
      requests: pages(1),
    }),
  );
  results.push(
    await load(`${kind}: operator, any of 400 pages`, address, {
      connections,
      seconds,
      headers: operator,
      requests: pages(400),
    }),
  );
  await app.close();
  await bare.close();
  await services.boss.stop({ graceful: false, wait: true });
  return results;
}

/** Enterprise list throughput and p99 on PGlite and PostgreSQL, as ratios to a bare route. */
export async function benchEnterpriseList(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const report = (results: LoadResult[]) => {
    const base = results[0]!;
    for (const r of results) {
      rows.push({
        run: r.name,
        "req/s": round(r.requestsPerSecond, 0),
        "p99 ms": r.p99Ms,
        "ratio to bare": round(r.requestsPerSecond / base.requestsPerSecond, 3),
        "errors/non-2xx": `${r.errors}/${r.non2xx}`,
      });
    }
  };

  const pglite = await openPglite({});
  report(await measure("PGlite", pglite));
  await pglite.close();

  const url = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const admin = new pg.Client({ connectionString: url });
  try {
    await admin.connect();
    const name = `teamgate_bench_${process.pid}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    const postgres = await openPostgres(u.toString(), 20);
    try {
      report(await measure("PostgreSQL", postgres));
    } finally {
      await postgres.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } catch (e) {
    rows.push({
      run: `PostgreSQL: skipped (${(e as Error).message})`,
      "req/s": "-",
      "p99 ms": "-",
      "ratio to bare": "-",
      "errors/non-2xx": "-",
    });
  } finally {
    await admin.end().catch(() => {});
  }
  printTable(
    `Enterprise list: ${resellerCount * enterprisesPerReseller} enterprises under ${resellerCount} resellers, ${connections} concurrent clients, ${seconds}s each. Goal on PostgreSQL: ratio >= 0.25, p99 < 50 ms.`,
    rows,
  );
}
