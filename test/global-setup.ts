import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrateDatabase, openPglite, openPostgres } from "../src/server/db/client.ts";
import { startQueue } from "../src/server/jobs/queue.ts";
import { jobs } from "../src/server/jobs/registry.ts";

declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string;
  }
}

/**
 * Builds one migrated database (with the job queue's schema) per run: a PGlite dump file, or a
 * PostgreSQL template database when TEST_DATABASE_URL is set. Each test file clones it.
 */
export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const name = `teamgate_tpl_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    const templateUrl = withDatabase(url, name);
    const database = await openPostgres(templateUrl, 2);
    await migrateDatabase(database);
    const boss = await startQueue(database, jobs, () => {});
    await boss.stop({ graceful: false, wait: true });
    await database.close();
    project.provide("postgresTemplate", name);
    project.provide("pgliteTemplate", "");
    return async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
    };
  }
  const dir = mkdtempSync(join(tmpdir(), "teamgate-test-"));
  const database = await openPglite({});
  await migrateDatabase(database);
  const boss = await startQueue(database, jobs, () => {});
  await boss.stop({ graceful: false, wait: true });
  const client = (
    database as unknown as { db: { $client: { dumpDataDir(c: "none"): Promise<Blob> } } }
  ).db.$client;
  const dump = await client.dumpDataDir("none");
  const file = join(dir, "template.tar");
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  await database.close();
  project.provide("pgliteTemplate", file);
  project.provide("postgresTemplate", "");
  return () => rmSync(dir, { recursive: true, force: true });
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
